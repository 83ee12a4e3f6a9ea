"""Issue 16: the payment plans (回款计划) of a customer's contracts, plan vs actual, as the customer
page's payment-plans tab (crm.extensions.PAYMENT_PLANS_TAB; its rows are the visible contracts that have
a plan, see crm.selectors_customer360)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Sum

from common.fen import ZERO
from common.timeutil import local_today
from crm.models import Contract, Payment, PaymentInstalment
from crm.services.payment_plans import plan_vs_actual


def contract_payment_plans(
    *, contracts: Sequence[Contract], today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Each contract with its plan vs actual. Two queries whatever the number of contracts."""
    if not contracts:
        return []
    today = today or local_today()
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
