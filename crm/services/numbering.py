"""Document numbers (报价单号, 合同编号, 订单编号): prefix + local date + the row id, so two users saving
at the same moment can never collide (a COUNT(*)+1 would)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone


def provisional_number() -> str:
    return f"tmp-{uuid.uuid4().hex[:24]}"


def assign_number(obj: models.Model, *, prefix: str, day: dt.date | None = None) -> str:
    """Give a freshly created row its final number (call inside the creating transaction)."""
    number = f"{prefix}{day or timezone.localdate():%Y%m%d}-{obj.pk:05d}"
    type(obj)._default_manager.filter(pk=obj.pk).update(number=number)
    obj.number = number  # type: ignore[attr-defined]
    return number
