"""C9: the one definition of the release clock (公海计时) — when a customer's "days without contact" start.

The clock starts at the later of the customer's last follow-up and the moment its current owner got it
(`owned_since`; `created_at` for rows older than that field): a previous owner's follow-ups do not
count against a new owner. So the clock is "days since the last follow-up" only when that follow-up is
the later moment; after a hand-over it is "days since the owner took the customer over", and the pages
say which (issue 15: "N 天未联系" must not contradict the last-contact date beside it).

Every reader uses this module: the badges and the customer page (`clock_start` / `days_on_clock`), the
"my day" list (`clock_expression`, ordered the same way the days are counted), and the release and
warning job (`CLOCK_SQL`, the same rule in SQL for its set-based statements)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, DateTimeField, F, Q, When
from django.db.models.functions import Coalesce
from django.utils import timezone

# SQL for customer row `c` (used by crm.services.pool's set-based job).
EPOCH_SQL = "COALESCE(c.owned_since, c.created_at)"
CLOCK_SQL = f"(CASE WHEN c.last_contacted_at > {EPOCH_SQL} THEN c.last_contacted_at ELSE {EPOCH_SQL} END)"
# The same clock for a customer just released, whose row no longer has owned_since: the epoch is the one
# its release record r kept.
RELEASED_CLOCK_SQL = (
    "(CASE WHEN c.last_contacted_at > r.owned_since THEN c.last_contacted_at ELSE r.owned_since END)"
)


def clock_expression() -> Case:
    """The clock as an ORM expression over Customer rows (sort "longest without contact" by it)."""
    epoch = Coalesce(F("owned_since"), F("created_at"))
    return Case(
        When(Q(last_contacted_at__isnull=False, last_contacted_at__gt=epoch), then=F("last_contacted_at")),
        default=epoch,
        output_field=DateTimeField(),
    )


def clock_start(customer: Any) -> dt.datetime | None:
    epoch = customer.owned_since or customer.created_at
    moments = [m for m in (customer.last_contacted_at, epoch) if m is not None]
    return max(moments) if moments else None


def started_by_followup(customer: Any) -> bool:
    """True when the clock runs from the last follow-up ("N 天未联系"), False when from the hand-over
    ("接手 N 天未跟进")."""
    start = clock_start(customer)
    return (
        start is not None and customer.last_contacted_at is not None and start == customer.last_contacted_at
    )


def days_on_clock(customer: Any, today: dt.date | None = None) -> int | None:
    """Whole Asia/Shanghai days since the clock started (None: no clock yet)."""
    start = clock_start(customer)
    if start is None:
        return None
    return ((today or timezone.localdate()) - timezone.localtime(start).date()).days
