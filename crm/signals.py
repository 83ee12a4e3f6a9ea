from django.db.models.signals import post_migrate
from django.dispatch import receiver

from crm.roles import ensure_roles


@receiver(post_migrate)
def _create_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(sender, "name", "") == "crm":
        ensure_roles()


@receiver(post_migrate)
def _register_pool_schedule(sender, **kwargs):  # type: ignore[no-untyped-def]
    # C9: the daily pool sweep, as an admin-editable django_celery_beat task (once both apps are migrated).
    if getattr(sender, "name", "") == "crm":
        from crm.tasks import ensure_pool_schedule

        ensure_pool_schedule()
