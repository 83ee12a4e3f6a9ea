"""The periodic jobs each app registers with django_celery_beat after `migrate`: one helper, so every job
is registered the same way (once, in Asia/Shanghai, never overwriting what an admin changed since)."""

from __future__ import annotations

import json

from django.conf import settings


def beat_job_ensure(
    name: str, task: str, *, minute: str, hour: str = "*", day_of_month: str = "*", using: str = "default"
) -> None:
    """Register `task` under `name` on the crontab `minute hour day_of_month * *` unless a job of that name
    exists."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    jobs = PeriodicTask.objects.using(using)
    if jobs.filter(name=name).exists():
        return
    crontab, _created = CrontabSchedule.objects.using(using).get_or_create(
        minute=minute,
        hour=hour,
        day_of_week="*",
        day_of_month=day_of_month,
        month_of_year="*",
        timezone=settings.TIME_ZONE,
    )
    jobs.get_or_create(name=name, defaults={"task": task, "crontab": crontab, "kwargs": json.dumps({})})
