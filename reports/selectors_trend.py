"""Contract amount and collections per month and department (the 12-month trend)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from common.money import ZERO
from common.timeutil import month_start, next_month
from crm.models import User
from reports import rollups, scope
from reports.filters import add_months
from reports.selectors_common import change_pct

# --- contract amount and collections per month and department ------------------------------------


@dataclass
class MonthFigures:
    month: dt.date
    contracts: Decimal = ZERO
    collections: Decimal = ZERO
    contracts_mom: Decimal | None = None  # 环比
    contracts_yoy: Decimal | None = None  # 同比
    collections_mom: Decimal | None = None
    collections_yoy: Decimal | None = None


@dataclass
class DepartmentFigures:
    department: str
    department_id: int | None
    current: MonthFigures
    previous: MonthFigures
    last_year: MonthFigures


@dataclass
class Trend:
    months: list[MonthFigures]
    departments: list[DepartmentFigures]
    month: dt.date


def _to_month(value: Any) -> dt.date:
    return month_start(value.date() if isinstance(value, dt.datetime) else value)


def monthly_trend(*, user: User, month: dt.date, months: int = 12, dept_path: str | None = None) -> Trend:
    """A1 and the president's home: contract amount (contracts signed in the month) and collections
    (money received net of refunds) for the last `months` months, with 环比 and 同比, and the chosen
    month by department. Read from the month rollups per person (raw for people with unrefreshed
    changes), summed by each person's department: a fixed number of queries, whatever the data."""
    end_month = month_start(month)
    first = add_months(end_month, -(months - 1) - 12)  # a year more, for 同比
    end = next_month(end_month)
    ids = scope.money_member_ids(user)
    if dept_path:
        in_dept = set(
            User.objects.filter(department__path__startswith=dept_path).values_list("id", flat=True)
        )
        ids = in_dept if ids is None else ids & in_dept
    rows = rollups.monthly_person_money(first=first, end=end, person_ids=ids)
    who = {
        u["id"]: u
        for u in User.objects.filter(id__in={r["person_id"] for r in rows}).values(
            "id", "department_id", "department__name"
        )
    }
    total: dict[dt.date, MonthFigures] = defaultdict(lambda: MonthFigures(dt.date.min))
    by_dept: dict[int | None, dict[dt.date, MonthFigures]] = defaultdict(dict)
    names: dict[int | None, str] = {}

    def cell(table: dict[dt.date, MonthFigures], m: dt.date) -> MonthFigures:
        if m not in table:
            table[m] = MonthFigures(m)
        return table[m]

    for r in rows:
        if not (r["contract_amount"] or r["collections"]):
            continue
        m = _to_month(r["start"])
        person: dict[str, Any] = dict(who.get(r["person_id"]) or {})
        dept = person.get("department_id")
        names[dept] = person.get("department__name") or _("未分配部门")
        for table in (total, by_dept[dept]):
            cell(table, m).contracts += r["contract_amount"] or ZERO
            cell(table, m).collections += r["collections"] or ZERO

    def with_changes(table: dict[dt.date, MonthFigures], m: dt.date) -> MonthFigures:
        cur = MonthFigures(m, cell(table, m).contracts, cell(table, m).collections)
        prev, ly = cell(table, add_months(m, -1)), cell(table, add_months(m, -12))
        cur.contracts_mom = change_pct(cur.contracts, prev.contracts)
        cur.contracts_yoy = change_pct(cur.contracts, ly.contracts)
        cur.collections_mom = change_pct(cur.collections, prev.collections)
        cur.collections_yoy = change_pct(cur.collections, ly.collections)
        return cur

    shown = [add_months(end_month, -i) for i in range(months - 1, -1, -1)]
    departments = [
        DepartmentFigures(
            names[d],
            d,
            with_changes(by_dept[d], end_month),
            cell(by_dept[d], add_months(end_month, -1)),
            cell(by_dept[d], add_months(end_month, -12)),
        )
        for d in sorted(names, key=lambda k: (k is None, names[k]))
    ]
    return Trend([with_changes(total, m) for m in shown], departments, end_month)
