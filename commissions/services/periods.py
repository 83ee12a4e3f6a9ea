"""Closing a commission month: settlements calls `commission_period_close` when the month's settlement
is approved; a closed month is never recomputed (K10, K12)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from commissions.models import CommissionPeriod
from common.timeutil import month_start


@transaction.atomic
def commission_period_close(*, period: dt.date) -> CommissionPeriod:
    """Called by settlements when a month's settlement is approved — first, in the approval transaction,
    before marking lines settled: the month is never recomputed after that."""
    period = month_start(period)
    CommissionPeriod.objects.get_or_create(period=period)
    # Row lock: waits for a ledger run of this month to finish and blocks new ones until commit.
    obj = CommissionPeriod.objects.select_for_update().get(period=period)
    if not obj.closed:
        obj.closed = True
        obj.closed_at = timezone.now()
        obj.save(update_fields=["closed", "closed_at"])
    return obj
