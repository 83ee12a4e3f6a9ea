"""Rollups (issue 14, "fast at scale"): per-person figures per month / quarter / year, customers per
owner and grade, open receivables per owner and due date — derived data the dashboards read instead of
aggregating millions of raw rows.

Correctness rules:
- One computation, `raw_person_figures`, defines every per-person figure; the pages' raw path and the
  rollups both use it, so they cannot disagree.
- Source saves and deletes mark (person, local day) dirty (`rollup_mark`, called by `reports.signals`,
  in the saving transaction). A page reads a dirty person's figures raw; everyone else from the rollup.
- `rollup_refresh` (Celery, every minute) recomputes the periods of the dirty marks, rebuilds the two
  snapshots and removes only the marks it saw (their token unchanged). `rollup_recheck` (nightly)
  marks a window of days for everyone; `rollup_rebuild` (command `rollups_rebuild`) recomputes all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncMonth

from common.money import ZERO
from common.timeutil import local_today, month_start, next_month, start_of_local_day
from crm.models import Contract, Customer, FollowUp, Opportunity, Order, OrderLine, OrderStatus, Payment
from crm.models.customers import ONSITE_CHANNELS
from reports.filters import Period, add_months
from reports.models import (
    OwnerGradeCount,
    PersonPeriodFigures,
    PipelineCell,
    ReceivableDue,
    RollupDirty,
    RollupSpan,
)
from reports.selectors_common import SIGNED_STATUSES

COUNTS = (
    "new_customers",
    "new_opportunities",
    "followups",
    "customers_followed",
    "visits",
    "contract_count",
    "sales_lines",
)
AMOUNTS = ("contract_amount", "collections", "sales_amount", "booked_total")
FIGURES = COUNTS + AMOUNTS
MONEY_FIGURES = (
    "contract_count",
    "contract_amount",
    "collections",
    "sales_lines",
    "sales_amount",
    "booked_total",
)


def _blank() -> dict[str, Any]:
    return {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(AMOUNTS, ZERO)}


def raw_person_figures(
    *, start: dt.date, end: dt.date, person_ids: Iterable[int] | None, only: Iterable[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Per person, for local days [start, end): new customers (entered by them), new opportunities,
    follow-ups, customers followed, on-site visits, contracts signed (count, amount), collections (net of
    refunds, by order owner), booked order lines (count, amount) and booked order totals. One GROUP BY per
    source; `person_ids` None means everyone; `only` names the figures wanted (the other sources are not
    read, their figures stay zero)."""
    # COUNT(*) (and the follow-up's customer, never null, for the visits) rather than COUNT(id): the
    # per-person indexes (crm 0021, 0025) then answer these from the index alone on PostgreSQL.
    wanted = set(FIGURES if only is None else only)
    ids = None if person_ids is None else list(person_ids)
    start_at, end_at = start_of_local_day(start), start_of_local_day(end)
    out: dict[int, dict[str, Any]] = defaultdict(_blank)

    def scoped(qs: Any, key: str) -> Any:
        return qs if ids is None else qs.filter(**{f"{key}__in": ids})

    def into(qs: Any, key: str, **aggs: Any) -> None:
        if not wanted & set(aggs):
            return
        for r in scoped(qs, key).order_by().values(key).annotate(**aggs):
            if r[key] is not None:
                row = out[r[key]]
                for name in aggs:
                    row[name] = r[name] if r[name] is not None else row[name]

    into(
        Customer.objects.filter(created_at__gte=start_at, created_at__lt=end_at),
        "created_by_id",
        new_customers=Count("*"),
    )
    into(
        Opportunity.objects.filter(registered_at__gte=start_at, registered_at__lt=end_at),
        "owner_id",
        new_opportunities=Count("*"),
    )
    into(
        FollowUp.objects.filter(occurred_at__gte=start_at, occurred_at__lt=end_at),
        "author_id",
        followups=Count("*"),
        customers_followed=Count("customer_id", distinct=True),
        visits=Count("customer_id", filter=Q(channel__in=list(ONSITE_CHANNELS))),
    )
    into(
        Contract.objects.filter(status__in=SIGNED_STATUSES, signed_on__gte=start, signed_on__lt=end),
        "owner_id",
        contract_count=Count("*"),
        contract_amount=Sum("amount"),
    )
    into(
        Payment.objects.filter(received_on__gte=start, received_on__lt=end),
        "order__owner_id",
        collections=Sum("amount"),
    )
    into(
        OrderLine.objects.filter(
            order__status=OrderStatus.BOOKED, order__booked_at__gte=start_at, order__booked_at__lt=end_at
        ),
        "order__owner_id",
        sales_lines=Count("*"),
        sales_amount=Sum("amount"),
    )
    into(
        Order.objects.filter(status=OrderStatus.BOOKED, booked_at__gte=start_at, booked_at__lt=end_at),
        "owner_id",
        booked_total=Sum("total"),
    )
    return dict(out)


