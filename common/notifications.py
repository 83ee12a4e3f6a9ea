"""In-app notifications (with e-mail when the user has an address and e-mail is configured).

`notify(users=…, text=…, link=…)` for a handful of recipients; jobs that write thousands set-based call
`notifications_email_batch(batch=…)` afterwards to e-mail exactly the rows they wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from common.deferred_text import Words, words_json, words_stored_text
from common.models import Notification

log = logging.getLogger(__name__)

_NO_EMAIL_BACKENDS = ("django.core.mail.backends.dummy.EmailBackend",)


def email_enabled() -> bool:
    """E-mail is "configured" unless turned off (NOTIFY_BY_EMAIL=False) or the backend is the dummy one."""
    explicit = getattr(settings, "NOTIFY_BY_EMAIL", None)
    if explicit is not None:
        return bool(explicit)
    return settings.EMAIL_BACKEND not in _NO_EMAIL_BACKENDS


def _absolute(link: str) -> str:
    base = getattr(settings, "SITE_URL", "")
    return f"{base.rstrip('/')}{link}" if base and link.startswith("/") else link


def _email(notifications: Iterable[Notification]) -> int:
    """Send each one not sent yet; `emailed_at` makes a re-run (or a retried task) send nothing twice."""
    sent = 0
    for n in notifications:
        email = getattr(n.user, "email", "")
        if not email or n.emailed_at is not None:
            continue
        body = n.text + (f"\n\n{_absolute(n.link)}" if n.link else "")
        try:
            send_mail(n.text[:80], body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)
        except Exception:  # a mail outage must not undo the in-app notification
            log.exception("notification e-mail to %s failed", email)
            continue
        Notification.objects.filter(pk=n.pk).update(emailed_at=timezone.now())
        sent += 1
    return sent


def notify(*, users: Iterable[Any], text: str | Words, link: str = "", batch: str = "") -> list[Notification]:
    """Tell each user (duplicates and None skipped) `text`, with an optional link inside the app.
    Issue 15: `text` as `words(…)` is read in each reader's language (stored Chinese for e-mail)."""
    now = timezone.now()
    stored = words_json(text) if isinstance(text, Words) else None
    plain = words_stored_text(text)
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(user=user, text=plain[:500], words=stored, link=link, created_at=now, batch=batch)
        )
    created = Notification.objects.bulk_create(rows)
    if created and email_enabled():
        _email(created)
    return created


def notifications_email_batch(*, batch: str) -> int:
    """E-mail the notifications a set-based job wrote under `batch` (call after its transaction commits)."""
    if not batch or not email_enabled():
        return 0
    rows = (
        Notification.objects.filter(batch=batch, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("id")
        .iterator(chunk_size=500)
    )
    return _email(rows)


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones when `ids` is None). Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def notifications_unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
