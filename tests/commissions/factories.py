"""Commission test helpers: install a shipped plan (published, effective long ago) and assign it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.utils import timezone

from commissions.models import CommissionPlan, PlanAssignment
from crm.models import Payment, PaymentKind

PLANS = Path(__file__).resolve().parents[2] / "commissions" / "plans"
EPOCH = dt.date(2020, 1, 1)


def plan_definition(name: str) -> dict:
    return json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8"))


def install_plan(
    name: str, *, role: str = "", user=None, partner_kind: str = "", definition: dict | None = None, grade=""
) -> CommissionPlan:
    definition = definition or plan_definition(name)
    plan, _ = CommissionPlan.objects.get_or_create(
        code=definition["code"],
        effective_from=EPOCH,
        defaults={"name": definition["name"], "definition": definition, "published_at": timezone.now()},
    )
    if role or user or partner_kind:
        PlanAssignment.objects.create(
            plan=plan, role=role, user=user, partner_kind=partner_kind, starts_on=EPOCH, grade=grade
        )
    return plan


def booked(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def pay(order, amount: str, day: dt.date, by) -> Payment:
    amount_d = Decimal(amount)
    return Payment.objects.create(
        order=order,
        kind=PaymentKind.PAYMENT if amount_d > 0 else PaymentKind.REFUND,
        amount=amount_d,
        received_on=day,
        recorded_by=by,
        reason="" if amount_d > 0 else "退货",
    )
