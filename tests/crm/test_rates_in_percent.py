"""Issue 15: rates read as percentages on the pages (47%, not 0.470000)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import ApprovalRequest, QuoteStatus
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, signed_contract, visited_customer

pytestmark = pytest.mark.django_db


def test_an_approval_shows_the_price_ratio_in_percent(client_for, org) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    priced_product("A", "100.00")
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=visited_customer(org.rep_a1),
        title="报价甲",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "47.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    html = client_for(org.assistant).get(reverse("crm:approval_detail", args=[req.pk])).content.decode()
    assert "比例：47%" in html and "0.470000" not in html


def test_a_contract_shows_its_price_ratio_in_percent(client_for, org) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    contract = signed_contract(org.rep_a1, org.manager_a)
    html = client_for(org.rep_a1).get(reverse("crm:contract_detail", args=[contract.pk])).content.decode()
    assert "价格/标准价：100%" in html and "1.000000" not in html
