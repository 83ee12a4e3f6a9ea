"""Celery jobs of the common app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="common.tasks.notifications_email_batch")
def notifications_email_batch(batch: str) -> int:
    """E-mail the notifications a set-based job wrote under `batch` (its own task: a night's sweep may
    write thousands, and mail is slow). Safe to run twice: rows already e-mailed are skipped."""
    from common.notifications import notifications_email_batch as send

    return send(batch=batch)
