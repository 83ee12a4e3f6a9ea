"""post_migrate: register the daily A3 reminder job (idempotent; admins may edit its schedule)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver

TASK_NAME = "报表：提醒合伙人提交月度消费追踪分析"


@receiver(post_migrate)
def register_periodic_tasks(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "name", "") != "reports":
        return
    from common.schedules import beat_job_ensure

    beat_job_ensure(
        TASK_NAME, "reports.tasks.a3_reminders", minute="0", hour="9", using=kwargs.get("using", "default")
    )
