"""C10/C11 reads for the public pool: the pool list (no phone numbers) and who may see it."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from crm import policy as crm_policy
from crm.models import Customer, PoolPolicy, PoolRelease, User
from crm.selectors import customer_filter


def pool_policy_once(user: User | None = None) -> PoolPolicy:
    """The pool policy with its grade rules, read once per request: kept on the request's user object
    (the home's near-release count, "my day"'s list and the badges ask for it; 3 reads → 1). Without a
    user, read each time."""
    cached = getattr(user, "_pool_policy_once", None) if user is not None else None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    policy = PoolPolicy.objects.prefetch_related("grade_rules").filter(pk=1).first() or PoolPolicy()
    if user is not None:
        user._pool_policy_once = policy  # type: ignore[attr-defined]
    return policy


def smallest_warn_days(policy: PoolPolicy) -> int:
    """C9: the smallest warn threshold of the pool policy and its grade rules."""
    rules = list(policy.grade_rules.all()) if policy.pk else []
    return min([policy.warn_days, *(r.warn_days for r in rules)])


def pool_visible_to(user: User) -> bool:
    """C11: who sees the pool is crm.policy's rule."""

    return crm_policy.can_open_pool(user)


def pool_customer_list(
    *,
    user: User,
    q: str = "",
    grade: str = "",
    region: int | None = None,
    industry: int | None = None,
) -> QuerySet[Customer]:
    """Pool customers with when they were released and the previous owner's team. One query per page;
    only the columns a pool page may show (C11: no phone, no contacts)."""
    if not pool_visible_to(user):
        return Customer.objects.none()
    last_release = PoolRelease.objects.filter(customer=OuterRef("pk")).order_by("-released_at", "-id")
    qs = Customer.objects.filter(owner__isnull=True)
    q = (q or "").strip()
    if q:  # by name only: searching the pool by phone would reveal whose number it is (C11)
        qs = qs.filter(name__icontains=q)
    qs = customer_filter(qs, grade=grade, region=region, industry=industry)
    return (
        qs.select_related("region", "industry")
        .only("id", "name", "grade", "status", "region__name", "industry__name", "owner", "updated_at")
        .annotate(
            released_at=Subquery(last_release.values("released_at")[:1]),
            previous_owner_team=Subquery(last_release.values("previous_owner__department__name")[:1]),
            previous_owner_id=Subquery(last_release.values("previous_owner_id")[:1]),
        )
    )


def pool_assign_candidates(*, manager: User) -> QuerySet[User]:
    """Whom a manager may give a pool customer to: active sales people of their team (anyone, for the top)."""
    from crm.services.pool import CLAIMING_ROLES

    qs = User.objects.filter(is_active=True, groups__name__in=CLAIMING_ROLES).distinct()
    if not manager.sees_everything:
        qs = qs.filter(pk__in=crm_policy.team_member_ids(manager))
    return qs.order_by("display_name", "username")


def pool_at_risk_for(*, user: User, limit: int = 10) -> list[Customer]:
    """C9 "my day": my customers past the (smallest) warn threshold, the longest silent first."""
    import datetime as dt

    from django.utils import timezone

    from common.timeutil import start_of_local_day
    from crm.contact_clock import clock_expression

    warn = smallest_warn_days(pool_policy_once(user))
    cutoff = start_of_local_day(timezone.localdate() - dt.timedelta(days=warn - 1))
    # The one clock (crm.contact_clock), which customer_owner_clock_idx indexes per owner: a range scan in
    # clock order that stops at the limit.
    return list(
        Customer.objects.filter(owner=user)
        .annotate(pool_clock=clock_expression())
        .filter(pool_clock__lt=cutoff)
        .order_by("pool_clock", "id")[:limit]
    )


def pool_customer_for_claim(*, user: User, pk: int) -> Customer:
    """A pool customer the user may act on. Issue 17: when it has just left the pool (another rep won
    the race), the answer is "already claimed" (409), not a bare 404 — only for customers that were in
    the pool, so nothing is learned about the rest of the customer book."""
    from django.utils.translation import gettext as _

    from common.errors import Conflict, NotFound

    customer = pool_customer_list(user=user).filter(pk=pk).first()
    if customer is not None:
        return customer
    if pool_visible_to(user) and PoolRelease.objects.filter(customer_id=pk).exists():
        raise Conflict(_("该客户已被他人领取或分配，不在公海中了。"), code="already_claimed")
    raise NotFound(_("客户不存在。"))
