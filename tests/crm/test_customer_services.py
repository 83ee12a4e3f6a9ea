import datetime as dt

import pytest
from django.utils import timezone

from common.errors import Conflict, DomainError
from crm import services
from crm.models import Customer, GradeChange, Outing, OwnershipChange, ReviewStatus
from crm.selectors import customer_review_queue

pytestmark = pytest.mark.django_db

VALID = {
    "name": "上海星河科技有限公司",
    "contact_person": "王芳",
    "contact_position": "采购总监",
    "phone": "13912345678",
    "status": "prospect",
}


def test_create_customer_is_pending_review_with_history(rep):
    customer = services.customer_create(by=rep, **VALID)

    assert customer.owner == rep
    assert customer.review_status == ReviewStatus.PENDING
    assert OwnershipChange.objects.get(customer=customer).to_user == rep
    assert GradeChange.objects.filter(customer=customer).count() == 1
    assert customer.contacts.get().name == "王芳"


def test_duplicate_by_normalised_name_does_not_name_the_owner_and_saves_nothing(rep, other_rep):
    services.customer_create(by=rep, **VALID)

    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_create(
            by=other_rep, **{**VALID, "name": " 上海星河科技有限公司。", "phone": "13800000000"}
        )

    # issue 17: the enquirer learns it exists, not who owns it
    assert "销售甲一" not in str(exc.value.message) and "已存在" in str(exc.value.message)
    assert "13912345678" not in str(exc.value.message)
    assert Customer.objects.count() == 1


def test_duplicate_by_full_width_name(rep, other_rep):
    services.customer_create(by=rep, **{**VALID, "name": "ACME Trading"})
    with pytest.raises(services.DuplicateCustomer):
        services.customer_create(
            by=other_rep, **{**VALID, "name": "ＡＣＭＥ　trading", "phone": "13800000000"}
        )


def test_duplicate_by_phone(rep, other_rep):
    services.customer_create(by=rep, **VALID)
    with pytest.raises(services.DuplicateCustomer):
        services.customer_create(by=other_rep, **{**VALID, "name": "另一家公司", "phone": "139-1234-5678"})


def test_malformed_phone_refused(rep):
    with pytest.raises(DomainError) as exc:
        services.customer_create(by=rep, **{**VALID, "phone": "12345"})
    assert exc.value.field == "phone"
    assert Customer.objects.count() == 0


def test_followup_sets_last_contacted(rep):
    customer = services.customer_create(by=rep, **VALID)
    followup = services.followup_create(customer=customer, by=rep, channel="visit_new", topic="首次拜访")
    customer.refresh_from_db()
    assert customer.last_contacted_at == followup.occurred_at


def test_vague_outing_refused(rep):
    with pytest.raises(DomainError) as exc:
        services.outing_register(by=rep, customer_name="外出")
    assert exc.value.code == "vague_destination"


def test_review_reject_needs_reason_then_works(rep, manager):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError):
        services.customer_review_transition(customer=customer, by=manager, to=ReviewStatus.REJECTED)
    customer = services.customer_review_transition(
        customer=customer, by=manager, to=ReviewStatus.REJECTED, reason="重复"
    )
    assert customer.review_status == ReviewStatus.REJECTED


def test_rep_cannot_review_own_customer(rep):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError):
        services.customer_review_transition(customer=customer, by=rep, to=ReviewStatus.APPROVED)


# --- C2 duplicate variants --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        {"name": "上海星河科技有限公司"},
        {"name": "上海星河科技（有限公司）"},
        {"name": "上海 星河 科技 有限公司"},
        {"name": "不同名称公司", "phone": "+86 139 1234 5678"},
        {"name": "不同名称公司", "phone": "(139)1234-5678"},
    ],
)
def test_duplicate_variants_refused(rep, other_rep, variant):
    services.customer_create(by=rep, **VALID)
    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_create(by=other_rep, **{**VALID, "phone": "13800000000", **variant})
    assert exc.value.existing.owner == rep
    assert Customer.objects.count() == 1


