"""P4 credit on a sale: frozen at booking, executive 70:30 that cannot be undone, splits, referrals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from common.errors import Conflict, DomainError
from crm.services.customers import customer_assign, customer_update
from partners.models import CollisionAction, CreditRole, CreditShare, ExecutiveAttachment, PartnersPolicy
from partners.selectors import policy_for
from partners.services import (
    account_executive_attach,
    account_executive_detach,
    collision_open,
    collision_transition,
    credit_shares_freeze,
    referral_create,
)
from tests.factories import CustomerFactory
from tests.partners.factories import PartnerFactory, book_order

A = CollisionAction


def shares_of(order):  # type: ignore[no-untyped-def]
    return {
        (s.user_id or f"p{s.partner_id}", s.role): s.share for s in CreditShare.objects.filter(order=order)
    }


def total(order) -> Decimal:  # type: ignore[no-untyped-def]
    return sum(CreditShare.objects.filter(order=order).values_list("share", flat=True), Decimal("0"))


def test_owner_alone_gets_100_percent(org):
    customer = CustomerFactory(owner=org.rep_a1)
    order = book_order(owner=org.rep_a1, customer=customer)
    credit_shares_freeze(order=order)
    assert shares_of(order) == {(org.rep_a1.pk, CreditRole.OWNER): Decimal("1")}


def test_executive_70_30_and_frozen_against_later_owner_change(org):
    customer = CustomerFactory(owner=org.rep_a1)
    account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
    order = book_order(owner=org.rep_a1, customer=customer)
    credit_shares_freeze(order=order)
    expected = {
        (org.rep_a1.pk, CreditRole.OWNER): Decimal("0.7"),
        (org.executive.pk, CreditRole.EXECUTIVE): Decimal("0.3"),
    }
    assert shares_of(order) == expected
    # when the customer moves to another rep afterwards
    customer_assign(customer=customer, to_user=org.rep_a2, by=org.manager_a)
    credit_shares_freeze(order=order)  # a second call returns the frozen shares
    assert shares_of(order) == expected


def test_executive_split_is_the_policy_in_force_on_the_booking_date(org):
    PartnersPolicy.objects.create(effective_from=dt.date(2026, 1, 1), executive_share=Decimal("0.25"))
    customer = CustomerFactory(owner=org.rep_a1)
    account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
    order = book_order(
        owner=org.rep_a1, customer=customer, booked_at=timezone.make_aware(dt.datetime(2026, 3, 1))
    )
    credit_shares_freeze(order=order)
    assert shares_of(order)[(org.executive.pk, CreditRole.EXECUTIVE)] == Decimal("0.25")


class TestExecutiveAttachCannotBeUndone:
    def test_detach_and_change_are_refused(self, org):
        customer = CustomerFactory(owner=org.rep_a1)
        account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
        with pytest.raises(Conflict):
            account_executive_detach(customer=customer, by=org.rep_a1)
        from crm.models import Role
        from tests.factories import UserFactory

        other_exec = UserFactory(username="exec2", roles=[Role.ACCOUNT_EXECUTIVE])
        with pytest.raises(Conflict) as exc:
            account_executive_attach(customer=customer, executive=other_exec, by=org.manager_a)
        assert exc.value.code == "executive_locked"
        # and the customer edit service cannot touch it either
        with pytest.raises(DomainError):
            customer_update(customer=customer, by=org.rep_a1, account_executive=None)
        customer.refresh_from_db()
        assert customer.account_executive == org.executive
        assert ExecutiveAttachment.objects.get(customer=customer).executive == org.executive

    def test_only_the_account_manager_side_attaches_an_executive(self, org):
        customer = CustomerFactory(owner=org.rep_a1)
        with pytest.raises(DomainError) as exc:
            account_executive_attach(customer=customer, executive=org.executive, by=org.rep_b1)
        assert exc.value.status == 403
        with pytest.raises(DomainError):
            account_executive_attach(
                customer=customer, executive=org.rep_a2, by=org.rep_a1
            )  # not an executive
        assert not ExecutiveAttachment.objects.exists()


def _cooperation(org, shares):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(
        owner=org.rep_a1, owned_since=timezone.now() - dt.timedelta(days=10), region=org.region
    )
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    a = case.parties.get(user=org.rep_a1)
    b = case.parties.get(user=org.rep_b1)
    collision_transition(
        case=case, action=A.PROPOSE_SPLIT, by=org.rep_a1, shares={a.pk: shares[0], b.pk: shares[1]}
    )
    collision_transition(case=case, action=A.CONFIRM_SPLIT, by=org.rep_b1)
    return customer


def test_cooperation_split_carries_to_the_sale(org):
    customer = _cooperation(org, ("0.5", "0.5"))
    order = book_order(owner=org.rep_a1, customer=customer)
    credit_shares_freeze(order=order)
    assert shares_of(order) == {
        (org.rep_a1.pk, CreditRole.OWNER): Decimal("0.5"),
        (org.rep_b1.pk, CreditRole.COLLISION): Decimal("0.5"),
    }


def test_three_way_split_executive_and_referral_sum_exactly_to_one(org):
    customer = CustomerFactory(
        owner=org.rep_a1, owned_since=timezone.now() - dt.timedelta(days=10), region=org.region
    )
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    case = collision_open(customer=customer, claimant=org.rep_a2, source="pool_claim")
    ids = {p.user_id: p.pk for p in case.parties.all()}
    third = Decimal("0.333333")
    collision_transition(
        case=case,
        action=A.PROPOSE_SPLIT,
        by=org.rep_a1,
        shares={
            ids[org.rep_a1.pk]: Decimal("0.333334"),
            ids[org.rep_b1.pk]: third,
            ids[org.rep_a2.pk]: third,
        },
    )
    collision_transition(case=case, action=A.CONFIRM_SPLIT, by=org.rep_b1)
    case = collision_transition(case=case, action=A.CONFIRM_SPLIT, by=org.rep_a2)
    assert case.status == "resolved"
    account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
    partner = PartnerFactory()
    referral_create(partner=partner, customer=customer, by=org.manager_a, share="0.07")
    order = book_order(owner=org.rep_a1, customer=customer)
    credit_shares_freeze(order=order)
    got = shares_of(order)
    assert total(order) == Decimal("1")
    assert got[(f"p{partner.pk}", CreditRole.REFERRAL)] == Decimal("0.07")
    assert got[(org.executive.pk, CreditRole.EXECUTIVE)] == Decimal("0.279000")  # 0.93 × 0.3
    # 0.93 × 0.7 = 0.651 split a third each, rounding remainder to the owner
    assert got[(org.rep_b1.pk, CreditRole.COLLISION)] == Decimal("0.217000")
    assert got[(org.rep_a2.pk, CreditRole.COLLISION)] == Decimal("0.217000")
    assert got[(org.rep_a1.pk, CreditRole.OWNER)] == Decimal("0.217000")


def test_referral_share_validated_and_refused_after_freeze(org):
    customer = CustomerFactory(owner=org.rep_a1)
    partner = PartnerFactory()
    with pytest.raises(DomainError):
        referral_create(partner=partner, customer=customer, by=org.manager_a, share="1.2")
    with pytest.raises(DomainError):
        referral_create(partner=partner, customer=customer, by=org.rep_a1, share="0.1")  # reps don't record
    order = book_order(owner=org.rep_a1, customer=customer)
    credit_shares_freeze(order=order)
    with pytest.raises(Conflict):
        referral_create(partner=partner, customer=customer, order=order, by=org.manager_a, share="0.1")
    assert (
        referral_create(partner=partner, customer=customer, by=org.manager_a).share
        == policy_for().referral_share
    )


@settings(max_examples=25, deadline=None)
@given(
    a=st.integers(min_value=1, max_value=999_998),
    exec_share=st.integers(min_value=0, max_value=99),
    ref=st.integers(min_value=0, max_value=99),
)
@pytest.mark.django_db
def test_shares_always_sum_to_exactly_one(a, exec_share, ref):
    from crm.models import Role
    from partners.services.credit import credit_shares_compute
    from tests.factories import UserFactory

    owner = UserFactory(username="h_owner")
    other = UserFactory(username="h_other")
    executive = UserFactory(username="h_exec", roles=[Role.ACCOUNT_EXECUTIVE])
    policy = policy_for()
    policy.executive_share = Decimal(exec_share) / 100
    policy.save()
    customer = CustomerFactory(owner=owner, owned_since=timezone.now() - dt.timedelta(days=5))
    if exec_share:
        account_executive_attach(customer=customer, executive=executive, by=owner)
    case = collision_open(customer=customer, claimant=other, source="customer_create")
    ids = {p.user_id: p.pk for p in case.parties.all()}
    share_a = Decimal(a) / Decimal(1_000_000)
    collision_transition(
        case=case,
        action=A.PROPOSE_SPLIT,
        by=owner,
        shares={ids[owner.pk]: share_a, ids[other.pk]: 1 - share_a},
    )
    collision_transition(case=case, action=A.CONFIRM_SPLIT, by=other)
    if ref:
        referral_create(
            partner=PartnerFactory(),
            customer=customer,
            by=UserFactory(username="h_admin", is_superuser=True),
            share=Decimal(ref) / 100,
        )
    order = book_order(owner=owner, customer=customer)
    shares = credit_shares_compute(order=order)
    assert sum((s.share for s in shares), Decimal("0")) == Decimal("1")
    assert all(s.share > 0 for s in shares)
