import pytest

from common.errors import DomainError
from crm import services
from crm.models import Customer, GradeChange, ReviewStatus
from partners.models import OwnershipChange

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


def test_duplicate_by_normalised_name_names_owner_and_saves_nothing(rep, other_rep):
    services.customer_create(by=rep, **VALID)

    with pytest.raises(services.DuplicateCustomer) as exc:
        services.customer_create(
            by=other_rep, **{**VALID, "name": " 上海星河科技有限公司。", "phone": "13800000000"}
        )

    assert "销售甲一" in str(exc.value.message)
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
