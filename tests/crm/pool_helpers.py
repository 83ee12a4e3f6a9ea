"""Helpers for the public-pool tests: customers whose contact clock sits at an exact local date/time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from crm.models import Customer, PoolPolicy
from tests.factories import CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 31)


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime at a wall-clock time in Asia/Shanghai."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def days_ago(n: int, hour: int = 10, minute: int = 0, today: dt.date = TODAY) -> dt.datetime:
    return at(today - dt.timedelta(days=n), hour, minute)


def silent_customer(
    owner, *, days: int, contacted: bool = True, hour: int = 10, minute: int = 0, **kw
) -> Customer:
    """A customer of `owner` whose last contact (or, with contacted=False, whose owned_since) is `days`
    local days before TODAY at hour:minute."""
    clock = days_ago(days, hour, minute)
    if contacted:
        return CustomerFactory(
            owner=owner, owned_since=clock - dt.timedelta(days=200), last_contacted_at=clock, **kw
        )
    return CustomerFactory(owner=owner, owned_since=clock, last_contacted_at=None, **kw)


def set_policy(**kw) -> PoolPolicy:
    policy = PoolPolicy.load()
    for k, v in kw.items():
        setattr(policy, k, v)
    policy.full_clean()
    policy.save()
    return policy
