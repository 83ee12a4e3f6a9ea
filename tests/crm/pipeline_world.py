"""A small populated pipeline for page and API tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crm.models import ApprovalRequest, Contract, Lead, Opportunity, Order, Quote, QuoteStatus
from crm.services import leads as lead_services
from crm.services import opportunities as opp_services
from crm.services import orders as order_services
from crm.services import payments as payment_services
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, signed_contract, visited_customer


@dataclass
class World:
    lead: Lead
    opportunity: Opportunity
    quote: Quote
    approval: ApprovalRequest
    contract: Contract
    order: Order


def build_world(org, n: int = 1) -> World:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    opp_services.stages_seed_defaults()
    rep = org.rep_a1
    world = None
    for i in range(n):
        lead = lead_services.lead_create(
            by=rep, company=f"线索{i}有限公司", source="call", contact_person="王"
        )
        customer = visited_customer(rep)
        opp = opp_services.opportunity_create(by=rep, customer=customer, name=f"项目{i}", amount="1000.00")
        priced_product("A", "100.00")
        quote = quote_services.quote_create(
            by=rep,
            customer=customer,
            title=f"报价{i}",
            lines=[{"product": "A", "quantity": "1", "quoted_price": "47.00"}],
        )
        quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
        approval = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
        contract = signed_contract(rep, org.manager_a, customer=customer)
        order = order_services.order_create(
            by=rep,
            contract=contract,
            lines=[
                {
                    "product": "A",
                    "quantity": "2",
                    "unit_price": "90.00",
                }
            ],
        )
        payment_services.payment_record(order=order, amount=Decimal("50.00"), by=org.finance)
        world = World(lead, opp, quote, approval, contract, order)
    assert world is not None
    return world
