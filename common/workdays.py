"""Working days on the PRC calendar (public holidays and adjusted workdays).

W1: the schedule an admin enters in the app (`WorkCalendarYear` / `WorkCalendarDay`) wins; otherwise
`chinesecalendar` (the freshest release on the registries, 1.11.0, knows 2004–2026). A date in a year
neither knows raises `WorkCalendarUnknown` — never a silent Mon–Fri guess; views and the API show its
message, jobs skip the case and try again the next day.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from common.deferred_text import words, words_stored_text
from common.errors import DomainError


class WorkCalendarUnknown(DomainError):
    def __init__(self, year: int) -> None:
        super().__init__(
            _("%(year)s 年的放假/调休安排尚未录入，无法计算工作日；请系统管理员在后台“工作日历年份”中录入。")
            % {"year": year},
            code="work_calendar_unknown",
            status=409,
            year=year,
        )
        self.year = year


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class _Calendar:
    """The schedule of the years one computation touches, loaded with one query per year."""

    def __init__(self) -> None:
        self._years: dict[int, tuple[bool, dict[dt.date, bool]]] = {}

    def _year(self, year: int) -> tuple[bool, dict[dt.date, bool]]:
        if year not in self._years:
            from common.models import WorkCalendarDay, WorkCalendarYear

            entered = WorkCalendarYear.objects.filter(year=year).exists()
            overrides = {
                day: kind == WorkCalendarDay.Kind.WORKDAY
                for day, kind in WorkCalendarDay.objects.filter(date__year=year).values_list("date", "kind")
            }
            self._years[year] = (entered, overrides)
        return self._years[year]

    def is_workday(self, day: dt.date) -> bool:
        entered, overrides = self._year(day.year)
        if day in overrides:
            return overrides[day]
        if entered:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise WorkCalendarUnknown(day.year) from None


def year_is_known(year: int) -> bool:
    from common.models import WorkCalendarYear

    return WorkCalendarYear.objects.filter(year=year).exists() or _library_knows(year)


def is_workday(day: dt.date) -> bool:
    return _Calendar().is_workday(day)


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself not counted). Negative goes back."""
    calendar = _Calendar()
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += dt.timedelta(days=step)
        if calendar.is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    calendar = _Calendar()
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            count += 1
    return count


def next_year_missing(*, today: dt.date) -> int | None:
    """W1: from 1 December, next year's schedule must be known (deadlines set in late December reach into
    it). Returns the missing year, or None."""
    if today.month != 12:
        return None
    return None if year_is_known(today.year + 1) else today.year + 1


CALENDAR_MISSING = gettext_noop(
    "%(year)s 年的放假/调休安排尚未录入：请在后台“工作日历年份”中录入，否则跨年的工作日期限无法计算。"
)


def work_calendar_notice(*, today: dt.date) -> str:
    """The admin notice while next year is missing ("" when nothing is missing)."""
    year = next_year_missing(today=today)
    if year is None:
        return ""
    return str(_(CALENDAR_MISSING) % {"year": year})


def work_calendar_check(*, today: dt.date) -> int:
    """The daily job: while next year is missing, tell every admin who has no unread copy of the warning
    (read it, and it comes back the next day). Returns how many admins were told."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    from common.models import Notification
    from common.notifications import notify

    year = next_year_missing(today=today)
    if year is None:
        return 0
    # Issue 15: stored in Chinese, read in each admin's language (the job runs in no one's language).
    text = words(CALENDAR_MISSING, year=year)
    admins = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name="admin"))
        .distinct()
    )
    unread = Notification.objects.filter(text=words_stored_text(text), read_at=None)
    told = set(unread.values_list("user_id", flat=True))
    link = "/admin/common/workcalendaryear/"
    return len(notify(users=[u for u in admins if u.pk not in told], text=text, link=link))
