"""K14: a payee's sales for a reward (业务总额, 000 §4.3): the holder's credited part (P4 credit share ×
order total) of the booked orders of a date range, per partner or per user, rounded once to the fen."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from common.fen import ZERO, round_fen
from common.timeutil import next_month, start_of_local_day
from crm.models import OrderStatus
from partners.models import CreditShare

_PART = ExpressionWrapper(
    F("order__total") * F("share"), output_field=DecimalField(max_digits=24, decimal_places=8)
)


def credited_sales(*, start: dt.date, end: dt.date, holder: str) -> dict[int, Decimal]:
    """Sales per holder id (`holder` = "partner" or "user") of orders booked from `start` (a month's first
    day) up to the end of the month of `end`. One grouped query."""
    field = "partner_id" if holder == "partner" else "user_id"
    rows = (
        CreditShare.objects.filter(
            order__status=OrderStatus.BOOKED,
            order__booked_at__gte=start_of_local_day(start),
            order__booked_at__lt=start_of_local_day(next_month(end)),
            **{f"{field}__isnull": False},
        )
        .order_by()
        .values(field)
        .annotate(total=Sum(_PART))
    )
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        out[row[field]] = round_fen(row["total"] or ZERO)
    return dict(out)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
