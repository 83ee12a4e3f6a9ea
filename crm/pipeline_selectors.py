"""C11 visibility for the pipeline (leads, opportunities, quotes, contracts, orders): a rep sees their
own, a manager their team's, president/VP/admin everything, finance every order (money in)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Model, OuterRef, Q, QuerySet, Subquery, Sum

from common.fen import ZERO, allocate
from common.timeutil import local_date
from crm import policy
from crm.models import (
    Contract,
    Lead,
    Opportunity,
    OpportunityStageChange,
    Order,
    PipelineStage,
    Quote,
    Role,
    User,
)


def _owned(qs: QuerySet, user: User, field: str = "owner_id") -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    return qs.filter(**{f"{field}__in": policy.team_member_ids(user)})


def leads_visible_to(*, user: User) -> QuerySet[Lead]:
    qs = Lead.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    members = policy.team_member_ids(user)
    return qs.filter(Q(assigned_to_id__in=members) | Q(created_by_id__in=members))


def opportunities_visible_to(*, user: User) -> QuerySet[Opportunity]:
    return _owned(Opportunity.objects.all(), user)


def _on_my_chain(user: User, model: type[Model]) -> QuerySet:
    """Ids of subjects whose approval chain includes me (assignee, decider, or a company-wide role
    of a step): an approver must see what they approve."""
    from django.contrib.contenttypes.models import ContentType

    from crm.models import ApprovalStep
    from crm.services.approvals import SCOPED_ROLES

    q = Q(assignee=user) | Q(decided_by=user)
    for role in set(user.roles) - set(SCOPED_ROLES):
        q |= Q(roles__contains=f",{role},")
    return ApprovalStep.objects.filter(
        q, request__content_type=ContentType.objects.get_for_model(model)
    ).values("request__object_id")


def _owned_or_approving(qs: QuerySet, user: User) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    return qs.filter(Q(owner_id__in=policy.team_member_ids(user)) | Q(pk__in=_on_my_chain(user, qs.model)))


def quotes_visible_to(*, user: User) -> QuerySet[Quote]:
    return _owned_or_approving(Quote.objects.all(), user)


def contracts_visible_to(*, user: User) -> QuerySet[Contract]:
    return _owned_or_approving(Contract.objects.all(), user)


def orders_visible_to(*, user: User) -> QuerySet[Order]:
    if user.is_authenticated and user.has_role(Role.FINANCE):
        return Order.objects.all()
    return _owned_or_approving(Order.objects.all(), user)


def get_visible_or_none(qs: QuerySet, pk: int) -> Model | None:
    return qs.filter(pk=pk).first()


def opportunities_awaiting_confirmation(*, user: User) -> QuerySet[Opportunity]:
    """L2: won/lost opportunities of my team that I must confirm (never my own)."""
    return (
        opportunities_visible_to(user=user)
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
