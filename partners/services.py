"""Partners, collisions and credit (SPEC §3)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from crm.models import Order
from partners.models import CreditRole, CreditShare

# P4 default: account manager : account executive = 70 : 30 once an executive is attached [002 §10].
EXECUTIVE_SPLIT = (Decimal("0.7"), Decimal("0.3"))


@transaction.atomic
def credit_shares_freeze(*, order: Order) -> list[CreditShare]:
    """P4: fix the order's credit holders when it is booked. Called once by the order-booking service.

    Shares always sum to exactly 1. Later ownership changes never rewrite them.
    """
    if order.credit_shares.exists():
        return list(order.credit_shares.all())
    customer = order.customer
    if customer.account_executive_id and customer.account_executive_id != order.owner_id:
        owner_share, exec_share = EXECUTIVE_SPLIT
        shares = [
            CreditShare(order=order, user_id=order.owner_id, role=CreditRole.OWNER, share=owner_share),
            CreditShare(
                order=order,
                user_id=customer.account_executive_id,
                role=CreditRole.EXECUTIVE,
                share=exec_share,
            ),
        ]
    else:
        shares = [CreditShare(order=order, user_id=order.owner_id, role=CreditRole.OWNER, share=Decimal("1"))]
    return CreditShare.objects.bulk_create(shares)
