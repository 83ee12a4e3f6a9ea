"""Settlements' entries in the role menu (common.menu); each asks settlements.policy who may see it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.menu import MenuEntry, register
from crm import policy as crm_policy
from settlements import policy


def _staff(check: Any) -> Any:
    return lambda user: crm_policy.is_internal(user) and check(user)


def _partner(check: Any) -> Any:
    return lambda user: crm_policy.is_partner(user) and check(user)


def register_menu() -> None:
    register(
        MenuEntry(
            "money",
            pgettext_lazy("menu", "结算"),  # the month's dashboard, beside "结算单" (the list)
            "settlements:dashboard",
            "calendar-stats",
            policy.can_open_settlement_dashboard,
            order=30,
        ),
        MenuEntry(
            "money",
            pgettext_lazy("menu", "结算单"),
            "settlements:list",
            "file-invoice",
            _staff(policy.can_open_settlements),
            order=35,
        ),
        MenuEntry(
            "money",
            _("门票登记"),
            "settlements:tickets",
            "ticket",
            policy.can_record_tickets,
            order=38,
        ),
        # Staff decide settlements in the approvals centre (crm:approval_inbox, tab 结算).
        MenuEntry(
            "partner",
            pgettext_lazy("menu", "结算单"),
            "settlements:list",
            "file-invoice",
            _partner(policy.can_open_settlements),
            order=40,
        ),
        MenuEntry(
            "partner",
            _("待我确认"),
            "settlements:inbox",
            "file-check",
            _partner(policy.can_open_settlement_inbox),
            badge=policy.settlements_waiting_count,
            order=50,
        ),
    )
