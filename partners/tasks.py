"""Periodic jobs for partners (scheduled on post_migrate as django_celery_beat PeriodicTasks)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="partners.escalate_overdue_collisions")
def escalate_overdue_collisions() -> int:
    """P3.4: send collisions not agreed within N working days to the regional manager. Safe to rerun."""
    from partners.services.collisions import collision_escalate_overdue

    return collision_escalate_overdue()
