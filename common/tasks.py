"""Celery jobs of the common app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="common.tasks.notifications_email_batch")
def notifications_email_batch(batch: str) -> int:
    """E-mail the notifications a set-based job wrote under `batch` (its own task: a night's sweep may
    write thousands, and mail is slow). Safe to run twice: rows already e-mailed are skipped."""
    from common.notifications import notifications_email_batch as send

    return send(batch=batch)


@shared_task(name="common.tasks.nightly_jobs_check")
def nightly_jobs_check() -> list[str]:
    """Issue 17: every morning, tell the admins which nightly job did not finish (a killed worker)."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext as _

    from common.jobs import nightly_jobs_missed
    from common.notifications import notify

    missed = nightly_jobs_missed()
    if missed:
        admins = get_user_model().objects.filter(is_superuser=True, is_active=True)
        notify(users=admins, text=_("昨夜未完成的定时任务：%(jobs)s") % {"jobs": "、".join(missed)})
    return missed
