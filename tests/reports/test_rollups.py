"""Rollups (issue 14): derived figures kept equal to the raw aggregates as the data changes, read raw
for people with unrefreshed changes, refreshed by the Celery tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from crm.models import Customer, FollowUp, FollowUpChannel, Order
from reports import tasks
from reports.filters import Period, add_months
from reports.models import OwnerGradeCount, PersonPeriodFigures, RollupDirty
from reports.rollups import (
    FIGURES,
    person_figures,
    raw_person_figures,
    rolled_figures,
    rollup_mark,
    rollup_rebuild,
    rollup_refresh,
)
from reports.selectors_homes import aging, aging_for
from reports.selectors_people import rankings
from reports.selectors_pipeline import forecast, funnel
from tests.factories import CustomerFactory, FollowUpFactory, make_order
from tests.reports.world import (
    LAST_MONTH,
    THIS_MONTH,
    at,
    contract,
    new_customers,
    opportunity,
    org_with_stages,
    payment,
    visits,
)

pytestmark = pytest.mark.django_db

MID = THIS_MONTH + dt.timedelta(days=4)  # a fixed day of this month (never "now minus hours")
PERIODS = [Period.of(m, span) for m in (THIS_MONTH, LAST_MONTH) for span in ("month", "quarter", "year")]


def _stored(period: Period) -> dict[int, dict]:
    return {
        pid: {k: v for k, v in row.items() if k != "person_id"}
        for pid, row in rolled_figures(period=period, person_ids=None).items()
    }


def assert_rollups_match_raw() -> None:
    """Every stored figure of every period equals the raw aggregate, person by person."""
    for period in PERIODS:
        raw = raw_person_figures(start=period.start, end=period.end, person_ids=None)
        assert _stored(period) == {pid: {k: row[k] for k in FIGURES} for pid, row in raw.items()}, period


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """rep_a1: 3 new customers, 4 follow-ups on 2 customers (2 visits), a ¥8,000.00 contract and a
    ¥1,500.00 collection this month, a ¥2,000.00 contract last month; rep_a2: 1 follow-up, a ¥500.00
    collection last month."""
    org = org_with_stages()
    mine = new_customers(org.rep_a1, 3, on=MID)
    visits(org.rep_a1, mine[0], 2, on=MID)
    FollowUpFactory(
        customer=mine[1], author=org.rep_a1, occurred_at=at(MID), channel=FollowUpChannel.PHONE_REGULAR
    )
    FollowUpFactory(customer=mine[1], author=org.rep_a1, occurred_at=at(MID, 15))
    FollowUpFactory(customer=CustomerFactory(owner=org.rep_a2), author=org.rep_a2, occurred_at=at(MID))
    contract(org.rep_a1, "8000.00", MID)
    contract(org.rep_a1, "2000.00", LAST_MONTH)
    payment(org.rep_a1, "1500.00", MID)
    payment(org.rep_a2, "500.00", LAST_MONTH)
    opportunity(org.rep_a1, "proposal", "10000.00", registered=MID, sign=add_months(MID, 1))
    opportunity(org.rep_a2, "lead", "3000.00", registered=LAST_MONTH, sign=add_months(MID, 2))
    rollup_rebuild()  # `new_customers` back-dates with update(), which no signal sees
    return org


def test_refresh_stores_exactly_the_raw_figures_and_clears_the_marks(world):
    """Given the hand-built month, when the rollups are rebuilt, then every stored figure equals the raw
    aggregate and rep_a1's month reads 3 new customers, 4 follow-ups on 2 customers, 2 visits,
    ¥8,000.00 signed and ¥1,500.00 collected; no mark is left."""
    assert not RollupDirty.objects.exists()
    assert_rollups_match_raw()
    mine = PersonPeriodFigures.objects.get(span="month", start=THIS_MONTH, person_id=world.rep_a1.pk)
    assert (mine.new_customers, mine.followups, mine.customers_followed, mine.visits) == (3, 4, 2, 2)
    assert (mine.contract_count, mine.contract_amount, mine.collections) == (
        1,
        Decimal("8000.00"),
        Decimal("1500.00"),
    )
    year = PersonPeriodFigures.objects.get(
        span="year", start=THIS_MONTH.replace(month=1), person_id=world.rep_a1.pk
    )
    same_year = LAST_MONTH.year == THIS_MONTH.year  # in January last month's contract is last year's
    assert year.contract_amount == Decimal("10000.00" if same_year else "8000.00")


def test_changes_mark_their_days_and_the_refresh_brings_the_rollups_back_to_the_raw_figures(world):
    """Given clean rollups, when a follow-up is added, a payment is back-dated to last month, an order is
    deleted and a contract changes owner, then each marks its (person, day), pages read those people
    raw (right at once) and after the refresh task the stored figures equal the raw ones again."""
    org = world
    FollowUpFactory(customer=CustomerFactory(owner=org.rep_a2), author=org.rep_a2, occurred_at=at(MID, 11))
    payment(org.rep_a2, "700.00", LAST_MONTH + dt.timedelta(days=2))
    doomed = make_order(owner=org.rep_a1, booked_at=at(MID))
    signed = contract(org.rep_a1, "3000.00", MID)
    rollup_refresh()
    doomed.delete()
    signed.owner = org.rep_a2
    signed.save()
    marked = set(RollupDirty.objects.values_list("person_id", "day"))
    assert {(org.rep_a1.pk, MID), (org.rep_a2.pk, MID)} <= marked

    month = Period.of(THIS_MONTH)
    before = person_figures(period=month, person_ids=[org.rep_a1.pk, org.rep_a2.pk])
    assert before[org.rep_a1.pk]["contract_amount"] == Decimal("8000.00")  # raw: the contract moved
    assert before[org.rep_a2.pk]["contract_amount"] == Decimal("3000.00")
    assert before[org.rep_a2.pk]["followups"] == 2

    tasks.rollup_refresh.delay()  # Celery (eager in tests)
    assert not RollupDirty.objects.exists()
    assert_rollups_match_raw()
    after = person_figures(period=month, person_ids=[org.rep_a1.pk, org.rep_a2.pk])
    for pid in (org.rep_a1.pk, org.rep_a2.pk):  # the stored figures now say what the raw ones said
        assert {k: after[pid][k] for k in FIGURES} == {k: before[pid][k] for k in FIGURES}
    stored = {r.person_id: r for r in PersonPeriodFigures.objects.filter(span="month", start=THIS_MONTH)}
    assert stored[org.rep_a2.pk].contract_amount == Decimal("3000.00")
    assert (
        stored[org.rep_a1.pk].sales_lines
        == raw_person_figures(start=month.start, end=month.end, person_ids=[org.rep_a1.pk])[org.rep_a1.pk][
            "sales_lines"
        ]
    )
    last = PersonPeriodFigures.objects.get(span="month", start=LAST_MONTH, person_id=org.rep_a2.pk)
    assert last.collections == Decimal("1200.00")  # ¥500.00 + the back-dated ¥700.00


def test_snapshots_equal_the_raw_grades_funnel_forecast_and_aging(world):
    """Given clean rollups, the customers per owner and grade, the funnel, the forecast and the aging read
    from the snapshots equal the raw ones — for the president (everyone) and for rep_a1."""
    org = world
    today = MID + dt.timedelta(days=120)
    raw_grades = {
        (r["owner_id"], r["grade"]): r["n"]
        for r in Customer.objects.filter(owner__isnull=False)
        .values("owner_id", "grade")
        .order_by()
        .annotate(n=Count("id"))
    }
    assert {(g.owner_id, g.grade): g.customers for g in OwnerGradeCount.objects.all()} == raw_grades
    assert not RollupDirty.objects.exists()
    for who in (org.president, org.rep_a1):
        rows = funnel(user=who)
        assert [(r.code, r.count, r.amount) for r in rows] == [
            (r.code, r.count, r.amount) for r in _raw_funnel(who)
        ]
        assert aging_for(user=who, today=today) == aging(
            qs=Order.objects.filter(status="booked", **({} if who == org.president else {"owner": who})),
            today=today,
        )
    months = forecast(user=org.president, start=THIS_MONTH)
    assert [(m.month, m.count, m.amount, m.weighted) for m in months if m.count] == [
        (add_months(THIS_MONTH, 1), 1, Decimal("10000.00"), Decimal("5000.00")),
        (add_months(THIS_MONTH, 2), 1, Decimal("3000.00"), Decimal("300.00")),
    ]


def _raw_funnel(user):  # type: ignore[no-untyped-def]
    """The funnel with every owner marked dirty: the raw path."""
    with transaction.atomic():
        sid = transaction.savepoint()
        rollup_mark(marks=[(u, MID) for u in (user.pk, *_all_owner_ids())])
        rows = funnel(user=user)
        transaction.savepoint_rollback(sid)
    return rows


def _all_owner_ids() -> list[int]:
    from crm.models import Opportunity

    return list(Opportunity.objects.values_list("owner_id", flat=True).distinct())


def test_a_write_that_bypasses_the_signals_shows_after_the_nightly_recheck(world, client_for):
    """Given clean rollups, when follow-ups arrive by a bulk insert (no signal), then the published
    ranking still shows the stored figure; after the nightly re-check task it shows the new one."""
    org = world
    customer = CustomerFactory(owner=org.rep_a2)
    rollup_refresh()
    FollowUp.objects.bulk_create(
        FollowUp(
            customer=customer, author=org.rep_a2, occurred_at=at(MID), channel="phone_regular", topic="t"
        )
        for _ in range(5)
    )
    period = Period.of(THIS_MONTH)

    def followups() -> int:
        return next(p.followups for p in rankings(period=period) if p.user_id == org.rep_a2.pk)

    assert followups() == 1
    page = client_for(org.president).get(
        reverse("reports:rankings"), {"month": f"{THIS_MONTH:%Y-%m}", "metric": "followups"}
    )
    assert page.status_code == 200
    tasks.rollup_recheck.delay(days=40)
    assert followups() == 6
    assert not RollupDirty.objects.exists()
    assert_rollups_match_raw()


def test_the_sales_report_pages_by_keyset_and_totals_the_whole_month(world, client_for, settings):
    """Given four booked one-line ¥10,000.00 orders this month (two booked at the same minute) and a page
    size of 2, the first page shows two lines and a cursor, the second the other two and none; the
    totals (from the rollups, the three new orders read raw) cover all four on every page."""
    settings.REPORTS_SALES_PAGE_LINES = 2
    org = world
    for hour in (9, 10, 11):
        make_order(owner=org.rep_a1, booked_at=at(MID, hour))
    month = {"month": f"{THIS_MONTH:%Y-%m}"}
    api = client_for(org.president)
    first = api.get("/api/reports/sales/", month).json()
    assert (first["line_count"], first["amount"], len(first["lines"])) == (4, "40000.00", 2)
    second = api.get("/api/reports/sales/", {**month, "after": first["next"]}).json()
    assert (second["line_count"], second["amount"], len(second["lines"]), second["next"]) == (
        4,
        "40000.00",
        2,
        None,
    )
    shown = [(r["date"], r["order"]) for r in first["lines"] + second["lines"]]
    booked = Order.objects.filter(booked_at__gte=at(THIS_MONTH, 0)).order_by("booked_at", "id")
    assert [r[1] for r in shown] == list(booked.values_list("number", flat=True))
    page = api.get(reverse("reports:sales"), {**month, "after": first["next"]})
    assert page.status_code == 200 and "after=" not in page.content.decode().split("table")[-1]
    assert api.get(reverse("reports:sales"), {**month, "after": "9.x.1"}).status_code == 200  # first page


def test_a_mark_touched_again_during_a_refresh_stays_for_the_next_one(world):
    """Given a mark the refresh has read, when the same (person, day) is marked again before the refresh
    clears it, then only the marks still carrying the token read are removed."""
    from reports.rollups import _clear_seen

    rollup_mark(marks=[(world.rep_a1.pk, MID), (world.rep_a2.pk, MID)])
    read = list(RollupDirty.objects.order_by("person_id").values_list("id", "token"))
    rollup_mark(marks=[(world.rep_a1.pk, MID)])  # a follow-up saved meanwhile
    assert _clear_seen(read) == 1
    assert list(RollupDirty.objects.values_list("person_id", "day")) == [(world.rep_a1.pk, MID)]


def test_a_home_reads_the_dirty_marks_once_and_still_reads_the_dirty_people_raw(world, client_for):
    """Given rep_a1 with a change since the last refresh (a ¥700.00 collection this month), the manager's
    home asks which people are dirty once (the funnel, figures, ranking, aging and targets share that read)
    and shows rep_a1's collections raw: ¥1,500.00 + ¥700.00 = ¥2,200.00 (the rollup still says ¥1,500.00)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.payloads import home_payload

    org = world
    payment(org.rep_a1, "700.00", MID)
    assert RollupDirty.objects.filter(person_id=org.rep_a1.pk).exists()
    assert person_figures(period=Period.of(MID), person_ids=[org.rep_a1.pk])[org.rep_a1.pk][
        "collections"
    ] == (Decimal("2200.00"))
    with CaptureQueriesContext(connection) as ctx:
        data = home_payload(org.manager_a, today=MID)
    assert sum("reports_rollupdirty" in q["sql"] for q in ctx.captured_queries) == 1
    assert data["kind"] == "manager" and data["collections"] == Decimal("2200.00")
    assert data["contracts_amount"] == Decimal("8000.00")


