"""A3 (000 form, §4.2.2): a partner's month — target, actual, attainment, best items, sales and service
log — prefilled into the analysis, submitted to the regional manager who comments; the reminder job;
partners see only their own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import SalesTarget
from common.models import Notification
from crm.models import ProductCategory, Role
from partners.models import CreditRole, CreditShare
from reports.consumption import a3_reminders, analysis_for, consumption_figures
from reports.models import AnalysisStatus, PartnerMonthlyAnalysis
from tests.commissions.reward_helpers import TZ, make_partner
from tests.factories import NAV_QUERIES, CustomerFactory, FollowUpFactory, UserFactory, make_order

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


@pytest.fixture
def a3(org):  # type: ignore[no-untyped-def]
    login = UserFactory(username="p_a3", roles=[Role.PARTNER])
    p = make_partner("张合伙", region=org.region, user=login)
    other = make_partner(
        "李合伙", region=org.region_b, user=UserFactory(username="p_b", roles=[Role.PARTNER])
    )
    SalesTarget.objects.create(partner=p, period=OCT, amount=Decimal("20000.00"))
    SalesTarget.objects.create(partner=p, period=dt.date(2026, 11, 1), amount=Decimal("25000.00"))
    customer = CustomerFactory(owner=org.rep_a1, name="华东某学校")
    order = make_order(
        owner=org.rep_a1,
        customer=customer,
        lines=[
            (ProductCategory.HIGH_END, Decimal("2"), Decimal("6000.00")),
            (ProductCategory.REGULAR, Decimal("1"), Decimal("3000.00")),
        ],
        booked_at=dt.datetime(2026, 10, 9, 10, tzinfo=TZ),
    )
    CreditShare.objects.filter(order=order).delete()
    CreditShare.objects.create(order=order, partner=p, role=CreditRole.REFERRAL, share=Decimal("1"))
    FollowUpFactory(
        customer=customer,
        author=login,
        occurred_at=dt.datetime(2026, 10, 12, 15, tzinfo=TZ),
        topic="家长讲座回访",
    )
    return login, p, other, order


def test_the_months_figures_come_from_the_data(a3) -> None:  # type: ignore[no-untyped-def]
    _login, p, _other, order = a3
    f = consumption_figures(partner=p, month=OCT)
    assert (f.target, f.actual, f.attainment, f.next_target) == (
        Decimal("20000.00"),
        Decimal("15000.00"),
        Decimal("75.0"),
        Decimal("25000.00"),
    )
    assert f.best_items == [("产品-high_end", Decimal("12000.00")), ("产品-regular", Decimal("3000.00"))]
    assert [(x["customer"], x["number"], x["amount"]) for x in f.sales_log] == [
        ("华东某学校", order.number, Decimal("15000.00"))
    ]
    assert [(x["date"], x["topic"]) for x in f.service_log] == [(dt.date(2026, 10, 12), "家长讲座回访")]
    analysis, _f = analysis_for(partner=p, month=OCT)
    assert analysis.pk is None
    assert analysis.analysis == "本月目标 ¥20,000.00，实际 ¥15,000.00，完成率 75%。"
    assert analysis.best_items == "1. 产品-high_end ¥12,000.00\n2. 产品-regular ¥3,000.00"
    assert analysis.next_month_target == Decimal("25000.00")


def test_the_partner_submits_and_the_regional_manager_comments(client_for, api_for, org, a3) -> None:  # type: ignore[no-untyped-def]
    login, _p, other, _order = a3
    client = client_for(login)
    page = client.get("/reports/a3/mine/?month=2026-10").content.decode()
    assert "本月目标 ¥20,000.00，实际 ¥15,000.00，完成率 75%。" in page and "data-confirm" in page
    form = {"analysis": "十月完成 75%", "best_items": "高端课程", "next_month_target": "25000.00"}
    # submitting without next month's plan: a clear message, the input kept, nothing saved
    response = client.post("/reports/a3/mine/?month=2026-10", {**form, "next_month_plan": "", "submit": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and "提交前请填写下月业绩计划。" in html and "十月完成 75%" in html
    assert not PartnerMonthlyAnalysis.objects.exists()
    response = client.post(
        "/reports/a3/mine/?month=2026-10", {**form, "next_month_plan": "办两场讲座", "submit": "1"}
    )
    assert response.status_code == 302
    a = PartnerMonthlyAnalysis.objects.get()
    assert (a.status, a.target, a.actual, a.next_month_plan) == (
        AnalysisStatus.SUBMITTED,
        Decimal("20000.00"),
        Decimal("15000.00"),
        "办两场讲座",
    )
    assert Notification.objects.filter(
        user=org.regional_manager, text__contains="张合伙 提交了 2026-10"
    ).exists()
    # locked once submitted
    body = api_for(login).post("/api/reports/a3/mine/?month=2026-10", {"analysis": "改"}, format="json")
    assert body.status_code == 409
    # the partner may not comment on its own; the other partner does not see it
    assert api_for(login).post(f"/api/reports/a3/{a.pk}/comment/", {"comment": "好"}).status_code == 403
    assert api_for(other.user).get(f"/api/reports/a3/{a.pk}/").status_code == 404
    assert client_for(org.rep_a1).get(f"/reports/a3/{a.pk}/").status_code == 404
    # the regional manager comments
    body = api_for(org.regional_manager).post(
        f"/api/reports/a3/{a.pk}/comment/", {"comment": "同意，注意回款"}
    )
    assert body.status_code == 200 and body.json()["status"] == "commented"
    assert Notification.objects.filter(user=login, text__contains="大区经理已批示您 2026-10").exists()
    assert "同意，注意回款" in client_for(login).get(f"/reports/a3/{a.pk}/").content.decode()


def test_the_team_view_shows_who_has_not_submitted(
    client_for, api_for, org, a3, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _login, _p, _other, _order = a3
    for i in range(5):
        make_partner(f"华东{i}", region=org.region)
    client = client_for(org.president)
    client.get("/reports/a3/?month=2026-10")
    with django_assert_max_num_queries(NAV_QUERIES + 6):
        html = client.get("/reports/a3/?month=2026-10&status=missing").content.decode()
    assert "张合伙" in html and "李合伙" in html and "¥15,000.00" in html and "75.0%" in html
    rows = api_for(org.regional_manager).get("/api/reports/a3/?month=2026-10").json()["rows"]
    assert sorted(r["name"] for r in rows) == ["华东0", "华东1", "华东2", "华东3", "华东4", "张合伙"]
    assert {r["status"] for r in rows} == {"missing"}
    assert api_for(org.regional_manager).get("/api/reports/a3/?month=2026-13").status_code == 400


def test_reminders_on_the_reminder_days_once_and_the_regional_manager_after_the_25th(org, a3) -> None:  # type: ignore[no-untyped-def]
    login, _p, other, _order = a3
    PartnerMonthlyAnalysis.objects.create(partner=other, month=OCT, status=AnalysisStatus.SUBMITTED)
    assert a3_reminders(today=dt.date(2026, 10, 21)) == 0
    assert a3_reminders(today=dt.date(2026, 10, 22)) == 1
    assert a3_reminders(today=dt.date(2026, 10, 22)) == 0  # twice the same day: once
    note = Notification.objects.get(user=login)
    assert note.text == "请在 10月25日 前完成并提交 2026-10 客户及其市场消费追踪分析。"
    assert a3_reminders(today=dt.date(2026, 10, 26)) == 1
    assert (
        Notification.objects.get(user=org.regional_manager).text
        == "2026-10 未提交消费追踪分析的合伙人：张合伙"
    )
