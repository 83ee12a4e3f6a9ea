"""002 §6: the customer rebates (客户佣金) finance pays — the approved ones awaiting payment and those
paid — and what each one is due, in one place for the page, the API and the pay service."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from common.money import round_fen
from crm.models import Concession

REBATE = "customer_rebate"
PAYMENT_STATES = ("approved", "paid")


def customer_rebate_due(concession: Concession) -> Decimal:
    """§6.1/§6.5: the ratio of the money the customer paid, to the fen, paid in full."""
    return round_fen(concession.base_amount * concession.ratio)


def customer_rebates_for_payment(*, q: str = "", state: str = "approved") -> QuerySet[Concession]:
    """Approved customer rebates awaiting payment (`state="approved"`) or already paid (`"paid"`),
    searchable by customer name."""
    qs = Concession.objects.filter(kind=REBATE, status=state if state in PAYMENT_STATES else "approved")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(customer__name__icontains=q))
    return qs.select_related("customer", "requested_by", "paid_by")
