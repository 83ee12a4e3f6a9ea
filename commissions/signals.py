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
    from common.schedules import beat_job_ensure

    beat_job_ensure(TASK_NAME, "commissions.tasks.ledger_run_open_months", minute="30", hour="2")
    beat_job_ensure(REWARDS_TASK_NAME, "commissions.tasks.rewards_nightly", minute="0", hour="3")
