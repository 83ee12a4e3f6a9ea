"""Reports and dashboards on hand-built data: exact figures, and each role's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import translation

from commissions.models import CommissionLine, LineStatus, SalesTarget
from crm.models import ContractStatus, FollowUpChannel, Order, PipelineStage
from crm.services.payments import payment_record
from reports.filters import Period, add_months
from reports.selectors_homes import aging, manager_home, rep_home
from reports.selectors_people import rank_by, rankings, rep_activity, usage_ranking
from reports.selectors_pipeline import forecast, funnel, open_pipeline
from reports.selectors_trend import monthly_trend
from tests.factories import CustomerFactory, FollowUpFactory, make_order
from tests.reports.world import (
    LAST_MONTH,
    LAST_YEAR,
    THIS_MONTH,
    at,
    contract,
    new_customers,
    opportunity,
    org_with_stages,
    payment,
    visits,
)
from tests.test_i18n import CJK

pytestmark = pytest.mark.django_db


def by_code(rows):  # type: ignore[no-untyped-def]
    return {r.code: r for r in rows}


def test_funnel_counts_amounts_and_stage_to_stage_conversion():
    """Given rep_a1's opportunities (2 leads, 1 qualified, 1 proposal, 1 won, 1 lost) and one of rep_a2,
    the rep's funnel counts only their own and converts reached-this-stage ÷ reached-the-previous one."""
    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    opportunity(org.rep_a1, "lead", "2000.00")
    opportunity(org.rep_a1, "qualified", "5000.00")
    opportunity(org.rep_a1, "proposal", "10000.00")
    opportunity(org.rep_a1, "won", "20000.00")
    opportunity(org.rep_a1, "lost", "3000.00")
    opportunity(org.rep_a2, "negotiation", "40000.00")

    rows = by_code(funnel(user=org.rep_a1))
    assert [rows[c].count for c in ("lead", "qualified", "proposal", "negotiation", "won", "lost")] == [
        2,
        1,
        1,
        0,
        1,
        1,
    ]
    assert rows["lead"].amount == Decimal("3000.00")
    assert rows["lead"].weighted == Decimal("300.00")  # 10 %
    assert rows["proposal"].weighted == Decimal("5000.00")  # 50 %
    assert [rows[c].reached for c in ("lead", "qualified", "proposal", "negotiation", "won")] == [
        5,
        3,
        2,
        1,
        1,
    ]
    assert rows["lead"].conversion is None
    assert rows["qualified"].conversion == Decimal("60.0")
    assert rows["proposal"].conversion == Decimal("66.7")
    assert rows["negotiation"].conversion == Decimal("50.0")
    assert rows["won"].conversion == Decimal("100.0")
    assert open_pipeline(list(rows.values())) == Decimal("18000.00")

    team = by_code(funnel(user=org.manager_a))
    assert team["negotiation"].count == 1
    assert open_pipeline(list(team.values())) == Decimal("58000.00")


def test_forecast_weights_open_opportunities_by_stage_probability():
    org = org_with_stages()
    sign = THIS_MONTH + dt.timedelta(days=9)
    opportunity(org.rep_a1, "proposal", "10000.00", sign=sign)  # 50 % → 5,000
    opportunity(org.rep_a1, "negotiation", "8000.00", sign=sign)  # 75 % → 6,000
    opportunity(org.rep_a1, "won", "9000.00", sign=sign)  # closed: not forecast
    opportunity(org.rep_a1, "lead", "1234.50", sign=add_months(THIS_MONTH, 2))  # 10 % → 123.45

    months = forecast(user=org.rep_a1, start=THIS_MONTH, months=3)
    assert [(m.month, m.count, m.amount, m.weighted) for m in months] == [
        (THIS_MONTH, 2, Decimal("18000.00"), Decimal("11000.00")),
        (add_months(THIS_MONTH, 1), 0, Decimal("0"), Decimal("0")),
        (add_months(THIS_MONTH, 2), 1, Decimal("1234.50"), Decimal("123.45")),
    ]


