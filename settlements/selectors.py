"""Reads with rules: who sees which settlement, each approver's inbox, a payee's statement."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from common.timeutil import month_start
from crm.models import Role, User
from crm.policy import team_member_ids
from settlements.models import LOCKED_STATUSES, Dispute, DisputeStatus, Settlement, SettlementLine

SEES_ALL_ROLES = (Role.FINANCE, Role.PRESIDENT, Role.PRESIDENTS_ASSISTANT, Role.VP, Role.ADMIN)


def team_ids(user: User) -> set[int]:
    """crm.policy.team_member_ids, computed once per user object (a request asks several times)."""
    cached = getattr(user, "_settlement_team_ids", None)
    if cached is None:
        cached = team_member_ids(user)
        user._settlement_team_ids = cached  # type: ignore[attr-defined]
    return cached


def sees_all_settlements(user: User) -> bool:
    return bool(user.is_superuser or user.has_role(*SEES_ALL_ROLES))


def settlement_list_visible_to(*, user: User) -> QuerySet[Settlement]:
    """A rep or partner sees their own; a manager their team's (and partners of regions they manage);
    finance and the president's office all."""
    qs = Settlement.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if sees_all_settlements(user):
        return qs
    members = team_ids(user)
    cond = Q(payee_user_id__in=members) | Q(payee_partner__user=user)
    if user.has_role(Role.DIRECTOR):
        cond |= Q(payee_partner__isnull=False)
    else:
        cond |= Q(payee_partner__region__manager=user)
    return qs.filter(cond)


def settlement_get_visible(*, user: User, pk: int) -> Settlement | None:
    return (
        settlement_list_visible_to(user=user)
        .select_related("payee_user", "payee_partner", "payout")
        .filter(pk=pk)
        .first()
    )


def settlement_filter(
    qs: QuerySet[Settlement], *, month: dt.date | None = None, status: str = "", q: str = ""
) -> QuerySet[Settlement]:
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(payee_name__icontains=q)
    return qs


def statement_lines(*, settlement: Settlement) -> QuerySet[SettlementLine]:
    """S7 drill-down: each line with its order and plan component and the ledger's explanation."""
    return settlement.lines.select_related(
        "commission_line", "commission_line__order", "commission_line__plan", "corrects"
    ).order_by("category", "id")


def dispute_list_visible_to(*, user: User) -> QuerySet[Dispute]:
    visible = settlement_list_visible_to(user=user)
    return Dispute.objects.filter(settlement__in=visible.values("id"))


def open_disputes_to_answer(*, user: User) -> QuerySet[Dispute]:
    return (
        dispute_list_visible_to(user=user)
        .filter(status=DisputeStatus.OPEN)
        .exclude(raised_by=user)
        .select_related("settlement", "line", "raised_by")
    )


def settlements_for_month_file(*, month: dt.date) -> tuple[QuerySet[Settlement], bool]:
    """S6: the settlements of a month's export and whether it is the approved file. Once any settlement
    of the month is approved (or paid), the file holds only those: a draft or a settlement still in review
    is never mixed into an approved month's file. Before that it is the working file of the whole month."""
    qs = Settlement.objects.filter(month=month_start(month))
    locked = qs.filter(status__in=LOCKED_STATUSES)
    if locked.exists():
        return locked, True
    return qs, False
