from django.db.models.signals import post_migrate
from django.dispatch import receiver

from crm.roles import ensure_roles


@receiver(post_migrate)
def _create_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(sender, "name", "") == "crm":
        ensure_roles()


@receiver(post_migrate)
def _seed_pipeline_defaults(sender, **kwargs):  # type: ignore[no-untyped-def]
    """Q2/L2: seed the SPEC authority matrix and funnel once; admins edit them afterwards."""
    if getattr(sender, "name", "") == "crm":
        from crm.services.approvals import authority_rules_seed_defaults
        from crm.services.opportunities import stages_seed_defaults

        authority_rules_seed_defaults()
        stages_seed_defaults()


@receiver(post_migrate)
def _register_pool_schedule(sender, **kwargs):  # type: ignore[no-untyped-def]
    # C9: the daily pool sweep, as an admin-editable django_celery_beat task (once both apps are migrated).
    if getattr(sender, "name", "") == "crm":
        from crm.tasks import ensure_pool_schedule

        ensure_pool_schedule()