def periods_of(day: dt.date) -> list[Period]:
    """The month, quarter and year a day counts in (the report filter's spans)."""
    return [Period.of(day, span) for span in RollupSpan.values]


# --- marking (signals) ------------------------------------------------------------------------------


def rollup_mark(*, marks: Iterable[tuple[int | None, dt.date | None]]) -> None:
    """Mark (person, local day) pairs dirty, in the caller's transaction. A fresh token on every mark
    tells a running refresh that the day changed again after it read it."""
    rows = {(p, d) for p, d in marks if p and d}
    if not rows:
        return
    RollupDirty.objects.bulk_create(
        [RollupDirty(person_id=p, day=d, token=uuid.uuid4().hex) for p, d in sorted(rows)],
        update_conflicts=True,
        unique_fields=["person_id", "day"],
        update_fields=["token"],
    )


# --- refresh ------------------------------------------------------------------------------------


def _write_periods(targets: dict[Period, set[int] | None]) -> int:
    written = 0
    for period, ids in sorted(targets.items(), key=lambda kv: (kv[0].span, kv[0].start)):
        figures = raw_person_figures(start=period.start, end=period.end, person_ids=ids)
        old = PersonPeriodFigures.objects.filter(span=period.span, start=period.start)
        (old if ids is None else old.filter(person_id__in=ids)).delete()
        rows = [
            PersonPeriodFigures(span=period.span, start=period.start, person_id=pid, **values)
            for pid, values in figures.items()
        ]
        PersonPeriodFigures.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
    return written


def snapshots_refresh() -> None:
    """Rebuild the owner × grade counts and the open receivables per owner and due date, whole (two
    set-based INSERT … SELECT; bulk owner changes such as pool releases are caught here)."""
    OwnerGradeCount.objects.all().delete()
    OwnerGradeCount.objects.bulk_create(
        OwnerGradeCount(owner_id=r["owner_id"], grade=r["grade"], customers=r["n"])
        for r in Customer.objects.filter(owner__isnull=False)
        .order_by()
        .values("owner_id", "grade")
        .annotate(n=Count("id"))
    )
    PipelineCell.objects.all().delete()
    PipelineCell.objects.bulk_create(
        (
            PipelineCell(
                owner_id=r["owner_id"],
                stage=r["stage"],
                registered_month=_date(r["rm"]) or dt.date.min,
                expected_month=_date(r["em"]),
                opportunities=r["n"],
                amount=r["s"] or ZERO,
            )
            for r in Opportunity.objects.annotate(
                rm=TruncMonth("registered_at"), em=TruncMonth("expected_sign_date")
            )
            .order_by()
            .values("owner_id", "stage", "rm", "em")
            .annotate(n=Count("id"), s=Sum("amount"))
        ),
        batch_size=2000,
    )
    ReceivableDue.objects.all().delete()
    ReceivableDue.objects.bulk_create(
        (
            ReceivableDue(
                owner_id=r["owner_id"],
                due_on=r["due_on"],
                booked_on=r["booked_on"],
                orders=r["n"],
                open_amount=r["s"],
            )
            for r in _open_orders_by_due()
        ),
        batch_size=2000,
    )


