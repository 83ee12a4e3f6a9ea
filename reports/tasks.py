"""Report jobs: the A3 reminders (000 §4.2.2, the 25th-of-month analysis). Safe to run twice a day."""

from __future__ import annotations

from celery import shared_task

from common.timeutil import local_today


@shared_task
def a3_reminders() -> int:
    from reports.consumption import a3_reminders as run

    return run(today=local_today())
