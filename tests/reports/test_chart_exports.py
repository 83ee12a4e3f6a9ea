"""Every chart's table as Excel (the page's own figures, so its scope), formula-escaped, logged; and the
"save as image" button beside it (drawn by static/js/charts.js with ECharts getDataURL)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from common.models import ExportLog
from crm.models import Role
from tests.factories import UserFactory, make_order
from tests.reports.world import THIS_MONTH, at, contract, new_customers, opportunity, org_with_stages, payment

pytestmark = pytest.mark.django_db

MONTH = f"{THIS_MONTH:%Y-%m}"


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """The month of tests/reports/test_pages.py: team A (rep_a1) and team B (rep_b1)."""
    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    opportunity(org.rep_a1, "proposal", "10000.00")
    opportunity(org.rep_b1, "negotiation", "40000.00")
    contract(org.rep_a1, "100000.00", THIS_MONTH)
    contract(org.rep_b1, "20000.00", THIS_MONTH)
    payment(org.rep_a1, "30000.00", THIS_MONTH)
    new_customers(org.rep_a1, 2)
    make_order(
        owner=org.rep_a1, booked_at=at(THIS_MONTH), lines=[("regular", Decimal("3"), Decimal("1500.50"))]
    )
    return org


def sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[c.value for c in row] for row in ws.iter_rows()]


def export(client, report: str, chart: str, **params: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("reports:chart_export"), {"report": report, "chart": chart, **params})


def test_the_funnel_export_is_the_managers_team_only(client_for, world) -> None:  # type: ignore[no-untyped-def]
    rows = sheet(export(client_for(world.manager_a), "funnel", "funnel", month=MONTH))
    assert rows[0] == ["销售漏斗", None]
    assert rows[1] == ["项目", "数值"]
    assert rows[2:] == [["信息开发", 1], ["立项", 0], ["方案/报价", 1], ["商务谈判", 0], ["签约", 0]]
    mine = sheet(export(client_for(world.rep_b1), "funnel", "funnel", month=MONTH))
    assert mine[2:] == [["信息开发", 0], ["立项", 0], ["方案/报价", 0], ["商务谈判", 1], ["签约", 0]]
    log = ExportLog.objects.filter(user=world.manager_a).get()
    assert (log.kind, log.rows) == ("report_chart", 5)
    assert log.get_kind_display() == "报表图表数据"  # its own kind, named in the admin's export log


def test_the_trend_export_has_the_months_as_rows_and_money_as_numbers(client_for, world) -> None:  # type: ignore[no-untyped-def]
    response = export(client_for(world.president), "trend", "trend", month=MONTH)
    rows = sheet(response)
    assert rows[1] == ["类别", "合同金额", "回款金额"]
    assert len(rows) == 2 + 12
    assert rows[-1] == [MONTH, Decimal("120000"), Decimal("30000")]


def test_the_forecast_chart_exports_both_series(client_for, world) -> None:  # type: ignore[no-untyped-def]
    rows = sheet(export(client_for(world.manager_a), "funnel", "forecast", month=MONTH))
    assert rows[0][0] == "签约预测" and rows[1] == ["类别", "预计金额", "加权金额"]


def test_a_chart_the_role_may_not_open_is_a_404_and_a_bad_link_a_message(client_for, world) -> None:  # type: ignore[no-untyped-def]
    finance = client_for(world.finance)
    assert export(finance, "funnel", "funnel").status_code == 404  # no customer book for finance
    assert sheet(export(finance, "trend", "trend", month=MONTH))[-1][1] == Decimal("120000")
    bad = export(finance, "trend", "nope")
    assert bad.status_code == 302 and bad["Location"] == "/"
    assert export(finance, "whatever", "x").status_code == 302
    assert not ExportLog.objects.filter(user=world.finance, rows=0).exists()


def test_home_charts_export_for_each_role(client_for, world) -> None:  # type: ignore[no-untyped-def]
    rows = sheet(export(client_for(world.rep_a1), "home", "pipeline"))
    assert rows[0][0] == "商机阶段金额" and rows[1] == ["类别", "金额"]
    assert ["方案/报价", Decimal("10000")] in rows
    assert ["商务谈判", Decimal("0")] in rows  # rep_b1's ¥40,000.00 negotiation is not in rep_a1's home
    ranking = sheet(export(client_for(world.manager_a), "home", "ranking"))
    assert ranking[0][0] == "合同金额"


def test_text_that_looks_like_a_formula_is_written_as_text(client_for, world) -> None:  # type: ignore[no-untyped-def]
    evil = UserFactory(
        username="evil",
        display_name='=HYPERLINK("http://x","点我")',
        roles=[Role.REP],
        department=world.dept_a,
        manager=world.manager_a,
    )
    new_customers(evil, 1)
    rows = sheet(export(client_for(world.manager_a), "activity", "activity", month=MONTH))
    assert ['\'=HYPERLINK("http://x","点我")', 1, 0, 0] in rows


def test_each_chart_offers_its_export_and_save_as_image(client_for, world) -> None:  # type: ignore[no-untyped-def]
    html = client_for(world.manager_a).get(reverse("reports:funnel"), {"month": MONTH}).content.decode()
    assert f'href="/reports/chart.xlsx?month={MONTH}&amp;report=funnel&amp;chart=funnel"' in html
    assert f'href="/reports/chart.xlsx?month={MONTH}&amp;report=funnel&amp;chart=forecast"' in html
    assert 'data-chart-save="chart-funnel"' in html and 'data-chart-save="chart-forecast"' in html
    home = client_for(world.president).get("/").content.decode()
    for name in ("trend", "funnel", "aging"):
        assert f"report=home&amp;chart={name}" in home and f'data-chart-save="chart-{name}"' in home
    ranks = (
        client_for(world.rep_a1).get(reverse("reports:rankings"), {"metric": "followups"}).content.decode()
    )
    assert "metric=followups&amp;report=rankings&amp;chart=ranking" in ranks
    js = Path(settings.BASE_DIR, "static/js/charts.js").read_text()
    assert "getDataURL" in js and "data-chart-save" in js
