"""Issue 17: a rep cannot raise his own customer's key-account class (it raises his commission, K5);
the change goes through approval and is kept in the class history (C4)."""

from __future__ import annotations

import pytest

from crm.models import ApprovalRequest, ApprovalStatus, Customer, KeyAccountClassChange
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(rep):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    return CustomerFactory(owner=rep, name="上海甲乙丙有限公司")


def test_rep_raising_the_class_through_the_api_only_asks_for_it(rep, customer, api_for):
    # when the rep PATCHes his customer to "strategic"
    response = api_for(rep).patch(f"/api/customers/{customer.pk}/", {"key_account_class": "strategic"})
    # then the customer is unchanged and an approval is waiting
    assert response.status_code == 200
    assert response.json()["key_account_class"] == ""
    customer.refresh_from_db()
    assert customer.key_account_class == ""
    change = KeyAccountClassChange.objects.get(customer=customer)
    assert (change.from_class, change.to_class, change.status) == ("", "strategic", "pending")
    request = ApprovalRequest.objects.get(kind="key_account_class", object_id=change.pk)
    assert request.status == ApprovalStatus.PENDING


def test_rep_cannot_create_a_customer_already_classed(rep, api_for):
    authority_rules_seed_defaults()
    response = api_for(rep).post(
        "/api/customers/",
        {
            "name": "北京某某科技有限公司",
            "contact_person": "王总",
            "contact_position": "总经理",
            "phone": "13912345678",
            "status": "prospect",
            "grade": "B",
            "key_account_class": "core",
        },
    )
    assert response.status_code == 201, response.content
    assert Customer.objects.get(pk=response.json()["id"]).key_account_class == ""
    assert KeyAccountClassChange.objects.get().status == "pending"


def test_rep_raising_the_class_in_the_form_only_asks_for_it(rep, customer, client_for):
    form = {
        "name": customer.name,
        "contact_person": customer.contact_person,
        "contact_position": customer.contact_position,
        "phone": customer.phone,
        "status": customer.status,
        "grade": customer.grade,
        "key_account_class": "core",
    }
    response = client_for(rep).post(f"/customers/{customer.pk}/edit/", form, follow=True)
    assert "大客户分类变更已提交审批" in response.content.decode()
    customer.refresh_from_db()
    assert customer.key_account_class == ""


def test_the_class_changes_when_the_regional_manager_approves(org, rep, customer, api_for):
    api_for(rep).patch(f"/api/customers/{customer.pk}/", {"key_account_class": "strategic"})
    request = ApprovalRequest.objects.get(kind="key_account_class")
    # the rep cannot approve his own request
    with pytest.raises(Exception, match="不能审批自己"):
        approval_decide(request=request, by=rep, approve=True)
    approval_decide(request=request, by=org.regional_manager, approve=True)
    customer.refresh_from_db()
    assert customer.key_account_class == "strategic"
    change = KeyAccountClassChange.objects.get(customer=customer)
    assert (change.status, change.decided_by) == ("approved", org.regional_manager)


def test_a_rejected_change_leaves_the_class_and_stays_in_history(org, rep, customer, api_for):
    api_for(rep).patch(f"/api/customers/{customer.pk}/", {"key_account_class": "important"})
    request = ApprovalRequest.objects.get(kind="key_account_class")
    approval_decide(request=request, by=org.regional_manager, approve=False, reason="年销售额不足5%")
    customer.refresh_from_db()
    assert customer.key_account_class == ""
    assert KeyAccountClassChange.objects.get(customer=customer).status == "rejected"
