"""Commissions' entries in the role menu (common.menu); each asks commissions.policy who may see it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from commissions import policy
from common.menu import MenuEntry, register
from crm import policy as crm_policy


def _staff_statement(user: Any) -> bool:
    return crm_policy.is_internal(user) and policy.can_open_statement(user)


def _partner_statement(user: Any) -> bool:
    return crm_policy.is_partner(user) and policy.can_open_statement(user)


def _partner_perks(user: Any) -> bool:
    return crm_policy.is_partner(user) and policy.can_open_perks(user)


def register_menu() -> None:
    register(
        MenuEntry("money", _("我的提成"), "commissions:statement", "coin-yuan", _staff_statement, order=10),
        MenuEntry(
            "money", _("提成试算"), "commissions:what_if", "calculator", policy.can_open_what_if, order=20
        ),
        MenuEntry(
            "money", _("我的提成方案"), "commissions:my_plan", "file-text", policy.can_open_my_plan, order=15
        ),
        MenuEntry(
            "money",
            _("提成方案管理"),
            "commissions:plan_list",
            "adjustments",
            policy.can_manage_plans,
            order=75,
        ),
        MenuEntry("money", _("提成没收"), "commissions:forfeit", "user-x", policy.can_forfeit, order=80),
        MenuEntry(
            "money",
            _("合伙人奖励"),
            "commissions:perk_list",
            "gift",
            policy.manages_partner_rewards,
            order=60,
        ),
        MenuEntry(
            "money",
            _("合伙人年度考核"),
            "commissions:upgrade_review",
            "trophy",
            policy.can_open_upgrade_review,
            order=65,
        ),
        MenuEntry("partner", _("我的奖励"), "commissions:perk_list", "gift", _partner_perks, order=35),
        MenuEntry(
            "partner", _("我的返佣"), "commissions:statement", "coin-yuan", _partner_statement, order=30
        ),
    )