def _date(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _open_orders_by_due() -> Any:
    from django.db.models import Case, DateField, When
    from django.db.models.functions import TruncDate

    return (
        Order.objects.filter(status=OrderStatus.BOOKED, total__gt=F("cleared_amount"))
        .annotate(
            booked_on=Case(
                When(due_on__isnull=True, then=TruncDate("booked_at")), default=None, output_field=DateField()
            )
        )
        .order_by()
        .values("owner_id", "due_on", "booked_on")
        .annotate(n=Count("id"), s=Sum(F("total") - F("cleared_amount")))
    )


def _one_writer() -> None:
    """Serialise refreshes and rebuilds (a slow run overlapping the next minute's) on PostgreSQL; SQLite
    serialises writers by itself."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(14014)")


def rollup_refresh() -> dict[str, int]:
    """Recompute every period that holds a dirty (person, day), for those people, rebuild the snapshots,
    then drop the marks seen (a mark re-touched meanwhile keeps its new token and stays). Safe to run
    twice."""
    with transaction.atomic():
        _one_writer()
        marks = list(RollupDirty.objects.values_list("id", "person_id", "day", "token"))
        targets: dict[Period, set[int] | None] = defaultdict(set)
        for _id, person, day, _token in marks:
            for period in periods_of(day):
                targets[period].add(person)  # type: ignore[union-attr]
        written = _write_periods(targets)
        snapshots_refresh()
        cleared = _clear_seen([(pk, token) for pk, _person, _day, token in marks])
    return {"marks": len(marks), "cleared": cleared, "rows": written}


def _clear_seen(marks: list[tuple[int, str]]) -> int:
    """Delete the marks whose token is still the one read (500 to a statement)."""
    cleared = 0
    for i in range(0, len(marks), 500):
        seen = Q(pk__in=[])
        for pk, token in marks[i : i + 500]:
            seen |= Q(pk=pk, token=token)
        cleared += RollupDirty.objects.filter(seen).delete()[0]
    return cleared


def rollup_recheck(*, days: int = 35, today: dt.date | None = None) -> int:
    """Nightly: mark the last `days` days dirty for everyone with raw rows in them (catches writes that
    bypassed the signals, e.g. bulk updates), for the next refresh to recompute."""
    today = today or local_today()
    start = today - dt.timedelta(days=days)
    people = raw_person_figures(start=start, end=today + dt.timedelta(days=1), person_ids=None)
    touched = set(people) | set(
        PersonPeriodFigures.objects.filter(start__gte=month_start(start)).values_list("person_id", flat=True)
    )
    months, month = [], month_start(start)
    while month <= today:  # one day in each month of the window: the refresh recomputes whole periods
        months.append(max(month, start))
        month = next_month(month)
    rollup_mark(marks=[(p, day) for p in touched for day in months])
    return len(touched)


def rollup_rebuild() -> dict[str, int]:
    """Recompute every period from the first raw row to this month for everyone (after a bulk load, a
    migration or a restore), then the snapshots; clears the marks seen."""
    marks = list(RollupDirty.objects.values_list("id", "token"))
    first = _first_day()
    targets: dict[Period, set[int] | None] = {}
    if first is not None:
        month = month_start(first)
        while month <= local_today():
            for period in periods_of(month):
                targets[period] = None
            month = next_month(month)
    with transaction.atomic():
        _one_writer()
        PersonPeriodFigures.objects.all().delete()
        written = _write_periods(targets)
        snapshots_refresh()
        _clear_seen(marks)
    return {"periods": len(targets), "rows": written}


def _first_day() -> dt.date | None:
    from common.timeutil import local_date

    found: list[dt.date] = []
    for qs, field, is_time in (
        (Customer.objects, "created_at", True),
        (Opportunity.objects, "registered_at", True),
        (FollowUp.objects, "occurred_at", True),
        (Contract.objects, "signed_on", False),
        (Payment.objects, "received_on", False),
        (Order.objects, "booked_at", True),
    ):
        value = qs.aggregate(m=Min(field))["m"]
        if value is not None:
            found.append(local_date(value) if is_time else value)
    return min(found) if found else None


# --- reading ----------------------------------------------------------------------------------------


# Within `marks_read_once()` (a home: funnel, figures, ranking, aging and targets each ask), the dirty marks
# of a set of people are read once and later questions about the same people or fewer are answered from
# that read: [(person ids or None for everyone, their marks)].
_MARKS_READ: ContextVar[list[tuple[frozenset[int] | None, list[tuple[int, dt.date]]]] | None] = ContextVar(
    "rollup_marks_read", default=None
)


# Within the same block, the raw month money of a dirty person is read once too: the president's home reads
# this month of the people who worked today for the ranking (`person_figures`) and again for the trend
# (`monthly_person_money`). {(person id, first of the month): {"contract_amount": …, "collections": …}}
_MONEY_READ: ContextVar[dict[tuple[int, dt.date], dict[str, Any]] | None] = ContextVar(
    "rollup_raw_money_read", default=None
)
_MONEY = ("contract_amount", "collections")


@contextmanager
def marks_read_once() -> Iterator[None]:
    token, money = _MARKS_READ.set([]), _MONEY_READ.set({})
    try:
        yield
    finally:
        _MONEY_READ.reset(money)
        _MARKS_READ.reset(token)


def _marks_of(person_ids: set[int] | None) -> list[tuple[int, dt.date]]:
    """The (person, day) marks of these people (None: everyone's)."""
    read = _MARKS_READ.get()
    for ids, rows in read or ():
        if ids is None or (person_ids is not None and person_ids <= ids):
            return rows if person_ids is None else [r for r in rows if r[0] in person_ids]
    qs = RollupDirty.objects.all()
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    rows = list(qs.values_list("person_id", "day"))
    if read is not None:
        read.append((None if person_ids is None else frozenset(person_ids), rows))
    return rows


def dirty_people(*, person_ids: Iterable[int] | None, start: dt.date, end: dt.date) -> tuple[set, set]:
    """(people with a dirty day in [start, end), people with any dirty day) — one query (none within
    `marks_read_once` when these people's marks were read already)."""
    in_range, anywhere = set(), set()
    for person, day in _marks_of(None if person_ids is None else set(person_ids)):
        anywhere.add(person)
        if start <= day < end:
            in_range.add(person)
    return in_range, anywhere


def rolled_figures(*, period: Period, person_ids: Iterable[int] | None) -> dict[int, dict[str, Any]]:
    """The stored figures of a month, quarter or year per person (None: everyone stored)."""
    qs = PersonPeriodFigures.objects.filter(span=period.span, start=period.start)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    return {r["person_id"]: r for r in qs.values("person_id", *FIGURES)}


def person_figures(
    *, period: Period, person_ids: Iterable[int] | None, only: Iterable[str] | None = None
) -> dict[int, dict[str, Any]]:
    """Per-person figures for a period: the rollup for clean people, raw for people with a dirty day in
    it (or everyone raw when the period is not a stored month / quarter / year); `only`: the figures the
    caller reads (the raw path skips the other sources). Constant query count."""
    ids = None if person_ids is None else set(person_ids)
    if period.span not in RollupSpan.values or Period.of(period.start, period.span) != period:
        return raw_person_figures(start=period.start, end=period.end, person_ids=ids, only=only)
    dirty, _anywhere = dirty_people(person_ids=ids, start=period.start, end=period.end)
    rolled = rolled_figures(period=period, person_ids=ids)
    out = {pid: r for pid, r in rolled.items() if pid not in dirty}
    if dirty:
        raw = raw_person_figures(start=period.start, end=period.end, person_ids=dirty, only=only)
        out.update(raw)
        money_read = _MONEY_READ.get()
        read_money = only is None or set(_MONEY) <= set(only)
        if money_read is not None and period.span == RollupSpan.MONTH and read_money:
            for pid in dirty:  # nobody's row: nothing signed or received
                money_read[(pid, period.start)] = {n: raw.get(pid, {}).get(n) or ZERO for n in _MONEY}
    return out


def grade_counts(*, person_ids: Iterable[int], dirty: set[int]) -> list[dict[str, Any]]:
    """Customers per owner and grade: the snapshot for clean owners, raw for dirty ones (two queries)."""
    ids = set(person_ids)
    clean, raw = ids - dirty, ids & dirty
    rows = [
        {"owner_id": r.owner_id, "grade": r.grade, "n": r.customers}
        for r in OwnerGradeCount.objects.filter(owner_id__in=list(clean))
    ]
    if raw:
        rows += list(
            Customer.objects.filter(owner_id__in=list(raw))
            .order_by()
            .values("owner_id", "grade")
            .annotate(n=Count("*"))
        )
    return rows


def monthly_person_money(
    *, first: dt.date, end: dt.date, person_ids: Iterable[int] | None
) -> list[dict[str, Any]]:
    """Contract amount and collections per person and month for months [first, end): the month rollups,
    except the (person, month) cells holding a dirty day, which are read raw (usually this month of the
    people who worked today) — unless `person_figures` read that month raw in the same `marks_read_once`."""
    ids = None if person_ids is None else set(person_ids)
    stale = {(p, month_start(d)) for p, d in _marks_of(ids) if first <= d < end}
    qs = PersonPeriodFigures.objects.filter(span=RollupSpan.MONTH, start__gte=first, start__lt=end)
    if ids is not None:
        qs = qs.filter(person_id__in=list(ids))
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in qs.values("person_id", "start", "contract_amount", "collections")
        if (r["person_id"], r["start"]) not in stale
    ]
    money_read = _MONEY_READ.get() or {}
    rows += [{"person_id": p, "start": m, **money_read[(p, m)]} for p, m in stale if (p, m) in money_read]
    stale -= set(money_read)
    if stale:
        raw = _raw_monthly_money(first=min(m for _p, m in stale), end=end, person_ids={p for p, _m in stale})
        rows += [r for r in raw if (r["person_id"], r["start"]) in stale]
    return rows


def _raw_monthly_money(*, first: dt.date, end: dt.date, person_ids: set[int]) -> list[dict[str, Any]]:
    cells: dict[tuple[int, dt.date], dict[str, Any]] = {}

    def cell(pid: int, m: Any) -> dict[str, Any]:
        m = month_start(m.date() if isinstance(m, dt.datetime) else m)
        key = (pid, m)
        if key not in cells:
            cells[key] = {"person_id": pid, "start": m, "contract_amount": ZERO, "collections": ZERO}
        return cells[key]

    for r in (
        Contract.objects.filter(
            owner_id__in=person_ids, status__in=SIGNED_STATUSES, signed_on__gte=first, signed_on__lt=end
        )
        .annotate(m=TruncMonth("signed_on"))
        .order_by()
        .values("owner_id", "m")
        .annotate(s=Sum("amount"))
    ):
        cell(r["owner_id"], r["m"])["contract_amount"] += r["s"] or ZERO
    for r in (
        Payment.objects.filter(order__owner_id__in=person_ids, received_on__gte=first, received_on__lt=end)
        .annotate(m=TruncMonth("received_on"))
        .order_by()
        .values("order__owner_id", "m")
        .annotate(s=Sum("amount"))
    ):
        cell(r["order__owner_id"], r["m"])["collections"] += r["s"] or ZERO
    return list(cells.values())


def window_start(end_month: dt.date, months: int) -> dt.date:
    return add_months(end_month, -(months - 1) - 12)


def receivables_snapshot(*, person_ids: Iterable[int] | None, dirty: set[int]) -> Any:
    """Open receivables per owner and due date (booking date when there is none) as a queryset with
    `due_on`, `booked_on`, `orders`, `open_amount`: the snapshot for clean owners. Dirty owners are read
    raw by the caller."""
    ids = None if person_ids is None else set(person_ids)
    snap = ReceivableDue.objects.exclude(owner_id__in=list(dirty))
    if ids is not None:
        snap = snap.filter(owner_id__in=list(ids))
    return snap


def pipeline_snapshot(*, person_ids: Iterable[int] | None, dirty: set[int]) -> Any:
    """The `PipelineCell` rows of clean owners (dirty owners are read raw by the caller)."""
    qs = PipelineCell.objects.exclude(owner_id__in=list(dirty))
    return qs if person_ids is None else qs.filter(owner_id__in=list(person_ids))


def totals(figures: dict[int, dict[str, Any]], *names: str) -> dict[str, Any]:
    """The sum over people of each named figure."""
    return {n: sum((f[n] or 0 for f in figures.values()), ZERO if n in AMOUNTS else 0) for n in names}
