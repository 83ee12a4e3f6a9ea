"""A5: the monthly sales report's lines and totals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from common.money import ZERO
from crm.models import OrderLine, OrderStatus, User
from reports import rollups, scope
from reports.filters import Period

# --- A5 monthly sales report --------------------------------------------------------------------


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SALES_COLUMNS = (
    "id",
    "order_id",
    "order__number",
    "order__booked_at",
    "order__customer__name",
    "order__owner__display_name",
    "order__owner__username",
    "product",
    "category",
    "quantity",
    "unit_price",
    "amount",
)


def sales_lines(
    *, user: User, period: Period, dept_path: str | None = None
) -> QuerySet[OrderLine, dict[str, Any]]:
    """A5 (001 l.220): each line sold in the period — name, date, product, quantity, unit price, amount —
    from booked orders in the user's scope, oldest first (values rows: one query, however long)."""
    lines = scope.in_department(scope.order_lines(user), dept_path, "order__owner").filter(
        order__status=OrderStatus.BOOKED,
        order__booked_at__gte=period.start_at,
        order__booked_at__lt=period.end_at,
    )
    # A join (not `order_id IN (subquery)`): the first page walks the orders' booked_at index.
    return lines.order_by("order__booked_at", "order_id", "id").values(*SALES_COLUMNS)


def sales_totals(*, user: User, period: Period, dept_path: str | None = None) -> dict[str, Any]:
    """The period's line count and amount in the user's scope, summed from the per-person rollups (raw
    for people with unrefreshed changes), so a page never aggregates every line of the month."""
    ids = scope.money_member_ids(user)
    if dept_path:
        in_dept = set(
            User.objects.filter(department__path__startswith=dept_path).values_list("id", flat=True)
        )
        ids = in_dept if ids is None else ids & in_dept
    figures = rollups.person_figures(period=period, person_ids=ids, only=["sales_lines", "sales_amount"])
    return {
        "n": sum(f["sales_lines"] for f in figures.values()),
        "amount": sum((f["sales_amount"] or ZERO for f in figures.values()), ZERO),
    }


def parse_sales_cursor(raw: str | None) -> tuple[dt.datetime, int, int] | None:
    """`after=<booked µs since epoch>.<order id>.<line id>`; anything else means the first page."""
    parts = (raw or "").split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) < 19 for p in parts):
        return None
    try:
        at = EPOCH + dt.timedelta(microseconds=int(parts[0]))
    except (OverflowError, OSError, ValueError):
        return None
    return at, int(parts[1]), int(parts[2])


def sales_cursor(row: dict[str, Any]) -> str:
    at = row["order__booked_at"]
    micros = (at - EPOCH) // dt.timedelta(microseconds=1)
    return f"{micros}.{row['order_id']}.{row['id']}"


def sales_page(
    lines: QuerySet[OrderLine, dict[str, Any]], *, after: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One keyset page of `sales_lines` (booked time, order, line) and the cursor of the next page."""
    cursor = parse_sales_cursor(after)
    if cursor is not None:
        at, order_id, line_id = cursor
        lines = lines.filter(order__booked_at__gte=at).filter(
            Q(order__booked_at__gt=at) | Q(order_id__gt=order_id) | Q(order_id=order_id, id__gt=line_id)
        )
    rows = list(lines[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, sales_cursor(rows[-1]) if more and rows else None
