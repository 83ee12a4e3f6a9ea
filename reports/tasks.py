"""Celery jobs of the reports app: A4 work-report reminders and the A3 reminders (000 §4.2.2, the
25th-of-month analysis). Each calls a service and is safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

WORKLOG_REMIND_TASK = "reports.tasks.worklog_remind"
WORKLOG_REMIND_SCHEDULE_NAME = "工作报告：提交提醒 (reports.worklog_remind)"


@shared_task(name=WORKLOG_REMIND_TASK)
def worklog_remind(now: str | None = None) -> dict[str, int]:
    """A4, daily before the end of the day: remind who has not submitted the report due today."""
    import datetime as dt

    from reports.worklogs import worklog_remind as remind

    return remind(now=dt.datetime.fromisoformat(now) if now else None)


def ensure_worklog_schedule(sender: object = None, using: str = "default", **_: Any) -> None:
    """Register the reminder with django_celery_beat once (17:00 Asia/Shanghai, an hour before the
    default due time); admins edit it after."""
    from common.schedules import beat_job_ensure

    if getattr(sender, "name", "") == "reports":
        beat_job_ensure(WORKLOG_REMIND_SCHEDULE_NAME, WORKLOG_REMIND_TASK, minute="0", hour="17", using=using)


@shared_task
def a3_reminders() -> int:
    from common.timeutil import local_today
    from reports.consumption import a3_reminders as run

    return run(today=local_today())


ROLLUP_REFRESH_TASK = "reports.tasks.rollup_refresh"
ROLLUP_RECHECK_TASK = "reports.tasks.rollup_recheck"
ROLLUP_REFRESH_NAME = "报表：汇总刷新 (reports.rollup_refresh)"
ROLLUP_RECHECK_NAME = "报表：汇总夜间复核 (reports.rollup_recheck)"


@shared_task(name=ROLLUP_REFRESH_TASK)
def rollup_refresh() -> dict[str, int]:
    """Every minute: recompute the rollups of the dirty (person, day) marks (issue 14)."""
    from reports.rollups import rollup_refresh as refresh

    return refresh()


@shared_task(name=ROLLUP_RECHECK_TASK)
def rollup_recheck(days: int = 35) -> int:
    """Nightly: re-mark the last weeks for everyone, then refresh (catches writes that bypassed the
    signals, such as bulk updates)."""
    from reports.rollups import rollup_recheck as recheck
    from reports.rollups import rollup_refresh as refresh

    marked = recheck(days=days)
    refresh()
    return marked


def ensure_rollup_schedules(sender: object = None, using: str = "default", **_: Any) -> None:
    from common.schedules import beat_job_ensure

    if getattr(sender, "name", "") == "reports":
        beat_job_ensure(ROLLUP_REFRESH_NAME, ROLLUP_REFRESH_TASK, minute="*", using=using)
        beat_job_ensure(ROLLUP_RECHECK_NAME, ROLLUP_RECHECK_TASK, minute="40", hour="2", using=using)


A2_PUBLISH_TASK = "reports.tasks.a2_publish"
A2_PUBLISH_SCHEDULE_NAME = "报表：公布上月 CRM 使用排名并用于线索轮转 (reports.a2_publish)"


@shared_task(name=A2_PUBLISH_TASK)
def a2_publish(month: str | None = None) -> str:
    """A2 on the 1st: publish the month that closed (or `month`, YYYY-MM-DD) to the lead rotation."""
    import datetime as dt

    from common.timeutil import local_today
    from reports.usage_publish import a2_publish as publish
    from reports.usage_publish import month_closed

    day = dt.date.fromisoformat(month) if month else month_closed(local_today())
    return f"{publish(month=day).month:%Y-%m}"
