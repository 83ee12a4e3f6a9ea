"""The funnel, the open pipeline and the forecast (A2, A3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, TruncMonth

from common.money import ZERO, round_fen
from common.timeutil import month_start
from crm.models import OpportunityStage, PipelineStage, User
from reports import rollups, scope
from reports.filters import Period, add_months
from reports.selectors_common import HUNDRED, pct

# --- the funnel and the pipeline ------------------------------------------------------------------

DEFAULT_PROBABILITY = {"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}


@dataclass
class Stage:
    code: str
    name: str
    probability: int
    is_won: bool
    is_lost: bool


def stages() -> list[Stage]:
    """L2: the admin's funnel (商机阶段), or the default stages when none is configured."""
    rows = list(PipelineStage.objects.filter(active=True).order_by("position", "id"))
    if rows:
        return [Stage(s.code, s.label, s.probability, s.is_won, s.is_lost) for s in rows]
    return [
        Stage(code, str(label), DEFAULT_PROBABILITY.get(code, 0), code == "won", code == "lost")
        for code, label in OpportunityStage.choices
    ]


@dataclass
class FunnelRow:
    code: str
    name: str
    count: int
    amount: Decimal
    weighted: Decimal
    reached: int  # opportunities at this stage or a later one (lost ones excluded)
    conversion: Decimal | None  # % of those that reached the previous stage and got this far
    is_lost: bool = False
    is_won: bool = False


def _owner_ids(user: User, dept_path: str | None) -> set[int] | None:
    """The opportunity owners in the user's scope (None: everyone), within the department filter."""
    ids = scope.member_ids(user)
    if dept_path:
        in_dept = set(
            User.objects.filter(department__path__startswith=dept_path).values_list("id", flat=True)
        )
        ids = in_dept if ids is None else ids & in_dept
    return ids


def funnel(*, user: User, period: Period | None = None, dept_path: str | None = None) -> list[FunnelRow]:
    """A1: opportunities by stage with amounts and stage-to-stage conversion — from the pipeline
    snapshot, raw for owners with unrefreshed changes (a fixed number of queries)."""
    ids = _owner_ids(user, dept_path)
    _in_range, dirty = rollups.dirty_people(person_ids=ids, start=dt.date.max, end=dt.date.max)
    cells = rollups.pipeline_snapshot(person_ids=ids, dirty=dirty)
    if period is not None:  # a period is whole months; the snapshot keeps the registration month
        cells = cells.filter(registered_month__gte=period.start, registered_month__lt=period.end)
    grouped: dict[str, dict] = {}
    for r in cells.order_by().values("stage").annotate(n=Sum("opportunities"), amount=Sum("amount")):
        grouped[r["stage"]] = {"n": r["n"], "amount": r["amount"] or ZERO}
    if dirty:
        qs = scope.opportunities(user).filter(owner_id__in=dirty if ids is None else dirty & ids)
        if period is not None:
            qs = qs.filter(registered_at__gte=period.start_at, registered_at__lt=period.end_at)
        for r in qs.order_by().values("stage").annotate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO)):
            g = grouped.setdefault(r["stage"], {"n": 0, "amount": ZERO})
            g["n"] += r["n"]
            g["amount"] += r["amount"]
    rows: list[FunnelRow] = []
    for st in stages():
        g = grouped.get(st.code, {})
        amount = g.get("amount", ZERO)
        rows.append(
            FunnelRow(
                st.code,
                st.name,
                g.get("n", 0),
                amount,
                round_fen(amount * st.probability / HUNDRED),
                0,
                None,
                st.is_lost,
                st.is_won,
            )
        )
    flow = [r for r in rows if not r.is_lost]
    reached = 0
    for r in reversed(flow):
        reached += r.count
        r.reached = reached
    for prev, r in pairwise(flow):
        r.conversion = pct(r.reached, prev.reached)
    return rows


def open_pipeline(rows: list[FunnelRow]) -> Decimal:
    """The amount of opportunities not yet won or lost (the funnel's rows carry their stage's flags)."""
    return sum((r.amount for r in rows if not (r.is_lost or r.is_won)), ZERO)


@dataclass
class ForecastMonth:
    month: dt.date
    amount: Decimal
    weighted: Decimal
    count: int


def forecast(
    *, user: User, start: dt.date, months: int = 6, dept_path: str | None = None
) -> list[ForecastMonth]:
    """A1: open opportunities by expected signing month, weighted by their stage's win probability."""
    stage_list = stages()
    probability = {s.code: s.probability for s in stage_list}
    closed = [s.code for s in stage_list if s.is_won or s.is_lost] or ["won", "lost"]
    first = month_start(start)
    end = add_months(first, months)
    ids = _owner_ids(user, dept_path)
    _in_range, dirty = rollups.dirty_people(person_ids=ids, start=dt.date.max, end=dt.date.max)
    cells: dict[tuple[dt.date, str], dict] = {}

    def add(m: Any, stage: str, n: int, amount: Decimal) -> None:
        cell = cells.setdefault((month_start(m.date() if isinstance(m, dt.datetime) else m), stage), {})
        cell["n"] = cell.get("n", 0) + n
        cell["amount"] = cell.get("amount", ZERO) + (amount or ZERO)

    for r in (
        rollups.pipeline_snapshot(person_ids=ids, dirty=dirty)
        .exclude(stage__in=closed)
        .filter(expected_month__gte=first, expected_month__lt=end)
        .order_by()
        .values("expected_month", "stage")
        .annotate(n=Sum("opportunities"), amount=Sum("amount"))
    ):
        add(r["expected_month"], r["stage"], r["n"], r["amount"])
    if dirty:
        for r in (
            scope.opportunities(user)
            .filter(owner_id__in=dirty if ids is None else dirty & ids)
            .exclude(stage__in=closed)
            .filter(expected_sign_date__gte=first, expected_sign_date__lt=end)
            .annotate(m=TruncMonth("expected_sign_date"))
            .order_by()
            .values("m", "stage")
            .annotate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
        ):
            add(r["m"], r["stage"], r["n"], r["amount"])
    result = {add_months(first, i): ForecastMonth(add_months(first, i), ZERO, ZERO, 0) for i in range(months)}
    for (m, stage), cell in sorted(cells.items()):
        row = result[m]
        row.amount += cell["amount"]
        row.count += cell["n"]
        row.weighted += round_fen(cell["amount"] * probability.get(stage, 0) / HUNDRED)
    return list(result.values())
