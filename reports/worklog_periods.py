"""A4 work-report periods and due times (001 第五章): a day, a Monday-to-Sunday week, a calendar month.

Due times are settings: the daily report before the end of that day, the weekly one on Friday (the
weekday is a setting) before the end of the day, the monthly one on the month's last day."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from common.timeutil import month_start, next_month

KINDS = ("daily", "weekly", "monthly")


def worklog_period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the period of `kind` that contains `day`."""
    if kind == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == "monthly":
        start = month_start(day)
        return start, next_month(start) - dt.timedelta(days=1)
    return day, day


def _at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(x) for x in str(hhmm).split(":", 1))
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def worklog_due_at(kind: str, start: dt.date) -> dt.datetime:
    """When the report of the period starting on `start` is due (Asia/Shanghai)."""
    if kind == "weekly":
        weekday = int(settings.REPORTS_WORKLOG_WEEKLY_DUE_WEEKDAY)
        return _at(start + dt.timedelta(days=weekday), settings.REPORTS_WORKLOG_WEEKLY_DUE)
    if kind == "monthly":
        _first, last = worklog_period("monthly", start)
        return _at(last, settings.REPORTS_WORKLOG_MONTHLY_DUE)
    return _at(start, settings.REPORTS_WORKLOG_DAILY_DUE)
