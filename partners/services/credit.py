"""P4: who gets credit for a sale. Commissions read only the CreditShare rows written here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When

from common.timeutil import local_date
from crm.models import Order
from partners.models import CollisionCase, CollisionRule, CollisionStatus, CreditRole, CreditShare, Referral
from partners.selectors import policy_for

SHARE_QUANTUM = Decimal("0.000001")  # RateField precision
ONE = Decimal("1")

Holder = tuple[str, Any]  # ("user" | "partner", id)


def _cooperation_parts(order: Order) -> list[tuple[Holder, Decimal]] | None:
    """P3.3/P3.4: the latest split agreed (or decided) on this customer, if the order's owner is a party
    to it — the split then carries to the sale."""
    case = (
        CollisionCase.objects.filter(
            customer_id=order.customer_id,
            status=CollisionStatus.RESOLVED,
            resolution__in=[CollisionRule.COOPERATION, CollisionRule.MANAGER],
            winner__isnull=True,
        )
        .order_by("-resolved_at", "-id")
        .first()
    )
    if case is None:
        return None
    parts: list[tuple[Holder, Decimal]] = []
    owner_is_party = False
    for p in case.parties.select_related("partner").order_by("id"):
        if not p.split_share:
            return None
        if p.acting_user_id == order.owner_id:
            owner_is_party = True
            parts.append((("user", order.owner_id), p.split_share))
        elif p.user_id:
            parts.append((("user", p.user_id), p.split_share))
        else:
            parts.append((("partner", p.partner_id), p.split_share))
    return parts if owner_is_party else None


def credit_shares_compute(*, order: Order) -> list[CreditShare]:
    """The shares the rules give this order now (unsaved), summing to exactly 1.

    Partner referral takes its share off the top; the rest goes to the owner — or to the parties of an
    agreed collision split — and, with an account executive attached, 70:30 (policy) between the
    account-manager side and the executive [002 §10].
    """
    policy = policy_for(day=local_date(order.booked_at))
    customer = order.customer
    referral = (
        Referral.objects.filter(customer_id=order.customer_id)
        .filter(Q(order__isnull=True) | Q(order=order))
        .annotate(
            specific=Case(When(order=order, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("specific", "-id")
        .first()
    )
    referral_share = referral.share if referral else Decimal("0")
    base = ONE - referral_share
    exec_id = customer.account_executive_id
    exec_share = policy.executive_share if exec_id and exec_id != order.owner_id else Decimal("0")
    manager_side = base * (ONE - exec_share)

    parts = _cooperation_parts(order) or [(("user", order.owner_id), ONE)]
    raw: list[tuple[Holder, Any, Decimal]] = []
    for holder, fraction in parts:
        role: Any = CreditRole.OWNER if holder == ("user", order.owner_id) else CreditRole.COLLISION
        raw.append((holder, role, manager_side * fraction))
    if exec_share:
        raw.append((("user", exec_id), CreditRole.EXECUTIVE, base * exec_share))
    if referral is not None:
        raw.append((("partner", referral.partner_id), CreditRole.REFERRAL, referral_share))

    merged: dict[tuple[Holder, Any], Decimal] = {}
    for holder, role, share in raw:
        merged[(holder, role)] = merged.get((holder, role), Decimal("0")) + share
    rounded = {k: v.quantize(SHARE_QUANTUM, rounding=ROUND_HALF_UP) for k, v in merged.items()}
    # Exactly 1: the rounding remainder (a few millionths at most) goes to the owner's row.
    remainder = ONE - sum(rounded.values(), Decimal("0"))
    owner_key = (
        next(k for k in rounded if k[1] == CreditRole.OWNER)
        if any(k[1] == CreditRole.OWNER for k in rounded)
        else max(rounded, key=lambda k: rounded[k])
    )
    rounded[owner_key] += remainder
    shares = []
    for ((kind, holder_id), role), share in rounded.items():
        if share <= 0:
            continue
        shares.append(
            CreditShare(
                order=order,
                user_id=holder_id if kind == "user" else None,
                partner_id=holder_id if kind == "partner" else None,
                role=role,
                share=share,
            )
        )
    assert sum((s.share for s in shares), Decimal("0")) == ONE
    return shares


@transaction.atomic
def credit_shares_freeze(*, order: Order) -> list[CreditShare]:
    """P4: fix the order's credit holders when it is booked. Called once by the order-booking service;
    safe to call again (returns the frozen shares). Later ownership changes never rewrite them.

    It first settles a "closer wins" collision on the customer (P3.2, `collision_resolve_on_order`).
    """
    from partners.services.collisions import collision_resolve_on_order

    order = Order.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)
    if order.credit_shares.exists():
        return list(order.credit_shares.all())
    collision_resolve_on_order(order=order)
    return CreditShare.objects.bulk_create(credit_shares_compute(order=order))
