"""Reads over the pipeline: the close-confirmation queue and the kanban board. Who sees which rows
(C11) is the policy's rule (`crm.policy.lead_scope`, `opportunity_scope`, …); these reads ask it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from common.fen import ZERO, allocate
from common.timeutil import local_date
from crm import policy
from crm.models import Opportunity, OpportunityStageChange, PipelineStage, User


def opportunities_awaiting_confirmation(*, user: User) -> QuerySet[Opportunity]:
    """L2: won/lost opportunities of my team that I must confirm (never my own)."""
    return (
        policy.opportunity_scope(user)
        .filter(closed_at__isnull=False, close_confirmed_at__isnull=True)
        .exclude(owner=user)
        .select_related("customer", "owner")
        .order_by("closed_at")
    )


@dataclass
class KanbanColumn:
    """One stage of the live pipeline: its cards (the newest `per_column`), and figures over all the
    visible opportunities in it — count, amount, weighted forecast (amount × the stage's win
    probability, L2)."""

    stage: PipelineStage
    cards: list[Opportunity]
    count: int
    amount: Decimal
    weighted: Decimal

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


def kanban_columns(
    *, qs: QuerySet[Opportunity], stages: list[PipelineStage], today: dt.date, per_column: int = 50
) -> list[KanbanColumn]:
    """A constant number of queries whatever the pipeline's size: one aggregate over the stages, one
    query per stage (even an empty one) for its newest cards, each annotated with when it entered its
    stage."""
    totals = {
        r["stage"]: (r["n"], r["total"] or ZERO)
        for r in qs.order_by().values("stage").annotate(n=Count("id"), total=Sum("amount"))
    }
    entered = (
        OpportunityStageChange.objects.filter(opportunity=OuterRef("pk"))
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1]
    )
    cards_qs = qs.select_related("customer", "owner").annotate(stage_since=Subquery(entered))
    columns = []
    for s in stages:
        n, total = totals.get(s.code, (0, ZERO))
        cards: list[Opportunity] = list(cards_qs.filter(stage=s.code).order_by("-id")[:per_column])
        for card in cards:
            since = card.stage_since or card.registered_at  # type: ignore[attr-defined]
            card.days_in_stage = (today - local_date(since)).days  # type: ignore[attr-defined]
        # Weighted forecast: `allocate` is the only routine that divides money (it splits the column's
        # amount p : 100 − p and keeps the first part, exact to the fen).
        weighted = allocate(total, [s.probability, max(0, 100 - s.probability)])[0] if total else ZERO
        columns.append(KanbanColumn(stage=s, cards=cards, count=n, amount=total, weighted=weighted))
    return columns
