"""P3 collisions: detection at customer creation, each resolution path, deadlines, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from common.errors import Conflict, DomainError
from crm.models import Customer, OwnershipChange, OwnershipReason
from crm.services.customers import DuplicateCustomer, customer_create
from partners.models import (
    CollisionAction,
    CollisionCase,
    CollisionEvent,
    CollisionRule,
    CollisionStatus,
    PartnerKind,
    PartnersPolicy,
    Referral,
)
from partners.selectors import policy_for
from partners.services import (
    CollisionOpened,
    collision_escalate_overdue,
    collision_open,
    collision_resolve_on_order,
    collision_transition,
)
from tests.factories import CustomerFactory, FollowUpFactory
from tests.partners.factories import PartnerFactory, book_order

A = CollisionAction
S = CollisionStatus

CUSTOMER_DATA = {
    "name": "上海星河科技有限公司",
    "contact_person": "王经理",
    "contact_position": "总经理",
    "phone": "13912345678",
    "status": "prospect",
}


def at(y: int, m: int, d: int, hh: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, 0))


def old_customer(org, *, owner=None, days_ago: int = 10, **kw):  # type: ignore[no-untyped-def]
    owner = owner or org.rep_a1
    since = timezone.now() - dt.timedelta(days=days_ago)
    return CustomerFactory(owner=owner, owned_since=since, region=org.region, **kw)


def party(case, user):  # type: ignore[no-untyped-def]
    return next(p for p in case.parties.all() if p.user_id == user.pk)


class TestDetectionAtCustomerCreation:
    def test_another_reps_customer_opens_a_case_and_no_twin(self, org):
        # given rep_a1 registered the customer ten days ago
        existing = old_customer(org, name=CUSTOMER_DATA["name"])
        # when rep_b1 tries to create it
        with pytest.raises(CollisionOpened) as exc:
            customer_create(by=org.rep_b1, **{**CUSTOMER_DATA, "phone": "13800000001"})
        # then there is still one customer, and one case naming both parties
        assert Customer.objects.filter(name_normalized=existing.name_normalized).count() == 1
        case = CollisionCase.objects.get()
        assert exc.value.case == case
        assert "撞单" in str(exc.value.message) and f"#{case.pk}" in str(exc.value.message)
        assert {p.user_id for p in case.parties.all()} == {org.rep_a1.pk, org.rep_b1.pk}
        assert case.region == org.region
        # rule 1 proposes the first registered (rep_a1)
        assert case.status == S.OPEN
        assert case.proposed_rule == CollisionRule.FIRST_REGISTERED
        assert case.proposed_winner.user == org.rep_a1
        assert list(case.events.values_list("action", flat=True)) == [A.OPEN]

    def test_own_customer_or_pool_customer_is_a_plain_duplicate(self, org):
        CustomerFactory(owner=org.rep_a1, name=CUSTOMER_DATA["name"])
        with pytest.raises(DuplicateCustomer) as exc:
            customer_create(by=org.rep_a1, **CUSTOMER_DATA)
        assert not isinstance(exc.value, CollisionOpened)
        CustomerFactory(owner=None, name="公海客户有限公司")
        with pytest.raises(DuplicateCustomer) as exc2:
            customer_create(
                by=org.rep_b1, **{**CUSTOMER_DATA, "name": "公海客户有限公司", "phone": "13800000002"}
            )
        assert "公海" in str(exc2.value.message)
        assert CollisionCase.objects.count() == 0

    def test_second_attempt_by_same_claimant_does_not_add_a_party(self, org):
        old_customer(org, name=CUSTOMER_DATA["name"])
        for _ in range(2):
            with pytest.raises(CollisionOpened):
                customer_create(by=org.rep_b1, **{**CUSTOMER_DATA, "phone": "13800000001"})
        assert CollisionCase.objects.count() == 1
        assert CollisionCase.objects.get().parties.count() == 2

    def test_third_claimant_joins_the_open_case(self, org):
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="lead_import")
        same = collision_open(customer=customer, claimant=org.rep_a2, source="pool_claim")
        assert same.pk == case.pk
        assert case.parties.count() == 3
        assert CollisionEvent.objects.filter(case=case, action=A.JOIN).count() == 1

    def test_partner_claimant(self, org):
        customer = old_customer(org)
        partner = PartnerFactory(kind=PartnerKind.ORDINARY)
        case = collision_open(customer=customer, claimant=partner, source="opportunity", by=org.admin)
        assert case.parties.filter(partner=partner).exists()


class TestRule1FirstRegistered:
    def test_loser_accepts_and_owner_stays(self, org):
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        # the proposed winner cannot "accept" for the other side
        with pytest.raises(Conflict):
            collision_transition(case=case, action=A.ACCEPT, by=org.rep_a1)
        case = collision_transition(case=case, action=A.ACCEPT, by=org.rep_b1)
        assert case.status == S.RESOLVED
        assert case.resolution == CollisionRule.FIRST_REGISTERED
        assert case.winner.user == org.rep_a1
        customer.refresh_from_db()
        assert customer.owner == org.rep_a1
        assert not OwnershipChange.objects.filter(collision_id=case.pk).exists()

    def test_earlier_registered_claimant_wins_and_ownership_moves_with_link(self, org):
        # given the claimant registered an opportunity two days before the holder got the customer
        customer = old_customer(org, days_ago=1)
        case = collision_open(
            customer=customer,
            claimant=org.rep_b1,
            source="opportunity",
            registered_at=timezone.now() - dt.timedelta(days=3),
        )
        assert case.proposed_winner.user == org.rep_b1
        case = collision_transition(case=case, action=A.ACCEPT, by=org.rep_a1)
        customer.refresh_from_db()
        assert customer.owner == org.rep_b1
        change = OwnershipChange.objects.get(collision_id=case.pk)
        assert change.reason == OwnershipReason.COLLISION
        assert change.from_user == org.rep_a1 and change.to_user == org.rep_b1


class TestTimeTolerance:
    def test_same_local_day_cannot_tell_apart_so_the_closer_wins(self, org):
        customer = CustomerFactory(owner=org.rep_a1, owned_since=at(2026, 11, 20, 9), region=org.region)
        case = collision_open(
            customer=customer, claimant=org.rep_b1, source="lead_import", registered_at=at(2026, 11, 20, 23)
        )
        assert case.status == S.AWAITING_DEAL
        assert case.proposed_rule == CollisionRule.CLOSER
        assert case.proposed_winner is None

    def test_next_day_is_told_apart(self, org):
        customer = CustomerFactory(owner=org.rep_a1, owned_since=at(2026, 11, 20, 23), region=org.region)
        case = collision_open(
            customer=customer, claimant=org.rep_b1, source="lead_import", registered_at=at(2026, 11, 21, 0)
        )
        assert case.status == S.OPEN
        assert case.proposed_winner.user == org.rep_a1

    def test_tolerance_is_a_setting(self, org):
        policy = policy_for()
        policy.same_day_tolerance_days = 1
        policy.save()
        customer = CustomerFactory(owner=org.rep_a1, owned_since=at(2026, 11, 20, 23), region=org.region)
        case = collision_open(
            customer=customer, claimant=org.rep_b1, source="lead_import", registered_at=at(2026, 11, 21, 9)
        )
        assert case.status == S.AWAITING_DEAL


class TestRule2Closer:
    def _same_day_case(self, org):  # type: ignore[no-untyped-def]
        customer = CustomerFactory(owner=org.rep_a1, owned_since=timezone.now(), region=org.region)
        return customer, collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")

    def test_the_party_who_books_the_order_wins(self, org):
        customer, case = self._same_day_case(org)
        order = book_order(owner=org.rep_b1, customer=customer)
        resolved = collision_resolve_on_order(order=order)
        assert resolved.pk == case.pk
        assert resolved.status == S.RESOLVED and resolved.resolution == CollisionRule.CLOSER
        assert resolved.winner.user == org.rep_b1 and resolved.order == order
        customer.refresh_from_db()
        assert customer.owner == org.rep_b1
        assert OwnershipChange.objects.get(collision_id=case.pk).to_user == org.rep_b1
        # a second call (e.g. the freeze) changes nothing
        assert collision_resolve_on_order(order=order) is None

    def test_an_order_by_a_non_party_decides_nothing(self, org):
        customer, case = self._same_day_case(org)
        order = book_order(owner=org.rep_a2, customer=customer)
        assert collision_resolve_on_order(order=order) is None
        case.refresh_from_db()
        assert case.status == S.AWAITING_DEAL

    def test_a_person_cannot_close_on_order(self, org):
        customer, case = self._same_day_case(org)
        order = book_order(owner=org.rep_b1, customer=customer)
        with pytest.raises(DomainError):
            collision_transition(case=case, action=A.CLOSE_ON_ORDER, by=org.rep_b1, order=order)


class TestRule3Cooperation:
    def test_split_confirmed_by_each_party(self, org):
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        a, b = party(case, org.rep_a1), party(case, org.rep_b1)
        case = collision_transition(
            case=case, action=A.PROPOSE_SPLIT, by=org.rep_b1, shares={a.pk: "0.6", b.pk: "0.4"}
        )
        assert case.status == S.SPLIT_PROPOSED
        case = collision_transition(case=case, action=A.CONFIRM_SPLIT, by=org.rep_a1)
        assert case.status == S.RESOLVED and case.resolution == CollisionRule.COOPERATION
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.split_share, b.split_share) == (Decimal("0.6"), Decimal("0.4"))
        customer.refresh_from_db()
        assert customer.owner == org.rep_a1
        assert [e.action for e in case.events.all()] == [A.OPEN, A.PROPOSE_SPLIT, A.CONFIRM_SPLIT]

    @pytest.mark.parametrize("shares", [("0.6", "0.3"), ("0.5", "0.6"), ("1", "0"), ("abc", "0.5")])
    def test_split_not_summing_to_100_is_refused_and_nothing_changes(self, org, shares):
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        a, b = party(case, org.rep_a1), party(case, org.rep_b1)
        with pytest.raises(DomainError) as exc:
            collision_transition(
                case=case, action=A.PROPOSE_SPLIT, by=org.rep_b1, shares={a.pk: shares[0], b.pk: shares[1]}
            )
        assert exc.value.field == "shares"
        case.refresh_from_db()
        assert case.status == S.OPEN
        assert case.events.count() == 1

    def test_rejecting_a_split_returns_to_the_rule_proposal(self, org):
        customer = CustomerFactory(owner=org.rep_a1, owned_since=timezone.now(), region=org.region)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        a, b = party(case, org.rep_a1), party(case, org.rep_b1)
        collision_transition(
            case=case, action=A.PROPOSE_SPLIT, by=org.rep_a1, shares={a.pk: "0.5", b.pk: "0.5"}
        )
        case = collision_transition(case=case, action=A.REJECT_SPLIT, by=org.rep_b1, reason="不同意")
        assert case.status == S.AWAITING_DEAL


class TestRule4Escalation:
    def test_working_day_deadline_across_national_day(self, org):
        # given a case opened on Wed 2026-09-30 (3 working days: Oct 8, 9 and the adjusted Sat Oct 10)
        customer = old_customer(org, days_ago=30)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        CollisionCase.objects.filter(pk=case.pk).update(opened_at=at(2026, 9, 30))
        case.refresh_from_db()
        from common.workdays import add_workdays

        CollisionCase.objects.filter(pk=case.pk).update(deadline=add_workdays(dt.date(2026, 9, 30), 3))
        case.refresh_from_db()
        assert case.deadline == dt.date(2026, 10, 10)
        # when the task runs during the holiday and on the last working day: nothing
        assert collision_escalate_overdue(today=dt.date(2026, 10, 7)) == 0
        assert collision_escalate_overdue(today=dt.date(2026, 10, 10)) == 0
        # then the next day it goes to the regional manager, once
        assert collision_escalate_overdue(today=dt.date(2026, 10, 11)) == 1
        assert collision_escalate_overdue(today=dt.date(2026, 10, 12)) == 0
        case.refresh_from_db()
        assert case.status == S.ESCALATED
        event = case.events.get(action=A.ESCALATE)
        assert event.by is None and event.from_status == S.OPEN

    def test_deadline_uses_the_policy_and_prc_calendar(self, org, monkeypatch):
        policy = policy_for()
        policy.escalate_after_workdays = 5
        policy.save()
        monkeypatch.setattr("partners.services.collisions.timezone.now", lambda: at(2026, 9, 30, 15))
        customer = old_customer(org, days_ago=30)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        # Oct 8, 9, 10 (adjusted workday), 12, 13
        assert case.deadline == dt.date(2026, 10, 13)

    def test_awaiting_deal_is_not_escalated_by_the_clock(self, org):
        customer = CustomerFactory(owner=org.rep_a1, owned_since=timezone.now(), region=org.region)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        assert collision_escalate_overdue(today=case.deadline + dt.timedelta(days=30)) == 0

    def _escalated(self, org):  # type: ignore[no-untyped-def]
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        case = collision_transition(case=case, action=A.ESCALATE, by=org.rep_b1, reason="协商不成")
        return customer, case

    def test_regional_manager_decides_with_reason_final_and_moves_ownership(self, org):
        customer, case = self._escalated(org)
        b = party(case, org.rep_b1)
        with pytest.raises(DomainError) as exc:
            collision_transition(case=case, action=A.DECIDE, by=org.regional_manager, winner_party_id=b.pk)
        assert exc.value.code == "reason_required"
        case = collision_transition(
            case=case,
            action=A.DECIDE,
            by=org.regional_manager,
            winner_party_id=b.pk,
            reason="乙方沟通记录更早",
        )
        assert case.status == S.RESOLVED and case.resolution == CollisionRule.MANAGER
        assert case.decided_by == org.regional_manager and case.decision_reason == "乙方沟通记录更早"
        customer.refresh_from_db()
        assert customer.owner == org.rep_b1
        change = OwnershipChange.objects.get(collision_id=case.pk)
        assert change.changed_by == org.regional_manager
        # final: no further step
        with pytest.raises(Conflict):
            collision_transition(
                case=case, action=A.DECIDE, by=org.regional_manager, winner_party_id=b.pk, reason="改判"
            )

    @pytest.mark.parametrize("who", ["manager_a", "manager_b", "president", "rep_a1"])
    def test_decision_by_someone_not_the_regions_manager_is_refused(self, org, who):
        _customer, case = self._escalated(org)
        b = party(case, org.rep_b1)
        with pytest.raises(DomainError) as exc:
            collision_transition(
                case=case, action=A.DECIDE, by=getattr(org, who), winner_party_id=b.pk, reason="x"
            )
        assert exc.value.status == 403
        case.refresh_from_db()
        assert case.status == S.ESCALATED

    def test_manager_may_decide_a_split(self, org):
        _customer, case = self._escalated(org)
        a, b = party(case, org.rep_a1), party(case, org.rep_b1)
        case = collision_transition(
            case=case,
            action=A.DECIDE,
            by=org.regional_manager,
            shares={a.pk: "0.7", b.pk: "0.3"},
            reason="共同跟进",
        )
        assert case.winner is None and case.resolution == CollisionRule.MANAGER


class TestPermissions:
    def test_a_party_acting_on_a_case_they_are_not_in_is_refused(self, org):
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        for action in (A.ACCEPT, A.ESCALATE):
            with pytest.raises(DomainError) as exc:
                collision_transition(case=case, action=action, by=org.rep_a2)
            assert exc.value.code == "not_a_party"
        a, b = party(case, org.rep_a1), party(case, org.rep_b1)
        with pytest.raises(DomainError):
            collision_transition(
                case=case, action=A.PROPOSE_SPLIT, by=org.rep_a2, shares={a.pk: "0.5", b.pk: "0.5"}
            )
        case.refresh_from_db()
        assert case.status == S.OPEN and case.events.count() == 1

    def test_partner_party_acts_through_its_login(self, org):
        from crm.models import User

        login = User.objects.create_user(username="p_login", password="x" * 10)
        partner = PartnerFactory(kind=PartnerKind.STRATEGIC, region=org.region, user=login)
        customer = old_customer(org)
        case = collision_open(
            customer=customer,
            claimant=partner,
            source="opportunity",
            registered_at=timezone.now() - dt.timedelta(days=20),
        )
        assert case.proposed_winner.partner == partner
        case = collision_transition(case=case, action=A.ACCEPT, by=org.rep_a1)
        customer.refresh_from_db()
        # a strategic partner with a login manages the customer
        assert customer.owner == login

    def test_ordinary_partner_winning_gets_a_referral_not_ownership(self, org):
        partner = PartnerFactory(kind=PartnerKind.ORDINARY)
        customer = old_customer(org)
        case = collision_open(customer=customer, claimant=partner, source="opportunity", by=org.admin)
        case = collision_transition(case=case, action=A.ESCALATE, by=org.rep_a1)
        p = case.parties.get(partner=partner)
        collision_transition(
            case=case, action=A.DECIDE, by=org.regional_manager, winner_party_id=p.pk, reason="合伙人先推荐"
        )
        customer.refresh_from_db()
        assert customer.owner == org.rep_a1
        assert (
            Referral.objects.get(partner=partner, customer=customer).share
            == PartnersPolicy.objects.get().referral_share
        )


def test_evidence_is_that_customers_logs_only(org):
    from partners.selectors import collision_evidence

    customer = old_customer(org)
    other = CustomerFactory(owner=org.rep_b1)
    FollowUpFactory(customer=customer, author=org.rep_a1, topic="甲的记录")
    FollowUpFactory(customer=other, author=org.rep_b1, topic="乙的其他客户")
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    FollowUpFactory(customer=customer, author=org.rep_b1, topic="乙的记录")
    evidence = {e["party"].user_id: [f.topic for f in e["followups"]] for e in collision_evidence(case)}
    assert evidence == {org.rep_a1.pk: ["甲的记录"], org.rep_b1.pk: ["乙的记录"]}


def test_default_split_is_the_policy_and_proposed_when_no_shares_given(org):
    policy = policy_for()
    policy.default_split = Decimal("0.6")
    policy.save()
    customer = old_customer(org)
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    case = collision_transition(case=case, action=A.PROPOSE_SPLIT, by=org.rep_b1)
    shares = {p.user_id: p.split_share for p in case.parties.all()}
    assert shares == {org.rep_a1.pk: Decimal("0.6"), org.rep_b1.pk: Decimal("0.4")}
    # with three parties the others share the rest equally and the total is exactly 1
    case2 = collision_open(customer=old_customer(org), claimant=org.rep_b1, source="customer_create")
    collision_open(customer=case2.customer, claimant=org.rep_a2, source="pool_claim")
    from partners.services import collision_default_split

    split = collision_default_split(case=case2)
    assert sorted(split.values()) == [Decimal("0.2"), Decimal("0.2"), Decimal("0.6")]
    assert sum(split.values()) == Decimal("1")


def test_strategic_partner_outside_their_region_gets_a_referral_not_the_customer(org):
    from crm.models import User

    login = User.objects.create_user(username="p_north", password="x" * 10)
    partner = PartnerFactory(kind=PartnerKind.STRATEGIC, region=org.region_b, user=login)
    customer = old_customer(org)  # in org.region (华东)
    case = collision_open(
        customer=customer,
        claimant=partner,
        source="opportunity",
        registered_at=timezone.now() - dt.timedelta(days=30),
    )
    collision_transition(case=case, action=A.ACCEPT, by=org.rep_a1)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1
    assert Referral.objects.filter(partner=partner, customer=customer).exists()


def test_three_parties_resolve_only_when_every_other_party_accepted(org):
    customer = old_customer(org)
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    case = collision_open(customer=customer, claimant=org.rep_a2, source="pool_claim")
    assert case.proposed_winner.user == org.rep_a1
    case = collision_transition(case=case, action=A.ACCEPT, by=org.rep_b1)
    assert case.status == S.OPEN
    case = collision_transition(case=case, action=A.ACCEPT, by=org.rep_a2)
    assert case.status == S.RESOLVED and case.winner.user == org.rep_a1


def test_a_party_may_escalate_a_same_day_case_to_the_manager(org):
    customer = CustomerFactory(owner=org.rep_a1, owned_since=timezone.now(), region=org.region)
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    assert case.status == S.AWAITING_DEAL
    case = collision_transition(case=case, action=A.ESCALATE, by=org.rep_a1, reason="对方不认可")
    assert case.status == S.ESCALATED
    # once escalated, an order no longer decides it (the manager does)
    order = book_order(owner=org.rep_b1, customer=customer)
    assert collision_resolve_on_order(order=order) is None
    case.refresh_from_db()
    assert case.status == S.ESCALATED
