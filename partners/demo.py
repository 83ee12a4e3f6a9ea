"""Demo data for partners (SPEC §3): partners (one with login partner1 / demo12345), referrals, an
account executive on some customers, and collision cases in every state. Runs after crm.demo."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import Customer, FollowUp, FollowUpChannel, Order, OrderLine, ProductCategory, Role, User
from partners.models import (
    CollisionAction,
    CollisionCase,
    CollisionEvent,
    ExecutiveAttachment,
    Partner,
    PartnerKind,
    Referral,
)
from partners.selectors import policy_for
from partners.services import collision_open, collision_transition, credit_shares_freeze

DEMO_PASSWORD = "demo12345"
A = CollisionAction


def _partner_login(username: str, name: str) -> User:
    user, _created = User.objects.get_or_create(username=username, defaults={"display_name": name})
    user.set_password(DEMO_PASSWORD)
    user.display_name = name
    user.save()
    user.groups.set([Group.objects.get_or_create(name=Role.PARTNER)[0]])
    return user


def seed(ctx: dict[str, Any]) -> None:
    if Partner.objects.exists() or not Customer.objects.exists():
        return
    policy_for()
    now = timezone.now()
    rng = ctx["rng"]
    admin: User = ctx["admin"]
    reps: list[User] = ctx["reps"]
    executive: User = ctx["executive"]
    east, north = ctx["regions"][:2]

    p1_user = _partner_login("partner1", "宋合伙")
    partners = Partner.objects.bulk_create(
        [
            Partner(
                name="宋合伙",
                kind=PartnerKind.STRATEGIC,
                region=east,
                phone="13700000001",
                bank_name="招商银行上海分行",
                account_holder="宋合伙",
                account_number="6225880000000001",
                user=p1_user,
            ),
            Partner(name="韩合伙", kind=PartnerKind.STRATEGIC, region=north, phone="13700000002"),
            Partner(name="唐合伙", kind=PartnerKind.ORDINARY, phone="13700000003", bank_name="工商银行"),
            Partner(name="许合伙", kind=PartnerKind.ORDINARY, phone="13700000004"),
        ]
    )
    p1, _p2, p3, p4 = partners

    customers = list(Customer.objects.filter(owner__isnull=False).select_related("owner").order_by("id")[:60])
    # A strategic partner manages a few customers in their region (owned by the partner's login).
    for c in customers[50:54]:
        Customer.objects.filter(pk=c.pk).update(owner=p1_user, owned_since=now - dt.timedelta(days=30))

    # Referrals (P2/P4): each feeds a share of future orders of that customer.
    Referral.objects.bulk_create(
        [
            Referral(
                partner=p1, customer=customers[0], share=Decimal("0.10"), created_by=admin, note="展会推荐"
            ),
            Referral(partner=p3, customer=customers[1], share=Decimal("0.08"), created_by=admin),
            Referral(partner=p4, customer=customers[2], share=Decimal("0.05"), created_by=admin),
            Referral(partner=p1, customer=customers[3], share=Decimal("0.10"), created_by=admin),
        ]
    )

    # Account executive attached to some of the first team's customers (cannot be ended).
    exec_customers = [*[c for c in customers if c.owner_id == reps[0].pk][:4], customers[0]]
    ExecutiveAttachment.objects.bulk_create(
        [
            ExecutiveAttachment(
                customer=c,
                executive=executive,
                attached_by=c.owner or admin,
                attached_at=now - dt.timedelta(days=20),
            )
            for c in {c.pk: c for c in exec_customers}.values()
            if c.owner_id != executive.pk
        ]
    )
    Customer.objects.filter(pk__in=[c.pk for c in exec_customers]).update(account_executive=executive)

    # Collision cases: claimant = a rep from another team, with a follow-up of their own as evidence.
    def claim(customer: Customer, claimant: User, *, days_ago: float, source: str) -> CollisionCase:
        FollowUp.objects.create(
            customer=customer,
            author=claimant,
            occurred_at=now - dt.timedelta(days=days_ago, hours=2),
            channel=FollowUpChannel.PHONE_FIRST,
            topic="客户来电咨询",
            outcome="客户表示也在与其他同事沟通",
        )
        case = collision_open(
            customer=customer,
            claimant=claimant,
            source=source,
            registered_at=now - dt.timedelta(days=days_ago),
            statement="我方先接到客户来电。",
        )
        assert case is not None
        return case

    def other_rep(c: Customer) -> User:
        return next(r for r in reps if r.department_id != (c.owner.department_id if c.owner else None))

    pool = customers[10:20]
    # 1) open, first registered proposed
    claim(pool[0], other_rep(pool[0]), days_ago=0, source="customer_create")
    # 2) awaiting deal (same day)
    Customer.objects.filter(pk=pool[1].pk).update(owned_since=now - dt.timedelta(hours=5))
    pool[1].refresh_from_db()
    claim(pool[1], other_rep(pool[1]), days_ago=0.05, source="lead_import")
    # 3) resolved: the claimant accepted "first registered wins"
    c3 = claim(pool[2], other_rep(pool[2]), days_ago=0, source="pool_claim")
    collision_transition(case=c3, action=A.ACCEPT, by=other_rep(pool[2]))
    # 4) resolved: cooperation 50/50 (default split)
    c4 = claim(pool[3], other_rep(pool[3]), days_ago=0, source="opportunity")
    split = policy_for().default_split
    ids = [p.pk for p in c4.parties.order_by("id")]
    collision_transition(
        case=c4, action=A.PROPOSE_SPLIT, by=other_rep(pool[3]), shares={ids[0]: split, ids[1]: 1 - split}
    )
    collision_transition(case=c4, action=A.CONFIRM_SPLIT, by=pool[3].owner)
    # 5) escalated, waiting for the regional manager
    c5 = claim(pool[4], other_rep(pool[4]), days_ago=0, source="customer_create")
    collision_transition(case=c5, action=A.ESCALATE, by=other_rep(pool[4]), reason="双方各执一词")
    # 6) decided by the regional manager (ownership moved, linked to the case)
    c6 = claim(pool[5], other_rep(pool[5]), days_ago=0, source="customer_create")
    collision_transition(case=c6, action=A.ESCALATE, by=pool[5].owner, reason="协商不成")
    winner = c6.parties.get(user=other_rep(pool[5]))
    manager = c6.region.manager if c6.region else None
    if manager is not None:
        collision_transition(
            case=c6, action=A.DECIDE, by=manager, winner_party_id=winner.pk, reason="乙方沟通记录完整且更早"
        )
    # 7) a partner ran into a rep's customer
    claim_p = collision_open(
        customer=pool[6],
        claimant=p3,
        source="opportunity",
        by=admin,
        registered_at=now - dt.timedelta(days=3),
    )
    assert claim_p is not None
    # Spread the opened times over the last weeks so the monthly report has durations.
    for case in CollisionCase.objects.filter(pk__in=[c3.pk, c4.pk, c6.pk]):
        back = dt.timedelta(days=rng.randint(2, 12))
        CollisionCase.objects.filter(pk=case.pk).update(opened_at=case.opened_at - back)
        CollisionEvent.objects.filter(case=case, action=A.OPEN).update(at=case.opened_at - back)

    # Two demo orders (own numbers "PD…") showing referral, executive and cooperation credit.
    for i, customer in enumerate([customers[0], pool[3]]):
        customer.refresh_from_db()
        assert customer.owner is not None
        order = Order.objects.create(
            number=f"PD{now:%Y%m}{i + 1:04d}",
            customer=customer,
            owner=customer.owner,
            booked_at=now - dt.timedelta(days=1),
        )
        OrderLine.objects.create(
            order=order,
            product="标准产品",
            category=ProductCategory.REGULAR,
            quantity=Decimal("2"),
            list_price=Decimal("12000.00"),
            unit_price=Decimal("11800.00"),
        )
        order.total = order.recompute_total()
        order.save(update_fields=["total"])
        credit_shares_freeze(order=order)
    ctx["partners"] = partners
    ctx["partner_login"] = p1_user
