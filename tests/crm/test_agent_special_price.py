"""003 §3.7: an agent's (partner's) customers must be kept current before a special price is approved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from common.errors import DomainError
from crm.models import ApprovalRequest, Customer, QuoteStatus, Role
from crm.services import quotes as quote_services
from crm.services.approvals import approval_decide
from partners.models import PartnerKind
from tests.crm.factories import priced_product, visited_customer
from tests.factories import CustomerFactory, UserFactory
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _agent_quote(org):  # type: ignore[no-untyped-def]
    agent = UserFactory(username="agent1", display_name="代理甲", roles=[Role.PARTNER], manager=org.manager_a)
    PartnerFactory(name="代理甲", kind=PartnerKind.STRATEGIC, region=org.region, user=agent)
    customer = visited_customer(agent)
    priced_product("软件", "100.00")  # the list price comes from the price book
    quote = quote_services.quote_create(
        by=agent,
        customer=customer,
        title="特价",
        lines=[{"product": "软件", "quantity": "1", "list_price": "100.00", "quoted_price": "80.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=agent)
    return agent, quote, ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)


def test_special_price_refused_while_an_agent_customer_is_not_maintained(org):  # type: ignore[no-untyped-def]
    agent, quote, req = _agent_quote(org)
    stale = CustomerFactory(owner=agent, region=org.region)
    long_ago = timezone.now() - dt.timedelta(days=45)
    Customer.objects.filter(pk=stale.pk).update(owned_since=long_ago, last_contacted_at=long_ago)
    approver = req.steps.get().assignee or org.manager_a
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=approver, approve=True, reason="同意")
    assert exc.value.code == "agent_customers_not_current"
    assert "该代理有 1 个客户长期未维护" in str(exc.value.message)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    # once the agent follows the customer up, the special price goes through
    Customer.objects.filter(pk=stale.pk).update(last_contacted_at=timezone.now())
    approval_decide(request=req, by=approver, approve=True, reason="同意")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