def test_monthly_trend_month_on_month_and_year_on_year_by_department():
    """Contract amount: ¥120,000 this month (dept A 100,000 + dept B 20,000), ¥80,000 last month, ¥60,000 a
    year ago; collections ¥30,000 this month, ¥40,000 last month. Drafts do not count."""
    org = org_with_stages()
    contract(org.rep_a1, "100000.00", THIS_MONTH)
    contract(org.rep_b1, "20000.00", THIS_MONTH)
    contract(org.rep_a1, "999999.00", THIS_MONTH, status=ContractStatus.DRAFT)
    contract(org.rep_a2, "80000.00", LAST_MONTH)
    contract(org.rep_a1, "60000.00", LAST_YEAR)
    payment(org.rep_a1, "30000.00", THIS_MONTH)
    payment(org.rep_b1, "40000.00", LAST_MONTH)

    trend = monthly_trend(user=org.president, month=THIS_MONTH)
    current = trend.months[-1]
    assert current.contracts == Decimal("120000.00")
    assert current.contracts_mom == Decimal("50.0")  # 120k vs 80k
    assert current.contracts_yoy == Decimal("100.0")  # 120k vs 60k
    assert current.collections == Decimal("30000.00")
    assert current.collections_mom == Decimal("-25.0")
    assert current.collections_yoy is None  # nothing a year ago: no 同比
    assert len(trend.months) == 12
    depts = {d.department: d for d in trend.departments}
    assert depts["销售一部"].current.contracts == Decimal("100000.00")
    assert depts["销售一部"].current.contracts_mom == Decimal("25.0")  # 100k vs 80k
    assert depts["销售二部"].current.collections_mom == Decimal("-100.0")

    # A rep's trend is their own figures only.
    mine = monthly_trend(user=org.rep_b1, month=THIS_MONTH)
    assert mine.months[-1].contracts == Decimal("20000.00")
    assert [d.department for d in mine.departments] == ["销售二部"]


def test_rep_activity_per_person_in_scope_only():
    org = org_with_stages()
    new_customers(org.rep_a1, 3)
    new_customers(org.rep_a1, 2, on=LAST_MONTH)  # not in the period
    opportunity(org.rep_a1, "lead", "1.00")
    opportunity(org.rep_a1, "lead", "1.00")
    customer = CustomerFactory(owner=org.rep_a1, grade="A")
    visits(org.rep_a1, customer, 2)
    FollowUpFactory(
        customer=customer,
        author=org.rep_a1,
        occurred_at=at(THIS_MONTH),
        channel=FollowUpChannel.PHONE_REGULAR,
    )
    new_customers(org.rep_b1, 4)

    period = Period.of(THIS_MONTH)
    rows = {p.name: p for p in rep_activity(user=org.manager_a, period=period)}
    assert "销售乙一" not in rows  # another team
    me = rows["销售甲一"]
    assert (me.new_customers, me.new_opportunities, me.followups, me.customers_followed, me.visits) == (
        3,
        2,
        3,
        1,
        2,
    )
    # Owned: 5 new (grade C) + 2 opportunity customers (C) + 1 grade A = 8; 3 follow-ups / 8 customers.
    assert me.grades == {"A": 1, "C": 7}
    assert me.customers_owned == 8
    assert me.contact_frequency == Decimal("0.38")

    assert [p.name for p in rep_activity(user=org.rep_a1, period=period)] == ["销售甲一"]


def test_rankings_are_published_with_shared_ranks():
    org = org_with_stages()
    contract(org.rep_a1, "50000.00", THIS_MONTH)
    contract(org.rep_b1, "50000.00", THIS_MONTH)
    contract(org.rep_a2, "70000.00", THIS_MONTH)
    contract(org.rep_a2, "1000.00", THIS_MONTH)
    payment(org.rep_b1, "8000.00", THIS_MONTH)

    rows = rankings(period=Period.of(THIS_MONTH))
    ranked = rank_by(rows, "contract_amount")
    top = [(r.rank, r.person.name, r.value) for r in ranked[:3]]
    assert top == [
        (1, "销售甲二", Decimal("71000.00")),
        (2, "销售乙一", Decimal("50000.00")),  # a tie shares the rank (then by name)
        (2, "销售甲一", Decimal("50000.00")),
    ]
    assert rank_by(rows, "contract_count")[0].value == 2
    assert rank_by(rows, "collections")[0].person.name == "销售乙一"

    only_b = rankings(period=Period.of(THIS_MONTH), dept_path=org.dept_b.path)
    assert {p.name for p in only_b} == {"销售乙一"}  # 003 §12.4 ranks the sellers, not 经理乙


