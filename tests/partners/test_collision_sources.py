"""P3 detection beyond customer creation: lead entry/import, pool claim/assignment, opportunity
registration. Each opens (or joins) one case, never a twin customer, with the right evidence and
registration time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from common.models import Notification
from crm.models import Customer, Lead, LeadAssignmentRule, Opportunity, ReviewStatus
from crm.services import leads as lead_services
from crm.services.opportunities import opportunity_create
from crm.services.pool import pool_assign, pool_claim
from partners.models import CollisionCase, CollisionRule, CollisionSource, CollisionStatus, PartyRole
from partners.services import CollisionOpened
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NAME = "上海星河科技有限公司"


def parties(case):  # type: ignore[no-untyped-def]
    return {p.role: p for p in case.parties.all()}


# --- (a) lead entry / import ---------------------------------------------------------------------


@pytest.fixture
def to_rep_a1(org):  # type: ignore[no-untyped-def]
    rule = LeadAssignmentRule.objects.create(region=org.region, industry=None)
    rule.users.set([org.rep_a1])
    return rule


def test_lead_matching_someone_elses_customer_opens_a_case(org, to_rep_a1):  # type: ignore[no-untyped-def]
    since = timezone.now() - dt.timedelta(days=20)
    existing = CustomerFactory(name=NAME, owner=org.rep_b1, owned_since=since, region=org.region)
    lead = lead_services.lead_create(
        by=org.manager_a,
        company="上海 星河科技有限公司",
        source="call",
        contact_person="王先生",
        phone="13912345678",
        region=org.region,
    )
    assert lead.assigned_to == org.rep_a1 and lead.duplicate_of == existing
    case = CollisionCase.objects.get(customer=existing)
    assert case.source == CollisionSource.LEAD_IMPORT
    assert case.evidence["lead_id"] == lead.pk and case.evidence["entered_phone"] == "13912345678"
    p = parties(case)
    assert p[PartyRole.HOLDER].user == org.rep_b1 and p[PartyRole.HOLDER].registered_at == since
    assert p[PartyRole.CLAIMANT].user == org.rep_a1
    assert p[PartyRole.CLAIMANT].registered_at == lead.created_at
    # 20 days apart: first registered (the holder) is proposed
    assert (case.proposed_rule, case.proposed_winner) == (CollisionRule.FIRST_REGISTERED, p[PartyRole.HOLDER])
    assert Customer.objects.count() == 1  # no twin
    # converting the lead later joins the same case (same claimant), still no twin
    with pytest.raises(CollisionOpened) as exc:
        lead_services.lead_convert(lead=lead, by=org.manager_a, contact_position="经理")
    assert exc.value.case.pk == case.pk
    assert (Customer.objects.count(), CollisionCase.objects.count(), case.parties.count()) == (1, 1, 2)


def test_lead_assigned_to_a_manager_of_the_owner_is_not_a_collision(org):  # type: ignore[no-untyped-def]
    existing = CustomerFactory(name=NAME, owner=org.rep_b1)
    lead = lead_services.lead_create(
        by=org.manager_a, company=NAME, source="call", contact_person="王", region=org.region
    )
    assert lead.assigned_to == org.regional_manager  # fallback; rep_b1 is in their region
    assert lead.duplicate_of == existing
    assert not CollisionCase.objects.exists()


def test_reassigning_a_flagged_lead_to_another_rep_opens_the_case(org):  # type: ignore[no-untyped-def]
    existing = CustomerFactory(name=NAME, owner=org.rep_b1)
    lead = lead_services.lead_create(by=org.manager_a, company=NAME, source="call", contact_person="王")
    assert lead.assigned_to is None and not CollisionCase.objects.exists()
    lead_services.lead_assign(lead=lead, to_user=org.rep_a1, by=org.manager_a)
    case = CollisionCase.objects.get(customer=existing)
    assert parties(case)[PartyRole.CLAIMANT].user == org.rep_a1
    assert lead.collision_case == case


def test_import_report_names_the_rows_that_collided(  # type: ignore[no-untyped-def]
    org, to_rep_a1, client_for, django_capture_on_commit_callbacks
):
    existing = CustomerFactory(name=NAME, owner=org.rep_b1)
    csv_text = (
        "公司名称,联系人,电话,大区\n新公司甲,王先生,13900000001,华东大区\n"
        + f"{NAME},李女士,13900000002,华东大区\n"
    )
    result = lead_services.lead_import(by=org.manager_a, filename="l.csv", content=csv_text.encode("utf-8"))
    assert len(result.created) == 2 and not result.errors
    case = CollisionCase.objects.get(customer=existing)
    assert [(line, lead.company, cid) for line, lead, cid in result.collisions] == [(3, NAME, case.pk)]
    assert Lead.objects.get(company=NAME).duplicate_of == existing
    # the page says so, with a link to the case
    with django_capture_on_commit_callbacks(execute=True):  # issue 17: a background job, its page reports
        page = client_for(org.manager_a).post(
            reverse("crm:lead_import"),
            {"file": SimpleUploadedFile("l.csv", f"公司名称,联系人,大区\n{NAME},赵先生,华东大区\n".encode())},
        )
    page = client_for(org.manager_a).get(page["Location"])  # the job's page, once the worker has run
    assert page.status_code == 200
    body = page.content.decode()
    assert "发起撞单处理" in body and reverse("partners:collision_detail", args=[case.pk]) in body
    assert Customer.objects.count() == 1


def test_import_api_reports_collisions(org, to_rep_a1, api_for, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    existing = CustomerFactory(name=NAME, owner=org.rep_b1)
    upload = SimpleUploadedFile("l.csv", f"公司名称,联系人,大区\n{NAME},赵先生,华东大区\n".encode())
    with django_capture_on_commit_callbacks(execute=True):
        res = api_for(org.manager_a).post("/api/leads/import/", {"file": upload}, format="multipart")
    assert res.status_code == 202, res.content
    res = api_for(org.manager_a).get(f"/api/imports/{res.json()['id']}/")  # once the worker has run
    case = CollisionCase.objects.get(customer=existing)
    [row] = res.json()["report"]
    lead = Lead.objects.get(company=NAME)
    assert (row["line"], row["outcome"]) == (2, "collision")
    assert (row["object_id"], row["case_id"]) == (lead.pk, case.pk)


# --- (b) pool claim / assignment ------------------------------------------------------------------


def _pool_customer_with_open_opp(org, *, registered_at, closed=False):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(name=NAME, owner=None, owned_since=None, region=org.region)
    opp = Opportunity.objects.create(
        customer=customer,
        owner=org.rep_b1,
        name="二期项目",
        stage="proposal",
        registered_at=registered_at,
        closed_at=timezone.now() if closed else None,
    )
    return customer, opp


def test_claiming_a_pool_customer_someone_registered_opens_a_case(org, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    registered = timezone.now() - dt.timedelta(days=40)
    customer, opp = _pool_customer_with_open_opp(org, registered_at=registered)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = pool_claim(customer=customer, by=org.rep_a1)
    assert claimed.owner == org.rep_a1  # the claim stands
    case = CollisionCase.objects.get(customer=customer)
    assert case.source == CollisionSource.POOL_CLAIM
    assert case.evidence["opportunity_id"] == opp.pk and case.evidence["claimed_by"] == org.rep_a1.pk
    p = parties(case)
    assert p[PartyRole.HOLDER].user == org.rep_a1
    assert p[PartyRole.HOLDER].registered_at == claimed.owned_since
    assert p[PartyRole.CLAIMANT].user == org.rep_b1 and p[PartyRole.CLAIMANT].registered_at == registered
    # the opportunity was registered first: its owner is proposed
    assert case.status == CollisionStatus.OPEN
    assert case.proposed_winner == p[PartyRole.CLAIMANT]
    assert Customer.objects.count() == 1
    told = set(
        Notification.objects.filter(link__contains=f"/collisions/{case.pk}/").values_list("user", flat=True)
    )
    assert told == {org.rep_a1.pk, org.rep_b1.pk}


def test_assigning_from_the_pool_also_checks_registrations(org):  # type: ignore[no-untyped-def]
    # earlier the same local day (an hour back would be yesterday just after midnight in Shanghai)
    start_of_today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    customer, _ = _pool_customer_with_open_opp(org, registered_at=start_of_today)
    pool_assign(customer=customer, to_user=org.rep_a2, by=org.manager_a)
    case = CollisionCase.objects.get(customer=customer)
    # same day: the times cannot tell them apart, the closer will win
    assert (case.status, case.proposed_rule) == (CollisionStatus.AWAITING_DEAL, CollisionRule.CLOSER)
    assert {p.user for p in case.parties.all()} == {org.rep_a2, org.rep_b1}


def test_closed_or_own_opportunities_do_not_collide_on_claim(org):  # type: ignore[no-untyped-def]
    customer, _ = _pool_customer_with_open_opp(org, registered_at=timezone.now(), closed=True)
    pool_claim(customer=customer, by=org.rep_a1)
    other = CustomerFactory(owner=None, owned_since=None)
    Opportunity.objects.create(
        customer=other, owner=org.rep_a2, name="x", stage="lead", registered_at=timezone.now()
    )
    pool_claim(customer=other, by=org.rep_a2)
    assert not CollisionCase.objects.exists()


# --- (c) opportunity registration -----------------------------------------------------------------


def test_registering_an_opportunity_on_someone_elses_customer_opens_a_case(org):  # type: ignore[no-untyped-def]
    # the department's assistant sees its customers awaiting review (003 §4.2), so may register on one
    from crm.models import Role
    from tests.factories import UserFactory

    assistant = UserFactory(username="dept_asst", roles=[Role.DEPARTMENT_ASSISTANT], department=org.dept_a)
    customer = CustomerFactory(name=NAME, owner=org.rep_a1, review_status=ReviewStatus.PENDING)
    opp = opportunity_create(by=assistant, customer=customer, name="数据中心项目", amount="1000.00")
    case = CollisionCase.objects.get(customer=customer)
    assert case.source == CollisionSource.OPPORTUNITY
    assert case.evidence["opportunity_id"] == opp.pk
    claimant = parties(case)[PartyRole.CLAIMANT]
    assert claimant.user == assistant and claimant.registered_at == opp.registered_at
    assert Opportunity.objects.filter(pk=opp.pk).exists() and Customer.objects.count() == 1


def test_own_or_team_opportunity_is_not_a_collision(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1)
    opportunity_create(by=org.rep_a1, customer=customer, name="自己的")
    opportunity_create(by=org.manager_a, customer=customer, name="经理代报")
    assert Opportunity.objects.count() == 2
    assert not CollisionCase.objects.exists()
