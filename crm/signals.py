from django.db.models.signals import post_migrate
from django.dispatch import receiver

from crm.roles import ensure_roles


@receiver(post_migrate)
def _create_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(sender, "name", "") == "crm":
        ensure_roles()
