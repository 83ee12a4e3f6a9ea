"""W1: working days after 2026 — admin-entered schedules override the library, unknown years refuse."""

from __future__ import annotations

import datetime as dt

import pytest

from common.models import Notification, WorkCalendarDay, WorkCalendarYear
from common.tasks import work_calendar_check
from common.workdays import WorkCalendarUnknown, add_workdays, is_workday, workdays_between

pytestmark = pytest.mark.django_db


def _enter_2027_spring_festival() -> WorkCalendarYear:
    year = WorkCalendarYear.objects.create(year=2027, source="国务院办公厅通知（测试数据）")
    WorkCalendarDay.objects.create(calendar=year, date=dt.date(2027, 1, 1), kind="holiday", name="元旦")
    for day in range(5, 12):  # 5–11 Feb 2027 off
        WorkCalendarDay.objects.create(calendar=year, date=dt.date(2027, 2, day), kind="holiday", name="春节")
    WorkCalendarDay.objects.create(calendar=year, date=dt.date(2027, 2, 13), kind="workday", name="春节")
    return year


def test_a_year_nobody_knows_is_refused_not_guessed_as_monday_to_friday() -> None:
    # given no schedule for 2027 (the library stops at 2026)
    # when a deadline of 3 working days runs from 30 Dec 2026 into 2027
    with pytest.raises(WorkCalendarUnknown) as caught:
        add_workdays(dt.date(2026, 12, 30), 3)
    # then the user is told which year is missing
    assert "2027 年的放假/调休安排尚未录入" in str(caught.value.message)


def test_admin_entered_days_override_and_are_used_across_the_new_year() -> None:
    _enter_2027_spring_festival()
    assert is_workday(dt.date(2027, 1, 1)) is False  # a Friday, but New Year's Day
    assert is_workday(dt.date(2027, 2, 13)) is True  # a Saturday worked (调休)
    assert is_workday(dt.date(2027, 1, 4)) is True  # a plain Monday
    # 31 Dec 2026 (Thu) + 1 working day skips 1 Jan 2027 (holiday) and the weekend: Monday 4 Jan
    assert add_workdays(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    # Spring Festival week: Thu 4 Feb + 2 working days = Fri 12 Feb (5–11 off)... then Sat 13 (worked)
    assert add_workdays(dt.date(2027, 2, 4), 2) == dt.date(2027, 2, 13)
    assert workdays_between(dt.date(2027, 2, 4), dt.date(2027, 2, 15)) == 3  # 12th, 13th, 15th


def test_admin_entry_overrides_the_library_for_a_known_year() -> None:
    # 1 Oct 2026 is a holiday in the library; an admin correction wins
    year = WorkCalendarYear.objects.create(year=2026)
    WorkCalendarDay.objects.create(calendar=year, date=dt.date(2026, 10, 1), kind="workday")
    assert is_workday(dt.date(2026, 10, 1)) is True


def test_admins_are_warned_from_december_when_next_year_is_missing(org) -> None:  # type: ignore[no-untyped-def]
    # November: no warning yet
    assert work_calendar_check(today="2026-11-30") == 0
    # 1 December: every admin is told, and not again while the warning is unread
    assert work_calendar_check(today="2026-12-01") == 1
    assert work_calendar_check(today="2026-12-01") == 0
    note = Notification.objects.get(user=org.admin)
    assert "2027 年的放假/调休安排尚未录入" in note.text
    assert not Notification.objects.filter(user=org.rep_a1).exists()
    # once 2027 is entered the warnings stop
    _enter_2027_spring_festival()
    assert work_calendar_check(today="2026-12-02") == 0


def test_admin_index_shows_the_notice_in_december(client, org, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import common.templatetags.work_calendar as tag

    monkeypatch.setattr(tag, "local_today", lambda: dt.date(2026, 12, 3))
    client.force_login(org.admin)
    page = client.get("/admin/")
    assert "2027 年的放假/调休安排尚未录入" in page.content.decode()
    monkeypatch.setattr(tag, "local_today", lambda: dt.date(2026, 11, 3))
    assert "放假/调休安排尚未录入" not in client.get("/admin/").content.decode()


def test_a_page_whose_deadline_falls_in_an_unknown_year_shows_the_message_not_a_500(rf, org) -> None:  # type: ignore[no-untyped-def]
    from common.middleware import DomainErrorMiddleware

    request = rf.get("/settlements/")
    request.user = org.rep_a1
    request.COOKIES = {}
    try:
        add_workdays(dt.date(2026, 12, 30), 3)
    except WorkCalendarUnknown as exc:
        response = DomainErrorMiddleware(lambda r: None).process_exception(request, exc)  # type: ignore[arg-type,return-value]
    assert response is not None
    assert response.status_code == 409
    assert "2027 年的放假/调休安排尚未录入" in response.content.decode()


def test_the_admins_warning_reads_in_each_admins_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given the job runs with English active (issue 15: the stored text is the Chinese wording)
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        assert work_calendar_check(today="2026-12-01") == 1
    zh = "2027 年的放假/调休安排尚未录入：请在后台“工作日历年份”中录入，否则跨年的工作日期限无法计算。"
    assert Notification.objects.get(user=org.admin).text == zh
    # when the admin reads their notifications in Chinese, then in English
    client = client_for(org.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert zh in client.get(reverse("crm:notifications")).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(reverse("crm:notifications")).content.decode()
    assert "The public holidays of 2027 have not been entered" in english and "尚未录入" not in english
    # and the unread warning is not repeated, whatever the language the job runs in next
    assert work_calendar_check(today="2026-12-02") == 0
