"""post_migrate: register the nightly ledger job (idempotent; admins may edit its schedule)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate
from django.dispatch import receiver

TASK_NAME = "提成：重算未关闭月份并更新可发放状态"
REWARDS_TASK_NAME = "奖励：销售冠军、合伙人奖励与过期"


@receiver(post_migrate)
def register_periodic_tasks(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "name", "") != "commissions":
        return
    from commissions.db import install_ledger_triggers

    install_ledger_triggers(using=kwargs.get("using", "default"))
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": "commissions.tasks.ledger_run_open_months", "crontab": schedule},
    )
    rewards_schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name=REWARDS_TASK_NAME,
        defaults={"task": "commissions.tasks.rewards_nightly", "crontab": rewards_schedule},
    )