def test_duplicate_by_credit_code_case_insensitive(rep, other_rep):
    services.customer_create(by=rep, **{**VALID, "credit_code": "91310000MA1FL1234X"})
    with pytest.raises(services.DuplicateCustomer):
        services.customer_create(
            by=other_rep,
            **{**VALID, "name": "完全不同", "phone": "13800000000", "credit_code": " 91310000ma1fl1234x "},
        )


def test_duplicate_of_pool_customer_offers_claim(rep, other_rep):
    pooled = services.customer_create(by=rep, **VALID)
    Customer.objects.filter(pk=pooled.pk).update(owner=None)
    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_create(by=other_rep, **{**VALID, "phone": "13800000000"})
    assert "公海" in str(exc.value.message)


def test_similar_but_different_name_is_not_a_duplicate(rep, other_rep):
    services.customer_create(by=rep, **VALID)
    services.customer_create(
        by=other_rep, **{**VALID, "name": "上海星河科技股份有限公司", "phone": "13800000000"}
    )
    assert Customer.objects.count() == 2


def test_renaming_into_an_existing_name_refused(rep):
    services.customer_create(by=rep, **VALID)
    other = services.customer_create(by=rep, **{**VALID, "name": "另一家公司", "phone": "13800000000"})
    with pytest.raises(services.DuplicateCustomer):
        services.customer_update(customer=other, by=rep, name="上海星河科技有限公司")
    other.refresh_from_db()
    assert other.name == "另一家公司"


@pytest.mark.parametrize("field", ["name", "contact_person", "contact_position", "phone", "status"])
def test_required_fields(rep, field):
    with pytest.raises(DomainError) as exc:
        services.customer_create(by=rep, **{**VALID, field: "  "})
    assert exc.value.field == field
    assert not Customer.objects.exists()


def test_president_created_customer_needs_no_review(org):
    customer = services.customer_create(by=org.president, owner=org.rep_a1, **VALID)
    assert customer.review_status == ReviewStatus.APPROVED and customer.owner == org.rep_a1


# --- C7 follow-ups ------------------------------------------------------------------------------------


def test_late_entry_of_an_old_visit_never_moves_last_contacted_back(rep):
    customer = services.customer_create(by=rep, **VALID)
    recent = services.followup_create(customer=customer, by=rep, channel="phone_regular", topic="今天电话")
    services.followup_create(
        customer=customer,
        by=rep,
        channel="visit_old",
        topic="补录上周拜访",
        occurred_at=timezone.now() - dt.timedelta(days=7),
    )
    customer.refresh_from_db()
    assert customer.last_contacted_at == recent.occurred_at
    assert customer.followups.count() == 2


def test_followup_in_the_future_refused(rep):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError) as exc:
        services.followup_create(
            customer=customer,
            by=rep,
            channel="phone_regular",
            topic="x",
            occurred_at=timezone.now() + dt.timedelta(hours=1),
        )
    assert exc.value.field == "occurred_at"
    customer.refresh_from_db()
    assert customer.last_contacted_at is None and not customer.followups.exists()


def test_followup_needs_a_topic(rep):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError):
        services.followup_create(customer=customer, by=rep, channel="phone_regular", topic=" ")
    assert not customer.followups.exists()


# --- C8 outings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["外出", "见客户", " 拜访客户 ", "客户", "出差。", "", "x"])
def test_vague_outing_texts_refused(rep, text):
    with pytest.raises(DomainError) as exc:
        services.outing_register(by=rep, customer_name=text)
    assert exc.value.field == "customer_name"
    assert not Outing.objects.exists()


def test_outing_must_name_a_customer_the_rep_can_see(rep, other_rep):
    services.customer_create(by=other_rep, **VALID)
    with pytest.raises(DomainError) as exc:
        services.outing_register(by=rep, customer_name="上海星河科技有限公司")
    assert exc.value.code == "unknown_customer"


def test_outing_to_own_customer_by_normalised_name(rep):
    customer = services.customer_create(by=rep, **VALID)
    outing = services.outing_register(by=rep, customer_name=" 上海星河科技有限公司 ", purpose="签约")
    assert outing.customer == customer and outing.user == rep


# --- C5 review ------------------------------------------------------------------------------------------


