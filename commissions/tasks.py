"""Periodic commission jobs: safe to run twice (the ledger run is idempotent, the refresh set-based)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from commissions.selectors import period_is_closed
from commissions.services.collection import commission_payable_refresh
from commissions.services.ledger_run import ledger_recalculate
from common.timeutil import local_today, month_start


@shared_task
def ledger_run_open_months() -> dict[str, int]:
    """Nightly: recompute this month and last month (while last month's settlement is not approved),
    then move collected orders' lines to payable (K8)."""
    this = month_start(local_today())
    last = month_start(this - dt.timedelta(days=1))
    out = {}
    for period in (last, this):
        if not period_is_closed(period):
            out[f"{period:%Y-%m}"] = ledger_recalculate(period=period).created
    out["payable"] = commission_payable_refresh()
    from common.jobs import job_succeeded

    job_succeeded("commissions.ledger_run_open_months")  # issue 17: a missed night is flagged
    return out


@shared_task
def payable_refresh() -> int:
    return commission_payable_refresh()


@shared_task
def rewards_nightly() -> dict[str, int]:
    """K14: champions of closed periods, perks, trial upgrades, expiry (idempotent; see services.perks)."""
    from commissions.services.perks import rewards_nightly as run

    return run()
