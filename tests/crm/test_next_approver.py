"""Issue 15: a request sent for approval names who decides next, person and role, from the authority
matrix — in the success message and on the record's page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import ApprovalRequest, ContractStatus, QuoteStatus
from crm.services import contracts as contract_services
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, visited_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def messages_of(resp) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in resp.context["messages"]]


def test_a_quote_sent_for_approval_names_the_department_manager(org, client_for) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    priced_product("A", "100.00", "60.00")
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=visited_customer(org.rep_a1),
        title="年度软件",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "80.00"}],
    )
    client = client_for(org.rep_a1)
    resp = client.post(reverse("crm:quote_transition", args=[quote.pk]), {"to": "pending"}, follow=True)
    assert messages_of(resp) == [f"已提交审批，下一步由 销售部经理 {org.manager_a} 审批。"]
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    html = client.get(reverse("crm:quote_detail", args=[quote.pk])).content.decode()
    assert f'<strong class="approval-next">销售部经理 {org.manager_a}（待其审批）</strong>' in html


def test_a_contract_sent_for_review_names_the_next_approver(org, client_for) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    contract = contract_services.contract_create(
        by=org.rep_a1,
        customer=CustomerFactory(owner=org.rep_a1),
        title="年度框架合同",
        amount=Decimal("100000.00"),
    )
    client = client_for(org.rep_a1)
    resp = client.post(
        reverse("crm:contract_transition", args=[contract.pk]), {"to": ContractStatus.IN_REVIEW}, follow=True
    )
    (text,) = messages_of(resp)
    assert text == f"已提交审批，下一步由 销售部经理 {org.manager_a} 审批。"
    html = client.get(reverse("crm:contract_detail", args=[contract.pk])).content.decode()
    assert f"销售部经理 {org.manager_a}（待其审批）" in html


def test_a_customer_rebate_request_names_the_president_and_lands_on_its_chain(org, client_for) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    customer = CustomerFactory(owner=org.rep_a1, name="宁波海曙贸易有限公司")
    resp = client_for(org.rep_a1).post(
        reverse("crm:concession_create"),
        {"kind": "customer_rebate", "customer": customer.pk, "ratio": "0.12", "reason": "年度大单返点"},
        follow=True,
    )
    req = ApprovalRequest.objects.get(kind="customer_rebate", object_id__isnull=False)
    assert resp.redirect_chain[-1][0] == reverse("crm:approval_detail", args=[req.pk])
    assert messages_of(resp) == [f"已提交审批，下一步由 总裁 {org.president} 审批。"]
    assert f"总裁 {org.president}（下一步由其审批）" in resp.content.decode()


def test_a_rebate_within_the_account_managers_authority_says_it_took_effect(org, client_for) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    customer = CustomerFactory(owner=org.rep_a1)
    resp = client_for(org.rep_a1).post(
        reverse("crm:concession_create"),
        {"kind": "customer_rebate", "customer": customer.pk, "ratio": "0.03", "reason": "续约返点"},
        follow=True,
    )
    assert messages_of(resp) == ["在您的权限内，已直接生效。"]


def test_approval_titles_use_the_one_money_and_rate_format(org) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    contract = contract_services.contract_create(
        by=org.rep_a1,
        customer=CustomerFactory(owner=org.rep_a1, name="苏州博远"),
        title="合同",
        amount=Decimal("88000.00"),
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="contract", object_id=contract.pk)
    assert req.title == f"合同 {contract.number}（苏州博远）¥88,000.00"
    priced_product("A", "100.00", "60.00")
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=visited_customer(org.rep_a1, name="杭州云栖"),
        title="年度软件",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "80.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    assert req.title == f"报价 {quote.number}（杭州云栖）最低报价为标准价的 80%"
