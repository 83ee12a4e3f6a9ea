"""001 第八章: reps sell only within their own industry unless a manager allows it — at customer creation,
lead assignment and pool claims; a setting switches it off."""

from __future__ import annotations

import pytest

from common.errors import DomainError
from crm.models import Customer, IndustryPermit, Lead
from crm.services import customers as services
from crm.services import leads as lead_services
from crm.services.pool import pool_claim
from tests.factories import CustomerFactory, IndustryFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "苏州明德学校",
    "contact_person": "吴校长",
    "contact_position": "校长",
    "phone": "0512-66001234",
    "status": "intent",
}


@pytest.fixture
def industries(org):  # type: ignore[no-untyped-def]
    education = IndustryFactory(name="教育")
    finance = IndustryFactory(name="金融")
    org.rep_a1.industries.add(education)
    return education, finance


def test_rep_creates_customers_only_in_own_industry(org, industries):  # type: ignore[no-untyped-def]
    education, finance = industries
    assert services.customer_create(by=org.rep_a1, industry=education, **NEW).industry == education
    with pytest.raises(DomainError) as exc:
        services.customer_create(
            by=org.rep_a1, industry=finance, **{**NEW, "name": "苏州银行", "phone": "0512-66009999"}
        )
    assert exc.value.code == "outside_industry"
    assert "所属行业为教育，不能销售“金融”行业的客户" in str(exc.value.message)
    assert not Customer.objects.filter(name="苏州银行").exists()


def test_pool_claim_outside_industry_refused_until_a_manager_allows_it(org, industries):  # type: ignore[no-untyped-def]
    from crm.services.industry import industry_permit_grant

    _education, finance = industries
    bank = CustomerFactory(owner=None, industry=finance, region=org.region)
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=bank, by=org.rep_a1)
    assert exc.value.code == "outside_industry"
    with pytest.raises(DomainError):  # another team's manager cannot allow it
        industry_permit_grant(user=org.rep_a1, industry=finance, by=org.manager_b)
    industry_permit_grant(user=org.rep_a1, industry=finance, by=org.manager_a)
    assert pool_claim(customer=bank, by=org.rep_a1).owner == org.rep_a1


def test_lead_assignment_needs_the_managers_explicit_allowance(org, industries, api_for):  # type: ignore[no-untyped-def]
    _education, finance = industries
    lead = lead_services.lead_create(
        by=org.manager_a, company="上海某银行", source="call", contact_person="李"
    )
    Lead.objects.filter(pk=lead.pk).update(industry=finance)
    lead.refresh_from_db()
    refused = api_for(org.manager_a).post(
        f"/api/leads/{lead.pk}/assign/", {"to_user": org.rep_a1.pk}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "outside_industry"
    ok = api_for(org.manager_a).post(
        f"/api/leads/{lead.pk}/assign/",
        {"to_user": org.rep_a1.pk, "allow_other_industry": True},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    lead.refresh_from_db()
    assert lead.assigned_to == org.rep_a1
    permit = IndustryPermit.objects.get(user=org.rep_a1, industry=finance)
    assert permit.granted_by == org.manager_a


def test_the_restriction_is_a_setting(org, industries, settings):  # type: ignore[no-untyped-def]
    settings.CRM_INDUSTRY_RESTRICTION = False
    _education, finance = industries
    assert services.customer_create(by=org.rep_a1, industry=finance, **NEW).industry == finance


def test_page_shows_the_refusal(org, industries, client):  # type: ignore[no-untyped-def]
    _education, finance = industries
    client.force_login(org.rep_a1)
    page = client.post("/customers/new/", {**NEW, "grade": "C", "industry": finance.pk})
    assert "不能销售“金融”行业的客户" in page.content.decode()
    assert Customer.objects.count() == 0


def test_the_refusal_lists_the_reps_industries_the_readers_way(org, industries):  # type: ignore[no-untyped-def]
    from django.utils import translation

    _education, finance = industries
    org.rep_a1.industries.add(IndustryFactory(name="医疗"))
    said = {}
    for language in ("zh-hans", "en"):
        with translation.override(language), pytest.raises(DomainError) as exc:
            services.customer_create(
                by=org.rep_a1, industry=finance, **{**NEW, "name": "苏州银行", "phone": "0512-66009999"}
            )
        said[language] = str(exc.value.message)
    # (in the database's order of names, whichever that is)
    assert "所属行业为医疗、教育，" in said["zh-hans"] or "所属行业为教育、医疗，" in said["zh-hans"]
    assert "sells in 医疗, 教育 and" in said["en"] or "sells in 教育, 医疗 and" in said["en"]
