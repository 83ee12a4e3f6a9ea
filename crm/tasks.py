"""Celery jobs of the crm app. Each takes ids / nothing, calls a service and is safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task

POOL_SWEEP_TASK = "crm.tasks.pool_sweep"
POOL_SWEEP_SCHEDULE_NAME = "公海：每日未联系提醒与释放 (crm.pool_sweep)"


@shared_task(name=POOL_SWEEP_TASK)
def pool_sweep(today: str | None = None) -> dict[str, Any]:
    """C9, daily: warn at the warn threshold, release at the release threshold. Idempotent."""
    import datetime as dt

    from common.jobs import job_succeeded
    from crm.services.pool import pool_sweep as sweep

    result = sweep(today=dt.date.fromisoformat(today) if today else None)
    job_succeeded("crm.pool_sweep")  # issue 17: a killed or skipped night is flagged the next morning
    return {"today": result.today.isoformat(), "warned": result.warned, "released": result.released}


@shared_task(name="crm.tasks.import_job_run")
def import_job_run_task(job_id: int) -> str:
    """Issue 16/17: an Excel/CSV import in the background. Redelivered if the worker dies (acks_late);
    it resumes after the last committed batch, a finished job is left alone."""
    from crm.services.imports import import_job_run

    return str(import_job_run(job_id=job_id).status)


def ensure_pool_schedule(**_: Any) -> None:
    """Register the daily sweep with django_celery_beat once (01:30 Asia/Shanghai); admins edit it after."""
    from common.schedules import beat_job_ensure

    beat_job_ensure(POOL_SWEEP_SCHEDULE_NAME, POOL_SWEEP_TASK, minute="30", hour="1")


TASK_JOBS_TASK = "crm.tasks.task_reminders"
TASK_JOBS_SCHEDULE_NAME = "待办与回款计划：提醒与逾期上报，每半小时 (crm.task_reminders)"


@shared_task(name=TASK_JOBS_TASK)
def task_reminders() -> dict[str, Any]:
    """Issue 16, every half hour: remind owners of tasks whose reminder time has come, flag overdue
    ones to the owner's manager, and send payment-plan (回款计划) reminders before and after each due
    date. Each is sent once, however often the job runs."""
    from crm.services.payment_plans import payment_plan_reminders
    from crm.services.tasks import tasks_flag_overdue, tasks_send_reminders

    return {
        "reminded": tasks_send_reminders(),
        "flagged": tasks_flag_overdue(),
        "payment_plans": payment_plan_reminders(),
    }


def ensure_task_schedule(**_: Any) -> None:
    """Register the half-hourly task job with django_celery_beat once; admins edit it after."""
    from common.schedules import beat_job_ensure

    beat_job_ensure(TASK_JOBS_SCHEDULE_NAME, TASK_JOBS_TASK, minute="*/30")
