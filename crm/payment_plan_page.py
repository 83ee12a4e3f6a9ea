"""Issue 16: the payment plans (回款计划) of a customer's contracts, plan vs actual, as a section of the
customer page (registered with crm.extensions; the customer-360 tabs can place the same template,
`crm/_customer_payment_plans.html`, with `customer_payment_plans(...)` as its context)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from common.fen import ZERO
from common.timeutil import local_today
from crm import policy
from crm.models import Customer, Payment, PaymentInstalment, User
from crm.services.payment_plans import plan_vs_actual


def customer_payment_plans(
    *, customer: Customer, user: User, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Each visible contract of the customer that has a plan, with its plan vs actual. Three queries
    whatever the number of contracts."""
    today = today or local_today()
    contracts = list(
        policy.contracts_visible_to(user)
        .filter(customer=customer, instalments__isnull=False)
        .distinct()
        .order_by("-id")
    )
    if not contracts:
        return []
    ids = [c.pk for c in contracts]
    instalments: dict[int, list[PaymentInstalment]] = {}
    for inst in PaymentInstalment.objects.filter(contract_id__in=ids):
        instalments.setdefault(inst.contract_id, []).append(inst)
    received = {
        r["order__contract_id"]: r["s"] or ZERO
        for r in Payment.objects.filter(order__contract_id__in=ids)
        .values("order__contract_id")
        .annotate(s=Sum("amount"))
    }
    return [
        {
            "contract": c,
            "plan": plan_vs_actual(
                instalments=instalments.get(c.pk, []), received=received.get(c.pk, ZERO), today=today
            ),
        }
        for c in contracts
    ]


def customer_payment_plans_section(*, customer: Customer, user: User) -> SafeString:
    plans = customer_payment_plans(customer=customer, user=user)
    if not plans:
        return SafeString("")
    return SafeString(render_to_string("crm/_customer_payment_plans.html", {"plans": plans}))
