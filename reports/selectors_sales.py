"""A5: the monthly sales report's lines and totals."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from common.money import ZERO
from crm.models import OrderLine, OrderStatus, User
from reports import scope
from reports.filters import Period

# --- A5 monthly sales report --------------------------------------------------------------------


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


def sales_totals(lines: QuerySet) -> dict[str, Any]:
    return lines.order_by().aggregate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
