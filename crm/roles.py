"""Roles are Django groups (SPEC §0). `ensure_roles` creates them with their model permissions."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group, Permission

from crm.models.org import Role

# Model permissions each role gets in the admin; business permissions are checked in services.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMIN: ["*"],
    Role.FINANCE: [
        "crm.view_customer",
        "crm.view_order",
        "crm.add_payment",
        "crm.change_payment",
        "crm.view_payment",
    ],
}

MANAGER_ROLES = (
    Role.SALES_MANAGER,
    Role.REGIONAL_MANAGER,
    Role.DIRECTOR,
    Role.PRESIDENTS_ASSISTANT,
    Role.VP,
    Role.PRESIDENT,
)


def admin_app_labels() -> list[str]:
    """The apps whose models the system administrator role gets every permission on: crm and each app
    built on it, which says so in its AppConfig (`admin_role_manages_models = True`) — crm names none of
    the apps above it."""
    return [cfg.label for cfg in apps.get_app_configs() if getattr(cfg, "admin_role_manages_models", False)]


def ensure_roles(**_: Any) -> None:
    for value, _label in Role.choices:
        group, _created = Group.objects.get_or_create(name=value)
        perms = ROLE_PERMISSIONS.get(value, [])
        if perms == ["*"]:
            group.permissions.set(Permission.objects.filter(content_type__app_label__in=admin_app_labels()))
        elif perms:
            wanted: list[Permission] = []
            for dotted in perms:
                app_label, codename = dotted.split(".")
                wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
            group.permissions.set(wanted)


def is_external(user: Any) -> bool:
    """Issue 17: a partner (an outside company's login) is not staff: the company's org directory
    (users, departments, regions) is not theirs to list. One place, so the policy layer can move it."""
    return bool(user.has_role(Role.PARTNER)) and not user.sees_everything