def test_the_president_home_reads_a_dirty_persons_month_once_for_the_ranking_and_the_trend(world):
    """Given rep_a1 with changes since the last refresh (a ¥1,200.00 contract and a ¥700.00 collection
    this month), the president's home shows their raw figures in the trend and in the top 3 — contracts
    ¥8,000.00 + ¥1,200.00 = ¥9,200.00 (环比 +360.0% on last month's ¥2,000.00), collections ¥1,500.00 +
    ¥700.00 = ¥2,200.00 (环比 +340.0% on rep_a2's ¥500.00) — reading that month's payments and contracts
    once (issue 14: the ranking's raw read serves the trend too) and the dirty marks once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.payloads import home_payload

    org = world
    contract(org.rep_a1, "1200.00", MID)
    payment(org.rep_a1, "700.00", MID)
    assert set(RollupDirty.objects.values_list("person_id", flat=True)) >= {org.rep_a1.pk}
    with CaptureQueriesContext(connection) as ctx:
        data = home_payload(org.president, today=MID)
    current = data["current"]
    assert (current.contracts, current.collections) == (Decimal("9200.00"), Decimal("2200.00"))
    assert (current.contracts_mom, current.collections_mom) == (Decimal("360.0"), Decimal("340.0"))
    top = data["top"][0]
    assert (top.rank, top.person.user_id, top.value) == (1, org.rep_a1.pk, Decimal("9200.00"))
    assert (top.person.collections, top.person.contract_count) == (Decimal("2200.00"), 2)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "crm_payment"' in s for s in sqls) == 1
    assert sum('FROM "crm_contract"' in s for s in sqls) == 1
    assert sum("reports_rollupdirty" in s for s in sqls) == 1
