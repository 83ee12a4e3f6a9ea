"""S1/S7/S8 calendar: the due days of a settlement month, read from the effective SettlementPolicy."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from common.timeutil import month_start, next_month
from common.workdays import add_workdays
from settlements.models import SettlementPolicy, SettlementStatus


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
