"""Celery jobs of the common app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="common.tasks.notifications_email_batch")
def notifications_email_batch(batch: str) -> int:
    """E-mail the notifications a set-based job wrote under `batch` (its own task: a night's sweep may
    write thousands, and mail is slow). Safe to run twice: rows already e-mailed are skipped."""
    from common.notifications import notifications_email_batch as send

    return send(batch=batch)


WORK_CALENDAR_CHECK_TASK = "common.tasks.work_calendar_check"
WORK_CALENDAR_CHECK_SCHEDULE_NAME = "工作日历：检查下一年放假安排 (common.work_calendar_check)"


@shared_task(name=WORK_CALENDAR_CHECK_TASK)
def work_calendar_check(today: str | None = None) -> int:
    """W1, daily: from 1 December, warn admins while next year's 放假/调休 schedule is unknown."""
    import datetime as dt

    from common.timeutil import local_today
    from common.workdays import work_calendar_check as check

    return check(today=dt.date.fromisoformat(today) if today else local_today())


def ensure_work_calendar_schedule(sender: object = None, using: str = "default", **_: object) -> None:
    """Register the daily check with django_celery_beat once (07:00 Asia/Shanghai); admins edit it after."""
    from common.schedules import beat_job_ensure

    if getattr(sender, "name", "") == "common":
        beat_job_ensure(
            WORK_CALENDAR_CHECK_SCHEDULE_NAME, WORK_CALENDAR_CHECK_TASK, minute="0", hour="7", using=using
        )


@shared_task(name="common.tasks.nightly_jobs_check")
def nightly_jobs_check() -> list[str]:
    """Issue 17: every morning, tell the admins which nightly job did not finish (a killed worker)."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext_noop

    from common.deferred_text import words
    from common.jobs import nightly_jobs_missed
    from common.notifications import notify

    missed = nightly_jobs_missed()
    if missed:
        admins = get_user_model().objects.filter(is_superuser=True, is_active=True)
        notify(users=admins, text=words(gettext_noop("昨夜未完成的定时任务：%(jobs)s"), jobs=list(missed)))
    return missed
