"""Statement pages and API (own / team / finance), line drill-down, what-if estimator; 404s, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from commissions.models import CommissionLine, SalesTarget
from commissions.services.ledger_run import ledger_recalculate
from crm.models import Opportunity, OpportunityStage, ProductCategory, Role
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import NAV_QUERIES, CustomerFactory, make_order

REG = ProductCategory.REGULAR


@pytest.fixture
def ledger(org):
    """October 2026: rep_a1 (team A) sold 600,000 in 3 orders, rep_b1 (team B) 50,000; one order collected."""
    install_plan("sales_progressive", role=Role.REP)
    orders = [
        make_order(
            owner=org.rep_a1, lines=[(REG, D("1"), D("200000"))], booked_at=booked(dt.date(2026, 10, d))
        )
        for d in (3, 4, 5)
    ]
    pay(orders[0], "200000", dt.date(2026, 10, 9), org.finance)
    make_order(owner=org.rep_b1, lines=[(REG, D("1"), D("50000"))], booked_at=booked(dt.date(2026, 10, 6)))
    ledger_recalculate(period=dt.date(2026, 10, 1))
    return orders


def test_rep_sees_own_statement_with_totals(org, ledger, client_for):
    page = client_for(org.rep_a1).get("/commissions/?period=2026-10")
    assert page.status_code == 200
    summary = page.context["summary"]
    assert (summary.earned, summary.payable, summary.pending) == (D("30000.00"), D("10000.00"), D("20000.00"))
    assert {x.payee_user_id for x in page.context["lines"]} == {org.rep_a1.pk}
    assert "¥30,000.00" in page.content.decode()
    assert 'name="period" value="2026-10"' in page.content.decode()


def test_the_month_picker_shows_this_month_when_none_was_asked_for(org, client_for):
    from common.timeutil import local_today

    html = client_for(org.rep_a1).get("/commissions/").content.decode()
    assert f'type="month" name="period" value="{local_today():%Y-%m}"' in html


def test_rep_cannot_pick_another_payee_nor_open_their_line(org, ledger, client_for, api_for):
    other_line = CommissionLine.objects.filter(payee_user=org.rep_b1).first()
    client = client_for(org.rep_a1)
    page = client.get(f"/commissions/?period=2026-10&payee={org.rep_b1.pk}")
    assert {x.payee_user_id for x in page.context["lines"]} == {org.rep_a1.pk}
    assert client.get(f"/commissions/lines/{other_line.pk}/").status_code == 404
    api = api_for(org.rep_a1)
    assert api.get(f"/api/commissions/lines/{other_line.pk}/").status_code == 404
    assert api.get(f"/api/commissions/statement/?period=2026-10&payee={org.rep_b1.pk}").status_code == 404
    listed = api.get("/api/commissions/lines/?period=2026-10").json()["results"]
    assert {x["payee_user"] for x in listed} == {org.rep_a1.pk}


def test_manager_sees_team_not_other_team(org, ledger, client_for, api_for):
    client = client_for(org.manager_a)
    page = client.get(f"/commissions/?period=2026-10&payee={org.rep_a1.pk}")
    assert page.context["summary"].earned == D("30000.00")
    b_line = CommissionLine.objects.filter(payee_user=org.rep_b1).first()
    assert client.get(f"/commissions/lines/{b_line.pk}/").status_code == 404
    api = api_for(org.manager_a)
    body = api.get(f"/api/commissions/statement/?period=2026-10&payee={org.rep_a1.pk}").json()
    assert body["earned"] == "30000.00" and body["pending"] == "20000.00"
    assert api.get(f"/api/commissions/statement/?period=2026-10&payee={org.rep_b1.pk}").status_code == 404


def test_finance_sees_all(org, ledger, client_for, api_for):
    b_line = CommissionLine.objects.filter(payee_user=org.rep_b1).first()
    assert client_for(org.finance).get(f"/commissions/lines/{b_line.pk}/").status_code == 200
    listed = api_for(org.finance).get("/api/commissions/lines/?period=2026-10").json()["results"]
    assert {x["payee_user"] for x in listed} == {org.rep_a1.pk, org.rep_b1.pk}


def test_line_drill_down_shows_order_and_explanation(org, ledger, client_for):
    line = CommissionLine.objects.filter(payee_user=org.rep_a1, order=ledger[0]).get()
    page = client_for(org.rep_a1).get(f"/commissions/lines/{line.pk}/")
    html = page.content.decode()
    assert ledger[0].number in html
    assert "10万元以上至50万元（含）的部分" in html  # the month's band computation
    assert page.context["calculation"].total == D("30000.00")
    # the line's own part, in words: the component's month total, the rep's sales, share and order base
    rows = dict(page.context["explanation"])
    assert rows["本组成本月合计"] == "¥30,000.00" and rows["本月业绩"] == "¥600,000.00"
    assert rows["业绩分配比例"] == "100%" and rows["本单计提基数"] == "¥200,000.00"
    assert "calculation" not in html and "order_base" not in html  # no raw JSON keys on the page


def test_line_drill_down_in_the_api_matches_the_page(org, ledger, api_for, django_assert_max_num_queries):
    line = CommissionLine.objects.filter(payee_user=org.rep_a1, order=ledger[0]).get()
    api = api_for(org.rep_a1)
    with django_assert_max_num_queries(6):  # 4 for who may see what, the line with its order, 1 calculation
        body = api.get(f"/api/commissions/lines/{line.pk}/").json()
    rows = {x["label"]: x["value"] for x in body["explanation_text"]}
    assert rows["本组成本月合计"] == "¥30,000.00" and rows["业绩分配比例"] == "100%"
    assert body["calculation"]["total"] == "30000.00" and body["calculation"]["sales"] == "600000.00"
    assert [x["amount"] for x in body["calculation"]["lines"]] == ["3000.00", "20000.00", "7000.00"]
    # another rep's line is not found
    assert api_for(org.rep_b1).get(f"/api/commissions/lines/{line.pk}/").status_code == 404


def test_bad_filters_are_messages_not_500(org, ledger, client_for, api_for):
    page = client_for(org.rep_a1).get("/commissions/?period=2026-13")
    assert page.status_code == 200 and "月份格式应为" in page.content.decode()
    api = api_for(org.rep_a1)
    assert api.get("/api/commissions/lines/?period=oops").status_code == 400
    assert api.get("/api/commissions/statement/?period=oops").status_code == 400
    assert api.get("/api/commissions/statement/?payee=abc").status_code == 400


def test_statement_query_counts(org, ledger, client_for, api_for, django_assert_max_num_queries):
    for i in range(30):
        make_order(
            owner=org.rep_a1, lines=[(REG, D("1"), D("1000") + i)], booked_at=booked(dt.date(2026, 10, 20))
        )
    ledger_recalculate(period=dt.date(2026, 10, 1))
    client = client_for(org.finance)
    with django_assert_max_num_queries(12):
        assert client.get("/commissions/?period=2026-10").status_code == 200
    api = api_for(org.finance)
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/commissions/lines/?period=2026-10").json()["results"]) == 34
    manager = client_for(org.manager_a)
    with django_assert_max_num_queries(16 + NAV_QUERIES):
        assert manager.get(f"/commissions/?period=2026-10&payee={org.rep_a1.pk}").status_code == 200


def test_login_required(client, api_for):
    assert client.get("/commissions/").status_code == 302
    assert api_for().get("/api/commissions/statement/").status_code in (401, 403)


# ---------------------------------------------------------------------------------------------- what-if


@pytest.fixture
def this_month_sales(org):
    install_plan("sales_progressive", role=Role.REP)
    today = timezone.localdate()
    make_order(owner=org.rep_a1, lines=[(REG, D("1"), D("480000"))], booked_at=booked(today.replace(day=1)))
    SalesTarget.objects.create(user=org.rep_a1, period=today.replace(day=1), amount=D("1000000"))


def test_what_if_page_explains_the_marginal_commission(org, this_month_sales, client_for):
    page = client_for(org.rep_a1).post("/commissions/what-if/", {"amount": "40000", "category": REG})
    assert page.status_code == 200
    estimate = page.context["estimate"]
    assert estimate.delta == D("2400.00")  # 20,000 at 5% + 20,000 at 7%
    changes = estimate.plans[0].changes()
    assert [(c["band"], c["delta"]) for c in changes] == [
        ("10万元以上至50万元（含）的部分", "1000.00"),
        ("50万元以上至100万元（含）的部分", "1400.00"),
    ]


def test_what_if_api_with_an_open_opportunity_reaching_the_target(org, this_month_sales, api_for):
    customer = CustomerFactory(owner=org.rep_a1)
    opp = Opportunity.objects.create(
        customer=customer,
        owner=org.rep_a1,
        name="年度培训",
        stage=OpportunityStage.NEGOTIATION,
        amount=D("520000"),
        registered_at=timezone.now(),
    )
    body = (
        api_for(org.rep_a1).post("/api/commissions/what-if/", {"opportunity": opp.pk}, format="json").json()
    )
    # 20,000 at 5% + 500,000 at 7% = 36,000; the target bonus is annual (001 三.3), paid in the year-end
    # run, so reaching the month's target adds nothing this month
    assert body["delta"] == "36000.00" and body["sales_so_far"] == "480000.00"
    other = api_for(org.rep_b1).post("/api/commissions/what-if/", {"opportunity": opp.pk}, format="json")
    assert other.status_code == 404


def test_what_if_bad_input_and_no_plan(org, this_month_sales, client_for, api_for):
    page = client_for(org.rep_a1).post("/commissions/what-if/", {"amount": "", "category": REG})
    assert "请输入成交金额" in page.content.decode() and page.context["estimate"] is None
    page = client_for(org.rep_a1).post("/commissions/what-if/", {"amount": "-5", "category": REG})
    assert page.context["form"].errors["amount"]
    assert (
        api_for(org.rep_a1).post("/api/commissions/what-if/", {"amount": "abc"}, format="json").status_code
        == 400
    )
    response = api_for(org.finance).post("/api/commissions/what-if/", {"amount": "100"}, format="json")
    assert response.status_code == 400 and "没有适用的提成方案" in response.json()["detail"]


def test_forfeit_page_asks_for_confirmation_then_forfeits(org, ledger, client_for):
    client = client_for(org.finance)
    first = client.post("/commissions/forfeit/", {"payee": org.rep_a1.pk, "reason": "虚假销售，已查实"})
    assert first.status_code == 200 and first.context["preview"]["n"] == 3
    assert not CommissionLine.objects.filter(status="forfeited").exists()  # nothing yet
    done = client.post(
        "/commissions/forfeit/", {"payee": org.rep_a1.pk, "reason": "虚假销售，已查实", "confirm": "True"}
    )
    assert done.status_code == 302
    assert CommissionLine.objects.filter(payee_user=org.rep_a1, status="forfeited").count() == 3


def test_forfeit_page_is_not_for_reps_or_managers(org, ledger, client_for):
    assert client_for(org.rep_a1).get("/commissions/forfeit/").status_code == 404
    assert client_for(org.manager_a).get("/commissions/forfeit/").status_code == 404
