"""Overdue steps (S1): the daily job that flags every overdue approval step to whoever must act and to
their manager, and tells them in the app and by e-mail."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.notifications import notify
from common.timeutil import local_today, month_start
from crm.models import Role, User
from settlements.models import OverdueFlag, Settlement, SettlementStatus
from settlements.policy import month_calendar
from settlements.services.workflow import PRESIDENTS_OFFICE

S = SettlementStatus


def _users_with(*roles: str) -> list[User]:
    return list(
        User.objects.filter(groups__name__in=roles, is_active=True).select_related("manager").distinct()
    )


def overdue_flag_run(*, today: dt.date | None = None) -> int:
    """S1 beat job: flag every overdue step to whoever must act and to their manager. Idempotent (one
    flag per user, settlement and step)."""
    today = today or local_today()
    finance = _users_with(Role.FINANCE)
    office = _users_with(*PRESIDENTS_OFFICE)
    flags: list[OverdueFlag] = []
    calendars: dict[dt.date, object] = {}
    qs = Settlement.objects.exclude(status=S.PAID).select_related(
        "payee_user__manager", "payee_partner__user", "payee_partner__region__manager"
    )
    for s in qs.filter(month__lt=month_start(today)).iterator(chunk_size=500):
        cal = calendars.setdefault(s.month, month_calendar(s.month))
        due = cal.due_for(s.status)  # type: ignore[attr-defined]
        if due is None or today <= due:
            continue
        actors: list[User] = []
        if s.status in (S.DRAFT, S.FINANCE_CONFIRMATION, S.APPROVED):
            actors = finance
        elif s.status == S.SUBMITTED:
            actors = [u for u in (s.payee_user, s.payee_partner and s.payee_partner.user) if u] or finance
        elif s.status == S.SALES_REVIEW:
            if s.payee_user is not None and s.payee_user.manager is not None:
                actors = [s.payee_user.manager]
            elif s.payee_partner is not None and s.payee_partner.region and s.payee_partner.region.manager:
                actors = [s.payee_partner.region.manager]
        elif s.status == S.PRESIDENT_APPROVAL:
            actors = office
        for user in actors:
            flags.append(OverdueFlag(user=user, settlement=s, status=s.status, due_on=due))
            if user.manager_id:
                flags.append(
                    OverdueFlag(
                        user_id=user.manager_id, settlement=s, status=s.status, due_on=due, as_manager=True
                    )
                )
    existing = set(
        OverdueFlag.objects.filter(settlement_id__in={f.settlement_id for f in flags}).values_list(
            "user_id", "settlement_id", "status"
        )
    )
    new: dict[tuple, OverdueFlag] = {}
    for f in flags:
        key = (f.user_id, f.settlement_id, f.status)
        if key not in existing:
            new.setdefault(key, f)
    OverdueFlag.objects.bulk_create(list(new.values()), ignore_conflicts=True, batch_size=1000)
    _notify_overdue(list(new.values()))
    return len(new)


def _notify_overdue(flags: list[OverdueFlag]) -> None:
    """Tell the person who must act (and, through their own flag, their manager) in the app and by e-mail."""
    for f in flags:
        text = words(
            gettext_noop("结算单 %(s)s 的“%(step)s”步骤已逾期（截止 %(d)s）。"),
            s=f.settlement,
            step=SettlementStatus(f.status).label,
            d=f.due_on.isoformat(),
        )
        notify(
            users=[f.user],
            text=text,
            link=f"/settlements/{f.settlement_id}/",
            batch=f"settlement-overdue:{f.settlement_id}:{f.status}",
        )
