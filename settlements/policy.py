"""Settlements policy: the S1/S7/S8 calendar (the due days of a month, read from the effective
SettlementPolicy row) and who may see and do what with settlements (below)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from common.timeutil import month_start, next_month
from common.workdays import add_workdays
from crm import policy as crm_policy
from crm.models import Role
from settlements.models import Settlement, SettlementPolicy, SettlementStatus


def policy_for(month: dt.date) -> SettlementPolicy:
    """The policy in force for a settlement month (defaults when an admin has not set one)."""
    policy = (
        SettlementPolicy.objects.filter(effective_from__lte=month_start(month))
        .order_by("-effective_from")
        .first()
    )
    return policy or SettlementPolicy(effective_from=dt.date(2000, 1, 1))


def _day_in(month: dt.date, day: int) -> dt.date:
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=max(1, min(day, last)))


@dataclass(frozen=True)
class MonthCalendar:
    month: dt.date
    collect_due: dt.date  # S1: collected and reconciled with the payee by the 5th of the next month
    approval_due: dt.date  # S1: approval complete by the 10th
    payout_confirm_due: dt.date  # S1: finance confirms the payout by the 15th
    payout_date: dt.date  # S8
    dispute_deadline: dt.date  # S7: N working days before payout

    def due_for(self, status: str) -> dt.date | None:
        if status in (SettlementStatus.DRAFT, SettlementStatus.SUBMITTED):
            return self.collect_due
        if status in (
            SettlementStatus.SALES_REVIEW,
            SettlementStatus.FINANCE_CONFIRMATION,
            SettlementStatus.PRESIDENT_APPROVAL,
        ):
            return self.approval_due
        if status == SettlementStatus.APPROVED:
            return self.payout_confirm_due
        return None


def month_calendar(month: dt.date, policy: SettlementPolicy | None = None) -> MonthCalendar:
    month = month_start(month)
    policy = policy or policy_for(month)
    following = next_month(month)
    payout_date = _day_in(following, policy.payout_day)
    return MonthCalendar(
        month=month,
        collect_due=_day_in(following, policy.collect_day),
        approval_due=_day_in(following, policy.approval_day),
        payout_confirm_due=_day_in(following, policy.payout_confirm_day),
        payout_date=payout_date,
        dispute_deadline=add_workdays(payout_date, -int(policy.dispute_workdays)),
    )


# --------------------------------------------------------------------------------------------------
# Who may see and do what with settlements (S1–S8): the one place pages, the API, exports, menus and
# reports ask. Role facts come from `crm.policy`; this section never restates them.
# --------------------------------------------------------------------------------------------------


def settlements_visible_to(user: Any) -> QuerySet[Settlement]:
    """A rep or partner sees their own; a manager their team's (and partners of regions they manage);
    finance and the president's office all."""
    from settlements.selectors import settlement_list_visible_to

    if not crm_policy.is_signed_in(user):
        return Settlement.objects.none()
    return settlement_list_visible_to(user=user)


def settlement_visible(user: Any, pk: int) -> Settlement | None:
    from settlements.selectors import settlement_get_visible

    if not crm_policy.is_signed_in(user):
        return None
    return settlement_get_visible(user=user, pk=pk)


def can_view_settlement(user: Any, settlement: Settlement) -> bool:
    return settlements_visible_to(user).filter(pk=settlement.pk).exists()


def can_open_settlements(user: Any) -> bool:
    """Everyone signed in has settlement sheets (their own at least), partners included."""
    return crm_policy.is_signed_in(user)


def can_open_settlement_dashboard(user: Any) -> bool:
    """The month's cycle and where every sheet stands: an internal page."""
    return crm_policy.is_internal(user)


def can_open_settlement_inbox(user: Any) -> bool:
    """What waits for me (approvals; a payee's reconciliation): staff and partners."""
    return crm_policy.is_signed_in(user)


def can_generate(user: Any) -> bool:
    """Generating a month's sheets is finance's (and an admin's)."""
    return crm_policy.is_finance(user) or (crm_policy.is_signed_in(user) and user.has_role(Role.ADMIN))


def can_pay(user: Any, settlement: Settlement | None = None) -> bool:
    """S8: finance records payouts, on approved sheets."""
    if not crm_policy.is_finance(user):
        return False
    return settlement is None or settlement.status == SettlementStatus.APPROVED


def can_offer_forfeit(user: Any, settlement: Settlement) -> bool:
    """K11 from where finance/leadership act: an employee's sheet not yet paid links to the forfeit page
    for that payee, for those the commissions policy lets forfeit."""
    from commissions import policy as commissions_policy

    return (
        settlement.payee_user_id is not None
        and settlement.status != SettlementStatus.PAID
        and commissions_policy.can_forfeit(user)
    )


def can_defer_line(user: Any, settlement: Settlement) -> bool:
    """Finance defers a line to next month while the sheet is a draft."""
    return crm_policy.is_finance(user) and settlement.status == SettlementStatus.DRAFT


def can_export(user: Any) -> bool:
    """The month's Excel export (every sheet) is for finance and admins."""
    return crm_policy.is_signed_in(user) and (
        user.is_superuser or crm_policy.is_finance(user) or user.has_role(Role.ADMIN)
    )


def can_record_tickets(user: Any) -> bool:
    """K13: finance records the tickets partners own and the attendees they bring (the ticket page/API)."""
    return crm_policy.is_finance(user)


def can_see_unmasked_bank_account(user: Any) -> bool:
    """Bank account numbers are shown in full to finance only (pages and exports); others see them masked."""
    return crm_policy.is_finance(user)


def settlements_waiting_count(user: Any) -> int:
    """For the menu badge: sheets waiting for my action (the inbox; a fixed number of queries)."""
    from settlements.services.workflow import inbox_for

    if not can_open_settlement_inbox(user):
        return 0
    return len(inbox_for(user=user))
