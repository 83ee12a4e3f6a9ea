"""Celery jobs: each takes ids or nothing, calls a service, and is safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from common.timeutil import local_today, month_start


@shared_task
def generate_due_month() -> str:
    """S1: on the policy's generation day, build (or refresh) last month's drafts."""
    from settlements.policy import policy_for
    from settlements.services.generation import settlement_generate

    today = local_today()
    last_month = month_start(month_start(today) - dt.timedelta(days=1))
    policy = policy_for(last_month)
    if not policy.auto_generate or today.day != policy.generate_day:
        return "not today"
    result = settlement_generate(month=last_month, by=None)
    return f"{result.month:%Y-%m}: +{result.created} settlements, +{result.lines_added} lines"


@shared_task
def flag_overdue_steps() -> int:
    from settlements.services.overdue import overdue_flag_run

    return overdue_flag_run()


@shared_task
def purge_expired_exports() -> int:
    from settlements.export import export_files_purge

    return export_files_purge()


@shared_task
def run_export_job(job_id: int) -> None:
    from settlements.export import export_job_run

    export_job_run(job_id=job_id)