def test_review_approve_records_who_and_when(rep, manager):
    customer = services.customer_create(by=rep, **VALID)
    customer = services.customer_review_transition(customer=customer, by=manager, to=ReviewStatus.APPROVED)
    assert (customer.review_status, customer.reviewed_by) == (ReviewStatus.APPROVED, manager)
    assert customer.reviewed_at is not None


def test_review_twice_is_a_conflict(rep, manager):
    customer = services.customer_create(by=rep, **VALID)
    services.customer_review_transition(customer=customer, by=manager, to=ReviewStatus.APPROVED)
    with pytest.raises(Conflict):
        services.customer_review_transition(
            customer=customer, by=manager, to=ReviewStatus.REJECTED, reason="x"
        )


def test_other_teams_manager_cannot_review(org):
    customer = services.customer_create(by=org.rep_a1, **VALID)
    with pytest.raises(DomainError) as exc:
        services.customer_review_transition(customer=customer, by=org.manager_b, to=ReviewStatus.APPROVED)
    assert exc.value.status == 403
    customer.refresh_from_db()
    assert customer.review_status == ReviewStatus.PENDING


def test_presidents_assistant_no_longer_reviews_other_teams_customers(org):
    # 003 §4.2: the department manager or the department's assistant reviews, not the president's office
    customer = services.customer_create(by=org.rep_b1, **VALID)
    assert customer not in customer_review_queue(user=org.assistant)
    with pytest.raises(DomainError) as exc:
        services.customer_review_transition(customer=customer, by=org.assistant, to=ReviewStatus.APPROVED)
    assert exc.value.status == 403


# --- C3 grade history ------------------------------------------------------------------------------


def test_grade_change_history_with_who_and_reason(rep, manager):
    customer = services.customer_create(by=rep, **{**VALID, "grade": "D"})
    services.customer_update(customer=customer, by=rep, grade="B", reason="已报价")
    services.customer_update(customer=customer, by=manager, grade="A", reason="下月签约")
    services.customer_update(customer=customer, by=rep, notes="只改备注")
    history = list(GradeChange.objects.filter(customer=customer).order_by("id"))
    assert [(g.from_grade, g.to_grade, g.changed_by, g.reason) for g in history] == [
        ("", "D", rep, ""),
        ("D", "B", rep, "已报价"),
        ("B", "A", manager, "下月签约"),
    ]


def test_invalid_grade_refused(rep):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError):
        services.customer_update(customer=customer, by=rep, grade="Z")
    customer.refresh_from_db()
    assert customer.grade == "D"


def test_update_refuses_owner_field(rep, other_rep):
    customer = services.customer_create(by=rep, **VALID)
    with pytest.raises(DomainError):
        services.customer_update(customer=customer, by=rep, owner=other_rep)


# --- assignment (P1) -----------------------------------------------------------------------------------


def test_assign_keeps_ownership_history(org):
    customer = services.customer_create(by=org.rep_a1, **VALID)
    services.customer_assign(customer=customer, to_user=org.rep_a2, by=org.manager_a, note="调岗")
    customer.refresh_from_db()
    assert customer.owner == org.rep_a2
    last = OwnershipChange.objects.filter(customer=customer).order_by("-id").first()
    assert (last.from_user, last.to_user, last.changed_by, last.note) == (
        org.rep_a1,
        org.rep_a2,
        org.manager_a,
        "调岗",
    )


@pytest.mark.parametrize("by,to", [("rep_a1", "rep_a2"), ("manager_b", "rep_b1"), ("manager_a", "rep_b1")])
def test_assign_refused_outside_authority(org, by, to):
    customer = services.customer_create(by=org.rep_a1, **VALID)
    with pytest.raises(DomainError):
        services.customer_assign(customer=customer, to_user=getattr(org, to), by=getattr(org, by))
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1


def test_assign_to_inactive_user_refused(org):
    customer = services.customer_create(by=org.rep_a1, **VALID)
    org.rep_a2.is_active = False
    org.rep_a2.save()
    with pytest.raises(DomainError) as exc:
        services.customer_assign(customer=customer, to_user=org.rep_a2, by=org.manager_a)
    assert exc.value.code == "inactive_user"