@override_settings(REPORTS_USAGE_MIN_NEW_CUSTOMERS=1, REPORTS_USAGE_MIN_NEW_OPPORTUNITIES=0)
def test_usage_ranking_bottom_three_are_sellers_never_a_manager():
    """A2's bottom 3 loses lead assignment (003 §12.4): it ranks the sellers the lead rotation deals to,
    so a manager with no own activity (and the account executive, the director) is never in it."""
    org = org_with_stages()
    new_customers(org.rep_a1, 3)
    new_customers(org.rep_b1, 2)  # rep_a2 does nothing this month; neither do the managers

    usage = usage_ranking(period=Period.of(THIS_MONTH))
    rows = [(r.person.name, r.score) for r in usage.rows]
    assert rows == [("销售甲一", 3), ("销售乙一", 2), ("销售甲二", 0)]
    assert [r.person.name for r in usage.top] == ["销售甲一", "销售乙一"]
    assert [r.person.name for r in usage.bottom] == ["销售甲二"]  # the rest after the top: one seller
    assert usage.bottom[0].missing == "新增客户差 1 个"
    ranked = {r.person.user_id for r in usage.rows}
    assert not ranked & {org.manager_a.pk, org.manager_b.pk, org.regional_manager.pk, org.executive.pk}


@override_settings(
    REPORTS_USAGE_MIN_NEW_CUSTOMERS=3, REPORTS_USAGE_MIN_NEW_OPPORTUNITIES=1, REPORTS_USAGE_TOP_N=1
)
def test_usage_ranking_minimums_top_and_bottom():
    """A2: only those meeting both minimums can be top; the bottom names what is missing."""
    org = org_with_stages()
    new_customers(org.rep_a1, 3)
    opportunity(org.rep_a1, "lead", "1.00")
    new_customers(org.rep_a2, 10)  # many customers but no opportunity: not qualified
    new_customers(org.rep_b1, 4)
    opportunity(org.rep_b1, "lead", "1.00")
    visits(org.rep_b1, CustomerFactory(owner=org.rep_b1), 1)

    usage = usage_ranking(period=Period.of(THIS_MONTH))
    assert [(r.person.name, r.qualified, r.score) for r in usage.top] == [("销售乙一", True, 6)]  # 4 + 1 + 1
    order = [r.person.name for r in usage.rows]
    assert order[:3] == ["销售乙一", "销售甲一", "销售甲二"]
    a2 = next(r for r in usage.rows if r.person.name == "销售甲二")
    assert a2.missing == "新增商机差 1 个"
    assert len(usage.bottom) == 1
    assert usage.bottom[0].missing  # the last is someone below the minimums
    assert usage.min_customers == 3


