"""post_migrate: the PostgreSQL lock triggers (S3), the default policy row, and the beat schedules."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver

from settlements.db import install_lock_triggers

BEAT_JOBS = [
    # (name, task, hour, minute)
    ("结算：自动生成上月结算单", "settlements.tasks.generate_due_month", "1", "30"),
    ("结算：逾期步骤提醒", "settlements.tasks.flag_overdue_steps", "8", "0"),
    # Issue 17: export files expire (CRM_EXPORT_FILE_TTL_HOURS); checked hourly.
    ("结算：清理过期导出文件", "settlements.tasks.purge_expired_exports", "*", "15"),
    # Issue 17: every morning, admins hear of a nightly job (pool sweep, ledger run) that did not finish.
    ("系统：检查夜间任务是否完成", "common.tasks.nightly_jobs_check", "8", "30"),
]


@receiver(post_migrate)
def _settlements_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "name", "") != "settlements":
        return
    install_lock_triggers(using=using)
    from settlements.models import SettlementPolicy

    if not SettlementPolicy.objects.using(using).exists():
        import datetime as dt

        SettlementPolicy.objects.using(using).create(effective_from=dt.date(2000, 1, 1))
    register_beat_jobs(using=using)


def register_beat_jobs(*, using: str = "default") -> None:
    from common.schedules import beat_job_ensure

    for name, task, hour, minute in BEAT_JOBS:
        beat_job_ensure(name, task, minute=minute, hour=hour, using=using)
