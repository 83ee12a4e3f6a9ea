"""Dates are business dates in Asia/Shanghai (settings.TIME_ZONE), never the server's UTC date."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_today() -> dt.date:
    return timezone.localdate()


def local_date(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    first = day.replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


def quarter_of(day: dt.date) -> int:
    """The calendar quarter (1–4) a day falls in: May 20 → 2."""
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """A quarter as [first day, first day of the next quarter): Q4 2026 → (2026-10-01, 2027-01-01)."""
    start = dt.date(year, 3 * quarter - 2, 1)
    return start, next_month(next_month(next_month(start)))


def quarter_last_month(year: int, quarter: int) -> dt.date:
    """The first day of a quarter's last month (a year-to-date read "through" the quarter): Q2 → 06-01."""
    return dt.date(year, 3 * quarter, 1)


# Issue 17: dates typed by people (a day in a URL, a settlement month, a follow-up's time) must lie in a
# sane range; 9999-12-31 or year 0001 is refused with a message instead of overflowing later.
def date_in_sane_range(day: dt.date) -> bool:
    from django.conf import settings

    low, high = settings.CRM_SANE_YEARS
    return low <= day.year <= high


def sane_range_message() -> str:
    from django.conf import settings
    from django.utils.translation import gettext as _

    low, high = settings.CRM_SANE_YEARS
    return _("日期应在 %(low)s 年至 %(high)s 年之间。") % {"low": low, "high": high}


def parse_day(raw: str | None) -> dt.date | None:
    """YYYY-MM-DD within the sane range, else None."""
    try:
        day = dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return day if date_in_sane_range(day) else None


def parse_month(raw: str | None) -> dt.date | None:
    """YYYY-MM (the first of that month) within the sane range, else None."""
    try:
        month = dt.datetime.strptime((raw or "").strip(), "%Y-%m").date()
    except ValueError:
        return None
    return month if date_in_sane_range(month) else None