def test_rep_home_sales_target_commission_pipeline_followups():
    org = org_with_stages()
    today = THIS_MONTH + dt.timedelta(days=2)
    make_order(owner=org.rep_a1, booked_at=at(THIS_MONTH))  # ¥10,000.00
    make_order(
        owner=org.rep_a1, booked_at=at(THIS_MONTH), lines=[("regular", Decimal("2"), Decimal("2500.00"))]
    )
    make_order(owner=org.rep_a2, booked_at=at(THIS_MONTH))
    SalesTarget.objects.create(user=org.rep_a1, period=THIS_MONTH, amount=Decimal("60000.00"))
    SalesTarget.objects.create(
        user=org.rep_a1, period=THIS_MONTH.replace(month=1), annual=True, amount=Decimal("600000.00")
    )
    for status, amount in (
        (LineStatus.PAYABLE, "300.00"),
        (LineStatus.PAYABLE, "120.50"),
        (LineStatus.PENDING, "80.00"),
    ):
        CommissionLine.objects.create(
            payee_user=org.rep_a1,
            period=THIS_MONTH,
            status=status,
            amount=Decimal(amount),
            source_key=f"t-{status}-{amount}",
        )
    opportunity(org.rep_a1, "proposal", "10000.00")
    opportunity(org.rep_a1, "won", "5000.00")
    FollowUpFactory(customer=CustomerFactory(owner=org.rep_a1), author=org.rep_a1, occurred_at=at(today))

    home = rep_home(user=org.rep_a1, today=today)
    assert home["month_sales"] == Decimal("15000.00")
    assert home["month_target"] == Decimal("60000.00")
    assert home["month_attainment"] == Decimal("25.0")
    assert home["year_attainment"] == Decimal("2.5")
    assert home["commission_payable"] == Decimal("420.50")
    assert home["commission_pending"] == Decimal("80.00")
    assert home["pipeline_total"] == Decimal("10000.00")
    assert [r.code for r in home["pipeline"]] == ["lead", "qualified", "proposal", "negotiation"]
    assert home["followups_this_week"] == 1


def test_manager_home_kpis_for_the_team_only():
    org = org_with_stages()
    today = THIS_MONTH + dt.timedelta(days=3)
    new_customers(org.rep_a1, 2)
    new_customers(org.rep_b1, 5)  # other team
    contract(org.rep_a2, "30000.00", THIS_MONTH)
    contract(org.rep_b1, "70000.00", THIS_MONTH)
    payment(org.rep_a1, "2500.00", THIS_MONTH)
    opportunity(org.rep_a1, "negotiation", "12000.00")

    home = manager_home(user=org.manager_a, today=today)
    # 2 new + the opportunity's customer + the contract's and the payment order's customers
    assert home["new_customers"] == 5
    assert home["contracts_count"] == 1
    assert home["contracts_amount"] == Decimal("30000.00")
    assert home["collections"] == Decimal("2500.00")
    assert home["pipeline_total"] == Decimal("12000.00")
    assert home["ranking"][0].person.name == "销售甲二"
    assert {r.person.name for r in home["ranking"]} <= {"经理甲", "销售甲一", "销售甲二", "客户执行"}


def test_aging_buckets_outstanding_by_months_overdue():
    org = org_with_stages()
    today = dt.date(2026, 9, 15)
    old = make_order(owner=org.rep_a1, booked_at=at(dt.date(2026, 1, 10)))  # due 2026-02-09: > 6 months
    Order.objects.filter(pk=old.pk).update(due_on=dt.date(2026, 2, 9))
    recent = make_order(owner=org.rep_a1, booked_at=at(dt.date(2026, 8, 1)))
    Order.objects.filter(pk=recent.pk).update(due_on=dt.date(2026, 8, 31))  # overdue < 2 months
    future = make_order(owner=org.rep_a1, booked_at=at(dt.date(2026, 9, 10)))
    Order.objects.filter(pk=future.pk).update(due_on=dt.date(2026, 10, 10))
    payment_record(order=recent, amount="4000.00", received_on=today, by=org.finance)

    rows = {r["code"]: (r["count"], r["amount"]) for r in aging(qs=Order.objects.all(), today=today)}
    assert rows["current"] == (1, Decimal("10000.00"))
    assert rows["overdue"] == (1, Decimal("6000.00"))
    assert rows["bad_debt"] == (1, Decimal("10000.00"))
    assert rows["watch"] == (0, Decimal("0"))


def test_funnel_stage_names_are_in_the_readers_language():
    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    with translation.override("en"):
        names = [row.name for row in funnel(user=org.rep_a1)]
    assert not any(CJK.search(name) for name in names), names
    with translation.override("zh-hans"):
        assert funnel(user=org.rep_a1)[0].name == PipelineStage.objects.order_by("position").first().name
