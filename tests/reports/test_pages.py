"""Homes, report pages, the API and the Excel export: the same numbers, each role's scope, bad input."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from commissions.models import CommissionLine, LineKind, LineStatus
from common.models import ExportLog
from crm.models import Role
from partners.models import Partner, PartnerKind
from tests.factories import UserFactory, make_order
from tests.reports.world import THIS_MONTH, at, contract, new_customers, opportunity, org_with_stages, payment

pytestmark = pytest.mark.django_db

MONTH = f"{THIS_MONTH:%Y-%m}"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    opportunity(org.rep_a1, "proposal", "10000.00")
    opportunity(org.rep_b1, "negotiation", "40000.00")
    contract(org.rep_a1, "100000.00", THIS_MONTH)
    contract(org.rep_b1, "20000.00", THIS_MONTH)
    payment(org.rep_a1, "30000.00", THIS_MONTH)
    new_customers(org.rep_a1, 2)
    make_order(
        owner=org.rep_a1,
        booked_at=at(THIS_MONTH),
        lines=[("regular", Decimal("3"), Decimal("1500.50")), ("high_end", Decimal("1"), Decimal("800.00"))],
    )
    make_order(
        owner=org.rep_b1, booked_at=at(THIS_MONTH), lines=[("regular", Decimal("1"), Decimal("777.00"))]
    )
    return org


@pytest.mark.parametrize(
    "who,heading",
    [
        ("rep_a1", "我的业绩"),
        ("manager_a", "团队看板"),
        ("regional_manager", "团队看板"),
        ("vp", "团队看板"),
        ("president", "公司经营看板"),
        ("assistant", "团队看板"),
        ("finance", "财务看板"),
    ],
)
def test_each_role_opens_on_its_own_home(client_for, world, who, heading, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(getattr(world, who))
    # The page includes the role menu (its badges ask other apps) and, for reps and managers, "my day";
    # the home itself is a fixed set of
    # aggregates: ten more people with customers and contracts change nothing in the count. Issue 14 at 1M:
    # the dirty marks are read once per home, "due for contact" is one index read, the pool policy is read
    # once per request (SQLite here: the rep's home 28 queries, a manager's 45–47, the president's 30,
    # finance 18).
    with django_assert_max_num_queries(50), CaptureQueriesContext(connection) as before:
        response = client.get("/")
    for i in range(10):
        rep = UserFactory(
            username=f"more{i}", roles=[Role.REP], department=world.dept_a, manager=world.manager_a
        )
        new_customers(rep, 2)
        contract(rep, "1000.00", THIS_MONTH)
        opportunity(rep, "proposal", "500.00")
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after.captured_queries) == len(before.captured_queries)
    # The pool policy (near release, "my day"'s list, the badges) is read once per request, not per part.
    policy_reads = [q for q in before.captured_queries if 'FROM "crm_poolpolicy"' in q["sql"]]
    assert len(policy_reads) <= 1
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    assert 'data-chart="' in html and "vendor/echarts-5.6.0/echarts.min.js" in html
    # CSP: the chart data goes in json_script, the chart code stays in static files.
    assert 'type="application/json">' in html and "echarts.init" not in html


def test_rep_home_keeps_my_day_and_shows_own_figures(client_for, world):
    html = client_for(world.rep_a1).get("/").content.decode()
    assert "<h1>我的一天</h1>" in html
    assert "今天该联系的客户" in html
    # Own orders this month: payment's ¥10,000.00 order + ¥5,301.50 = ¥15,301.50; pipeline ¥11,000.00.
    assert "¥15,301.50" in html
    assert "¥11,000.00" in html
    assert "¥40,000.00" not in html  # rep_b1's negotiation


def test_president_home_company_figures_link_to_lists(client_for, world):
    html = client_for(world.president).get("/").content.decode()
    assert "¥120,000.00" in html  # contracts this month, company-wide
    assert "¥30,000.00" in html  # collections
    assert reverse("reports:trend") in html
    assert "/opportunities/?view=list&amp;stage=negotiation" in html


def test_partner_home_shows_own_sales_and_rebates(client_for, world):
    user = UserFactory(username="p1", display_name="合伙人一", roles=[Role.PARTNER])
    partner = Partner.objects.create(
        name="合伙人一", kind=PartnerKind.ORDINARY, user=user, region=world.region
    )
    make_order(owner=user, booked_at=at(THIS_MONTH), lines=[("regular", Decimal("2"), Decimal("6000.00"))])
    CommissionLine.objects.create(
        payee_partner=partner,
        period=THIS_MONTH,
        kind=LineKind.REBATE,
        status=LineStatus.PAYABLE,
        amount=Decimal("600.00"),
        source_key="rebate-1",
    )
    client = client_for(user)
    html = client.get("/").content.decode()
    assert "我的合伙业绩" in html
    assert "¥12,000.00" in html and "¥600.00" in html
    # Partners have no company reports.
    assert client.get(reverse("reports:rankings")).status_code == 404
    assert client.get("/api/reports/rankings/").status_code == 404
    assert client.get("/api/reports/home/").json()["rebate_payable"] == "600.00"


def test_funnel_page_and_api_show_the_same_numbers(client_for, world):
    client = client_for(world.manager_a)
    html = client.get(reverse("reports:funnel"), {"month": MONTH}).content.decode()
    assert "¥10,000.00" in html and "¥5,000.00" in html  # proposal and its 50 % weight
    data = client.get("/api/reports/funnel/", {"month": MONTH}).json()
    rows = {r["code"]: r for r in data["funnel"]}
    assert rows["proposal"]["amount"] == "10000.00"
    assert rows["proposal"]["weighted"] == "5000.00"
    # lead 1 + proposal 1: both reached 立项 (2 → 1 = 50.0 %), the proposal went on (1 → 1 = 100.0 %)
    assert rows["qualified"]["conversion"] == "50.0"
    assert rows["proposal"]["conversion"] == "100.0"
    assert rows["negotiation"]["count"] == 0  # rep_b1 is another team


def test_rep_sees_only_own_figures_except_in_published_rankings(client_for, world):
    client = client_for(world.rep_a1)
    trend = client.get("/api/reports/trend/", {"month": MONTH}).json()
    assert trend["trend"]["months"][-1]["contracts"] == "100000.00"  # not rep_b1's 20,000
    activity = client.get("/api/reports/activity/", {"month": MONTH}).json()
    assert [r["name"] for r in activity["rows"]] == ["销售甲一"]
    sales = client.get("/api/reports/sales/", {"month": MONTH}).json()
    assert {line["name"] for line in sales["lines"]} == {"销售甲一"}
    assert "777.00" not in str(sales)
    # The published ranking lists rep_b1 too.
    ranking = client.get("/api/reports/rankings/", {"month": MONTH}).json()
    names = {r["person"]["name"]: r["person"]["contract_amount"] for r in ranking["ranked"]}
    assert names["销售乙一"] == "20000.00"
    assert names["销售甲一"] == "100000.00"
    page = client.get(
        reverse("reports:rankings"), {"month": MONTH, "metric": "contract_amount"}
    ).content.decode()
    assert "销售乙一" in page and "¥20,000.00" in page


def test_bad_filters_get_a_clear_message_and_no_500(client_for, world):
    client = client_for(world.manager_a)
    page = client.get(reverse("reports:trend"), {"month": "13/2026", "dept": "999999"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "月份格式应为 年-月" in html and "没有这个部门" in html
    api = client.get("/api/reports/trend/", {"month": "abc"})
    assert api.status_code == 400
    assert "月份格式应为" in api.json()["detail"]["month"][0]


def test_filters_live_in_the_url_department_filter(client_for, world):
    client = client_for(world.president)
    data = client.get("/api/reports/trend/", {"month": MONTH, "dept": world.dept_b.pk}).json()
    assert data["trend"]["months"][-1]["contracts"] == "20000.00"


def test_monthly_sales_report_excel_export(client_for, world):
    client = client_for(world.manager_a)
    page = client.get(reverse("reports:sales"), {"month": MONTH}).content.decode()
    assert "¥1,500.50" in page and "¥4,501.50" in page
    response = client.get(reverse("reports:sales_export"), {"month": MONTH})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert rows[0] == ("姓名", "日期", "订单号", "客户", "产品", "数量", "单价", "金额")
    lines = rows[1:-1]
    # rep_a1: the payment's order (1 × 10,000) and the two-line order; rep_b1's line is another team.
    assert sorted((r[4], Decimal(str(r[5])), Decimal(str(r[7]))) for r in lines) == [
        ("产品-high_end", Decimal("1"), Decimal("800")),
        ("产品-regular", Decimal("1"), Decimal("10000")),
        ("产品-regular", Decimal("3"), Decimal("4501.5")),
    ]
    assert rows[-1][0] == "合计" and rows[-1][7] == f"=SUM(H3:H{len(lines) + 2})"
    log = ExportLog.objects.get(user=world.manager_a)
    assert (log.kind, log.get_kind_display(), log.rows) == ("sales_report", "月度销售报表", 3)
    assert log.filters == f"month={MONTH}"


@pytest.mark.parametrize("name", ["funnel", "trend", "activity", "rankings", "usage", "sales"])
def test_report_queries_are_constant(client_for, world, name, django_assert_max_num_queries):
    client = client_for(world.president)
    with django_assert_max_num_queries(25):
        assert client.get(reverse(f"reports:{name}"), {"month": MONTH}).status_code == 200
    # Ten more people with activity change nothing in the count.
    for i in range(10):
        rep = UserFactory(username=f"extra{i}", roles=[Role.REP], department=world.dept_a)
        new_customers(rep, 1)
        contract(rep, "1000.00", THIS_MONTH)
    with django_assert_max_num_queries(25):
        assert client.get(reverse(f"reports:{name}"), {"month": MONTH}).status_code == 200


@pytest.mark.parametrize("name", ["home", "funnel", "trend", "activity", "rankings", "usage", "sales"])
def test_report_api_queries_are_constant(client_for, world, name):
    """The API answers from the same selectors as the pages: the same number of queries whatever the data
    size (ten more people with activity add none)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.president)
    url = reverse(f"reports_api:{name}")
    with CaptureQueriesContext(connection) as before:
        assert client.get(url, {"month": MONTH}).status_code == 200
    for i in range(10):
        rep = UserFactory(username=f"extra{i}", roles=[Role.REP], department=world.dept_a)
        new_customers(rep, 1)
        contract(rep, "1000.00", THIS_MONTH)
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, {"month": MONTH}).status_code == 200
    cap = 40 if name == "home" else 25  # the president's home gathers every card's figures
    assert len(after.captured_queries) == len(before.captured_queries) <= cap


def test_each_report_opens_for_whom_the_menu_offers_it(client_for, world):
    """Finance has no customer book: no funnel or activity (404, and no menu entry), but the money reports."""
    client = client_for(world.finance)
    assert client.get(reverse("reports:funnel")).status_code == 404
    assert client.get("/api/reports/activity/").status_code == 404
    assert client.get(reverse("reports:trend")).status_code == 200
    data = client.get("/api/reports/sales/", {"month": MONTH}).json()
    assert data["amount"] == "16078.50"  # every booked line this month, company-wide
    html = client.get("/").content.decode()
    assert 'href="/reports/funnel/"' not in html and 'href="/reports/trend/"' in html


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("reports:funnel", "加权金额"),
        ("reports:trend", "回款同比"),
        ("reports:activity", "跟进客户数"),
        ("reports:sales", "订单号"),
    ],
)
def test_wide_report_tables_become_labelled_cards_on_a_phone(client_for, world, name, label):
    """The wide report tables are `list` tables: on a phone each row is a card, every value labelled."""
    html = client_for(world.manager_a).get(reverse(name), {"month": MONTH}).content.decode()
    assert re.search(r'<table class="table table-sm list[ "]', html)
    assert f'data-label="{label}"' in html
