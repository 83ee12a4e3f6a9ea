"""L1: lead entry, round-robin assignment with fallback, duplicate flags, CSV/Excel import with a
per-row error report, conversion to a customer."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from common.errors import DomainError
from crm.models import Customer, Lead, LeadAssignmentRule, LeadStatus
from crm.services import leads as lead_services
from tests.factories import CustomerFactory, IndustryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(org):  # type: ignore[no-untyped-def]
    industry = IndustryFactory(name="制造业")
    rule = LeadAssignmentRule.objects.create(region=org.region, industry=industry)
    rule.users.set([org.rep_a1, org.rep_a2, org.rep_b1])
    return rule


def _lead(org, industry=None, **kw):  # type: ignore[no-untyped-def]
    return lead_services.lead_create(
        by=org.manager_a,
        company=kw.pop("company", f"线索公司{Lead.objects.count()}"),
        source="call",
        contact_person="李先生",
        region=org.region,
        industry=industry,
        **kw,
    )


def test_round_robin_skips_inactive_users(org, rule):  # type: ignore[no-untyped-def]
    org.rep_a2.is_active = False
    org.rep_a2.save()
    got = [_lead(org, rule.industry).assigned_to for _ in range(4)]
    assert got == [org.rep_a1, org.rep_b1, org.rep_a1, org.rep_b1]
    assert all(lead.status == LeadStatus.ASSIGNED for lead in Lead.objects.all())


def test_fallback_is_the_regions_manager(org, rule):  # type: ignore[no-untyped-def]
    other = IndustryFactory(name="金融")
    assert _lead(org, other).assigned_to == org.regional_manager


def test_duplicate_of_existing_customer_is_flagged_not_created(org):  # type: ignore[no-untyped-def]
    existing = CustomerFactory(name="上海星河科技有限公司", owner=org.rep_b1)
    lead = _lead(org, company="上海 星河科技有限公司")
    assert lead.duplicate_of == existing
    with pytest.raises(DomainError):
        lead_services.lead_convert(lead=lead, by=org.manager_a, contact_position="经理")
    assert Customer.objects.count() == 1


def test_convert_makes_customer_owned_by_assignee(org, rule):  # type: ignore[no-untyped-def]
    lead = _lead(org, rule.industry, phone="13912345678", contact_position="采购")
    customer = lead_services.lead_convert(lead=lead, by=org.manager_a)
    assert customer.owner == org.rep_a1
    lead.refresh_from_db()
    assert (lead.status, lead.customer) == (LeadStatus.CONVERTED, customer)


CSV = (
    "公司名称,联系人,电话,大区,行业,来源\n"
    "好公司一,王先生,13900000001,华东大区,,来电\n"
    ",没有公司名,13900000002,华东大区,,\n"
    "好公司二,李女士,13900000003,,,网站\n"
    "坏电话公司,赵先生,12345,华东大区,,\n"
    "未知大区公司,钱先生,13900000005,火星大区,,\n"
)


def test_csv_import_keeps_good_rows_and_reports_each_bad_row(org):  # type: ignore[no-untyped-def]
    result = lead_services.lead_import(
        by=org.manager_a, filename="leads.csv", content=CSV.encode("utf-8-sig")
    )
    assert sorted(lead.company for lead in result.created) == ["好公司一", "好公司二"]
    assert [line for line, _ in result.errors] == [3, 5, 6]
    assert "公司名称" in result.errors[0][1]
    assert "电话" in result.errors[1][1]
    assert "火星大区" in result.errors[2][1]
    assert Lead.objects.count() == 2
    assert Lead.objects.get(company="好公司一").assigned_to == org.regional_manager


def test_excel_import(org):  # type: ignore[no-untyped-def]
    wb = Workbook()
    ws = wb.active
    ws.append(["公司名称", "联系人", "电话"])
    ws.append(["Excel公司", "周先生", "13900000009"])
    ws.append(["", "", "13900000010"])
    buf = io.BytesIO()
    wb.save(buf)
    result = lead_services.lead_import(by=org.manager_a, filename="leads.xlsx", content=buf.getvalue())
    assert [lead.company for lead in result.created] == ["Excel公司"]
    assert [line for line, _ in result.errors] == [3]


def test_import_refuses_unknown_format_and_missing_header(org):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError):
        lead_services.lead_import(by=org.manager_a, filename="leads.txt", content=b"x")
    with pytest.raises(DomainError):
        lead_services.lead_import(by=org.manager_a, filename="leads.csv", content=b"a,b\n1,2\n")


def test_assign_refuses_inactive_user(org):  # type: ignore[no-untyped-def]
    lead = _lead(org)
    gone = UserFactory(username="gone", is_active=False, department=org.dept_a, manager=org.manager_a)
    with pytest.raises(DomainError) as exc:
        lead_services.lead_assign(lead=lead, to_user=gone, by=org.manager_a)
    assert "停用" in str(exc.value.message)


def test_manager_assigns_only_within_team(org):  # type: ignore[no-untyped-def]
    lead = _lead(org)
    with pytest.raises(DomainError) as exc:
        lead_services.lead_assign(lead=lead, to_user=org.rep_b1, by=org.manager_a)
    assert exc.value.code == "not_allowed"
    with pytest.raises(DomainError):  # a rep cannot hand out leads
        lead_services.lead_assign(lead=lead, to_user=org.rep_a2, by=org.rep_a1)
    lead_services.lead_assign(lead=lead, to_user=org.rep_a2, by=org.manager_a)
    lead.refresh_from_db()
    assert (lead.assigned_to, lead.status) == (org.rep_a2, LeadStatus.ASSIGNED)
