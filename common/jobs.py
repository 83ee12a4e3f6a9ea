"""Issue 17: a nightly job that was killed (or never started) must not pass silently. Each job records
its success; `nightly_jobs_missed` lists the ones that did not finish within CRM_NIGHTLY_JOB_MAX_AGE_HOURS
— shown by `manage.py nightly_jobs_check` (exit 1, for monitoring) and sent to admins every morning."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone


def job_succeeded(name: str) -> None:
    from common.models import JobSuccess

    JobSuccess.objects.update_or_create(name=name, defaults={"finished_at": timezone.now()})


def nightly_jobs_missed(*, now: dt.datetime | None = None) -> list[str]:
    from common.models import JobSuccess

    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.CRM_NIGHTLY_JOB_MAX_AGE_HOURS)
    done = dict(JobSuccess.objects.values_list("name", "finished_at"))
    return [name for name in settings.CRM_NIGHTLY_JOBS if name not in done or done[name] < cutoff]
