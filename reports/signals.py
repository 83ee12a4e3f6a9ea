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


# --- rollups: source saves and deletes mark (person, local day) dirty, nothing more ---------------

TRACKED = {
    "Customer": ("created_by_id", "owner_id", "created_at"),
    "FollowUp": ("author_id", "occurred_at"),
    "Opportunity": ("owner_id", "registered_at"),
    "Contract": ("owner_id", "signed_on"),
    "Order": ("owner_id", "booked_at"),
    "OrderLine": ("order_id",),
    "Payment": ("order_id", "received_on"),
    "WriteOff": ("order_id",),
}


def _day(value: Any) -> Any:
    import datetime as dt

    from django.utils import timezone

    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else None


def _order_key(order_id: Any) -> tuple[Any, Any]:
    from crm.models import Order

    row = Order.objects.filter(pk=order_id).values_list("owner_id", "booked_at").first()
    return (row[0], _day(row[1])) if row else (None, None)


def _keys(name: str, v: dict[str, Any], instance: Any) -> list[tuple[Any, Any]]:
    """The (person, day) pairs a row counts in, from its field values `v`."""
    from common.timeutil import local_today

    if name == "Customer":
        day = _day(v.get("created_at"))
        return [(v.get("created_by_id"), day), (v.get("owner_id"), day)]
    if name == "FollowUp":
        return [(v.get("author_id"), _day(v.get("occurred_at")))]
    if name in ("Opportunity", "Order"):
        return [(v.get("owner_id"), _day(v.get("registered_at") or v.get("booked_at")))]
    if name == "Contract":
        return [(v.get("owner_id"), _day(v.get("signed_on")))]
    owner, booked = _order_key(v.get("order_id"))
    if name == "OrderLine":
        return [(owner, booked)]
    if name == "Payment":
        return [(owner, _day(v.get("received_on")))]
    return [(owner, local_today())]  # WriteOff: the order's open amount (aging) changed


def _values(instance: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: instance.__dict__[f] for f in fields if f in instance.__dict__}  # never load a deferred field


def _remember(sender: Any, instance: Any, **kwargs: Any) -> None:
    instance._rollup_initial = _values(instance, TRACKED[sender.__name__])


def _mark_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    from reports.rollups import rollup_mark

    name = sender.__name__
    now = _values(instance, TRACKED[name])
    before = getattr(instance, "_rollup_initial", None) or {}
    keys = _keys(name, now, instance)
    if before and before != now:
        keys += _keys(name, {**now, **before}, instance)
        if name == "Order" and before.get("owner_id") != now.get("owner_id"):
            keys += _order_payment_keys(instance.pk, [before.get("owner_id"), now.get("owner_id")])
    rollup_mark(marks=keys)
    instance._rollup_initial = now


def _order_payment_keys(order_id: Any, owners: list[Any]) -> list[tuple[Any, Any]]:
    """An order changing hands moves its collections: both owners, every day it was paid on."""
    from crm.models import Payment

    days = set(Payment.objects.filter(order_id=order_id).values_list("received_on", flat=True))
    return [(o, d) for o in owners for d in days]


def _mark_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    from reports.rollups import rollup_mark

    name = sender.__name__
    rollup_mark(marks=_keys(name, _values(instance, TRACKED[name]), instance))


def connect_rollup_marks() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_init, post_save

    for name in TRACKED:
        model = apps.get_model("crm", name)
        post_init.connect(_remember, sender=model, dispatch_uid=f"rollup_init_{name}")
        post_save.connect(_mark_saved, sender=model, dispatch_uid=f"rollup_save_{name}")
        post_delete.connect(_mark_deleted, sender=model, dispatch_uid=f"rollup_delete_{name}")
