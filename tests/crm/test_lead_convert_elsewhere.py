"""Issue 15 trust bug: a rep converting a lead that rotation gave to someone else landed on a bare 404 (the
new customer is the assignee's, outside the rep's view). Now the rep stays on the lead page and is told
who holds the customer and whom to ask — nothing the lead page did not already show."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Customer, LeadAssignmentRule
from crm.services import leads as lead_services
from tests.factories import IndustryFactory

pytestmark = pytest.mark.django_db


def _lead_rotated_to_rep_b1(org):  # type: ignore[no-untyped-def]
    industry = IndustryFactory(name="制造业")
    rule = LeadAssignmentRule.objects.create(region=org.region, industry=industry)
    rule.users.set([org.rep_b1])
    lead = lead_services.lead_create(
        by=org.rep_a1,
        company="宁波精工机械有限公司",
        source="call",
        contact_person="李先生",
        contact_position="采购经理",
        phone="13900001111",
        region=org.region,
        industry=industry,
    )
    assert lead.assigned_to == org.rep_b1
    return lead


def test_converting_a_lead_rotated_to_someone_else_says_who_holds_the_customer(org, client_for) -> None:  # type: ignore[no-untyped-def]
    lead = _lead_rotated_to_rep_b1(org)
    client = client_for(org.rep_a1)
    before = client.get(reverse("crm:lead_detail", args=[lead.pk])).content.decode()
    assert f"此线索已分配给 {org.rep_b1}：转为客户后，客户归 {org.rep_b1} 负责。" in before
    resp = client.post(
        reverse("crm:lead_detail", args=[lead.pk]),
        {"action": "convert", "contact_position": "采购经理"},
        follow=True,
    )
    assert resp.status_code == 200
    assert resp.redirect_chain[-1][0] == reverse("crm:lead_detail", args=[lead.pk])
    html = resp.content.decode()
    assert (
        f"已转为客户「宁波精工机械有限公司」，由 {org.rep_b1} 负责（线索已分配给其跟进）。"
        "如需参与跟进，请联系您的经理。" in html
    )
    customer = Customer.objects.get(name="宁波精工机械有限公司")
    assert customer.owner == org.rep_b1
    assert reverse("crm:customer_detail", args=[customer.pk]) not in html  # no link into a 404
    assert "已转为客户</p>" not in html and "宁波精工机械有限公司（由 " in html  # the lead says who has it


def test_converting_my_own_lead_still_opens_the_customer(org, client_for) -> None:  # type: ignore[no-untyped-def]
    lead = lead_services.lead_create(
        by=org.rep_a1, company="温州自有线索有限公司", source="call", contact_person="王", phone="13900002222"
    )
    lead.assigned_to = org.rep_a1
    lead.save(update_fields=["assigned_to"])
    resp = client_for(org.rep_a1).post(
        reverse("crm:lead_detail", args=[lead.pk]), {"action": "convert", "contact_position": "总经理"}
    )
    customer = Customer.objects.get(name="温州自有线索有限公司")
    assert resp.status_code == 302 and resp["Location"] == reverse("crm:customer_detail", args=[customer.pk])
