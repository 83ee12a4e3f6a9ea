"""Reads with rules for partners, collisions and credit (SPEC §3)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from common.timeutil import local_today, next_month
from crm.models import Customer, FollowUp, Order, User
from crm.policy import customers_visible_to, team_member_ids
from partners.models import (
    OPEN_COLLISION_STATUSES,
    CollisionCase,
    CollisionParty,
    CollisionStatus,
    CreditShare,
    Partner,
    PartnersPolicy,
    Referral,
)

POLICY_BASE_DATE = dt.date(2000, 1, 1)


def policy_for(*, day: dt.date | None = None) -> PartnersPolicy:
    """The policy row in force on `day` (default today). A default row is created on first use."""
    day = day or local_today()
    policy = PartnersPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    if policy is None:
        policy = PartnersPolicy.objects.order_by("effective_from").first()
    if policy is None:
        policy, _created = PartnersPolicy.objects.get_or_create(effective_from=POLICY_BASE_DATE)
    return policy


def partner_for_user(user: User) -> Partner | None:
    if not user.is_authenticated:
        return None
    return Partner.objects.filter(user=user, is_active=True).first()


def party_for_user(case: CollisionCase, user: User) -> CollisionParty | None:
    """The side of the case this login acts for (a rep, or a partner's linked login)."""
    for party in case.parties.all():
        if party.acting_user_id == user.pk:
            return party
    return None


def is_case_decider(case: CollisionCase, user: User) -> bool:
    """P3.4: the case's regional manager decides; with no regional manager on record, the top roles."""
    manager_id = case.region.manager_id if case.region_id and case.region else None
    if manager_id:
        return manager_id == user.pk
    return user.sees_everything


def _party_q(user: User, prefix: str = "") -> Q:
    return Q(**{f"{prefix}parties__user": user}) | Q(**{f"{prefix}parties__partner__user": user})


def collision_list_visible_to(*, user: User) -> QuerySet[CollisionCase]:
    """Parties, the region's manager, the parties' managers (their team), and the top roles."""
    qs = CollisionCase.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    cond = _party_q(user) | Q(region__manager=user)
    members = team_member_ids(user)
    if len(members) > 1:
        cond |= Q(parties__user_id__in=members)
    ids = CollisionCase.objects.filter(cond).values("id")
    return qs.filter(id__in=ids)


def collision_inbox(*, user: User) -> QuerySet[CollisionCase]:
    """The "撞单" inbox: open cases where I am a party or the regional manager who decides."""
    if not user.is_authenticated:
        return CollisionCase.objects.none()
    ids = CollisionCase.objects.filter(_party_q(user) | Q(region__manager=user)).values("id")
    return CollisionCase.objects.filter(id__in=ids, status__in=OPEN_COLLISION_STATUSES)


def collision_list_rows(qs: QuerySet[CollisionCase]) -> QuerySet[CollisionCase]:
    """What list pages/APIs need, in a fixed number of queries."""
    return qs.select_related("customer", "region").prefetch_related(
        Prefetch("parties", queryset=CollisionParty.objects.select_related("user", "partner"))
    )


def collision_filter(
    qs: QuerySet[CollisionCase], *, q: str = "", status: str = ""
) -> QuerySet[CollisionCase]:
    q = (q or "").strip()
    if q:
        qs = qs.filter(customer__name__icontains=q)
    if status == "open":
        qs = qs.filter(status__in=OPEN_COLLISION_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    return qs


def collision_get_visible(*, user: User, pk: int) -> CollisionCase | None:
    return collision_list_rows(collision_list_visible_to(user=user)).filter(pk=pk).first()


def collision_evidence(case: CollisionCase) -> list[dict[str, Any]]:
    """P3 evidence per party: registration and first-contact times and that party's follow-ups of THIS
    customer only — never the rest of their book."""
    parties = list(case.parties.all())
    author_ids = [p.acting_user_id for p in parties if p.acting_user_id]
    logs: dict[int, list[FollowUp]] = defaultdict(list)
    for f in (
        FollowUp.objects.filter(customer_id=case.customer_id, author_id__in=author_ids)
        .select_related("contact")
        .order_by("occurred_at", "id")[:500]
    ):
        logs[f.author_id].append(f)
    return [
        {
            "party": p,
            "followups": logs.get(p.acting_user_id or 0, []),
            "is_proposed_winner": p.pk == case.proposed_winner_id,
            "is_winner": p.pk == case.winner_id,
        }
        for p in parties
    ]


def order_get_credit_visible(*, user: User, pk: int) -> Order | None:
    """An order's credit is visible to whoever sees its customer, and to its credit holders."""
    if not user.is_authenticated:
        return None
    visible_customers = customers_visible_to(user).values("id")
    cond = Q(customer_id__in=visible_customers) | Q(credit_shares__user=user) | Q(owner=user)
    cond |= Q(credit_shares__partner__user=user)
    ids = Order.objects.filter(cond).values("id")
    return Order.objects.filter(id__in=ids, pk=pk).select_related("customer", "owner").first()


def credit_shares_of(order: Order) -> list[CreditShare]:
    return list(order.credit_shares.select_related("user", "partner").order_by("-share", "id"))


# --- partner portal (P2): a partner sees only their own customers, referrals and sales ---


def partner_customers(partner: Partner) -> QuerySet[Customer]:
    cond = Q(referrals__partner=partner)
    if partner.user_id:
        cond |= Q(owner_id=partner.user_id)
    ids = Customer.objects.filter(cond).values("id")
    return Customer.objects.filter(id__in=ids)


def partner_referrals(partner: Partner) -> QuerySet[Referral]:
    return Referral.objects.filter(partner=partner).select_related("customer", "order")


def partner_orders(partner: Partner) -> QuerySet[Order]:
    cond = Q(credit_shares__partner=partner)
    if partner.user_id:
        cond |= Q(owner_id=partner.user_id)
    ids = Order.objects.filter(cond).values("id")
    return Order.objects.filter(id__in=ids).select_related("customer")


def partner_order_share(partner: Partner, orders: list[Order]) -> dict[int, Decimal]:
    """This partner's total credit share per order (one query)."""
    result: dict[int, Decimal] = defaultdict(Decimal)
    q = Q(partner=partner)
    if partner.user_id:
        q |= Q(user_id=partner.user_id)
    for order_id, share in CreditShare.objects.filter(q, order__in=[o.pk for o in orders]).values_list(
        "order_id", "share"
    ):
        result[order_id] += share
    return result


# --- manager report ---


def collision_report(*, user: User, month: dt.date) -> list[dict[str, Any]]:
    """Per team and month: cases opened, still open, how they were resolved, average days to resolve.

    A case counts for each team that has a party in it (a rep's department; partners under 合伙人)."""
    start = timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time.min))
    cases = collision_list_visible_to(user=user).filter(opened_at__gte=start, opened_at__lt=end)
    cases = cases.prefetch_related(
        Prefetch(
            "parties",
            queryset=CollisionParty.objects.select_related("user__department", "partner"),
        )
    )
    rows: dict[str, dict[str, Any]] = {}
    for case in cases:
        teams = set()
        for p in case.parties.all():
            if p.user_id and p.user and p.user.department_id and p.user.department:
                teams.add(p.user.department.name)
            elif p.partner_id:
                teams.add(str(Partner._meta.verbose_name))
            else:
                teams.add("—")
        for team in teams:
            row = rows.setdefault(
                team,
                {"team": team, "opened": 0, "open": 0, "by_rule": defaultdict(int), "_days": []},
            )
            row["opened"] += 1
            if case.status != CollisionStatus.RESOLVED:
                row["open"] += 1
            else:
                row["by_rule"][case.resolution] += 1
                if case.resolved_at:
                    took = case.resolved_at - case.opened_at
                    row["_days"].append(Decimal(took.days) + Decimal(took.seconds) / Decimal(86400))
    result = []
    for team in sorted(rows):
        row = rows[team]
        days = row.pop("_days")
        row["by_rule"] = dict(row["by_rule"])
        row["resolved"] = sum(row["by_rule"].values())
        row["avg_days"] = (
            (sum(days) / len(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if days else None
        )
        result.append(row)
    return result
