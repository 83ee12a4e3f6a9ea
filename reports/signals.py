"""post_migrate: register the daily A3 reminder job and the monthly A2 publication (idempotent; admins may
edit their schedules)."""

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
    from reports.tasks import A2_PUBLISH_SCHEDULE_NAME, A2_PUBLISH_TASK

    using = kwargs.get("using", "default")
    beat_job_ensure(TASK_NAME, "reports.tasks.a3_reminders", minute="0", hour="9", using=using)
    # A2: 00:30 on the 1st, once the month's last follow-ups are in
    beat_job_ensure(
        A2_PUBLISH_SCHEDULE_NAME, A2_PUBLISH_TASK, minute="30", hour="0", day_of_month="1", using=using
    )
