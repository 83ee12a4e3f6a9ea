"""Partners' entries in the role menu (common.menu); each asks partners.policy who may see it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.menu import MenuEntry, forget_menus_on, register
from crm import policy as crm_policy
from partners import policy
from partners.models import Partner


def _staff_collisions(user: Any) -> bool:
    return crm_policy.works_in_sales(user) and policy.can_open_collisions(user)


def _partner_collisions(user: Any) -> bool:
    return crm_policy.is_partner(user) and policy.can_open_collisions(user)


def register_menu() -> None:
    forget_menus_on(Partner)  # a login's partner link opens the portal (P2)
    register(
        MenuEntry(
            "customers",
            pgettext_lazy("menu", "撞单"),
            "partners:collision_list",
            "git-merge",
            _staff_collisions,
            badge=policy.collisions_waiting_count,
            order=50,
        ),
        MenuEntry(
            "customers",
            _("登记推荐"),
            "partners:referral_create",
            "user-plus",
            policy.can_record_referral,
            order=60,
        ),
        MenuEntry(
            "reports",
            _("撞单月报"),
            "partners:collision_report",
            "report-analytics",
            policy.can_open_collision_report,
            order=50,
        ),
        MenuEntry(
            "system",
            pgettext_lazy("menu", "合伙人"),
            "partners:partner_list",
            "building-store",
            policy.can_manage_partners,
            order=20,
        ),
        MenuEntry(
            "partner", _("合伙人门户"), "partners:portal", "building-store", policy.can_open_portal, order=10
        ),
        MenuEntry(
            "partner",
            pgettext_lazy("menu", "撞单"),
            "partners:collision_list",
            "git-merge",
            _partner_collisions,
            badge=policy.collisions_waiting_count,
            order=20,
        ),
    )
