"""002 §2: in 客户部 a contract changed from the company template is reviewed by the customer director
first, then the customer support lead gives the final review; other departments keep 003 §9.2."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.errors import DomainError
from crm.models import ApprovalRequest, ContractStatus, Role
from crm.services import contracts as contract_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from tests.crm.factories import visited_customer
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _matrix(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()


def _changed_agreement(owner):  # type: ignore[no-untyped-def]
    contract = contract_services.contract_create(
        by=owner,
        customer=visited_customer(owner),
        title="年度投放协议（改了付款条款）",
        amount=Decimal("50000.00"),
        list_amount=Decimal("50000.00"),
        standard_template=False,
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=owner)
    return contract, ApprovalRequest.objects.get(
        object_id=contract.pk, kind__in=["agreement_change", "contract"]
    )


def test_customer_department_agreement_change_goes_director_then_support_lead(org):  # type: ignore[no-untyped-def]
    dept = DepartmentFactory(name="客户部", region=org.region)
    manager = UserFactory(username="km", roles=[Role.REP], department=dept)
    director = UserFactory(username="custdir_x", display_name="客户总监", roles=[Role.CUSTOMER_DIRECTOR])
    support = UserFactory(
        username="support_x", display_name="客户支持主管", roles=[Role.CUSTOMER_SUPPORT_LEAD]
    )
    contract, req = _changed_agreement(manager)
    assert req.kind == "agreement_change"
    with pytest.raises(DomainError):  # the support lead's review is the final one, never the first
        approval_decide(request=req, by=support, approve=True, reason="同意")
    approval_decide(request=req, by=director, approve=True, reason="付款条款可接受")
    with pytest.raises(DomainError):  # the director cannot also give the final review
        approval_decide(request=req, by=director, approve=True, reason="同意")
    approval_decide(request=req, by=support, approve=True, reason="终审通过")
    req.refresh_from_db()
    assert req.status == "approved"
    contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=manager)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.SIGNED


def test_sales_department_keeps_the_countersign_chain(org):  # type: ignore[no-untyped-def]
    _contract, req = _changed_agreement(org.rep_a1)
    assert req.kind == "contract"
    assert req.rule.chain == [[Role.SALES_ADMIN_MANAGER], [Role.RD_VP], [Role.DELIVERY_VP], [Role.PRESIDENT]]
