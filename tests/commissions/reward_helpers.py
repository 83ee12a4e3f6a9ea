"""Hand-built sales for the K14 reward tests: a partner credited 100% of an order booked on a day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from crm.models import ProductCategory
from partners.models import CreditRole, CreditShare, Partner, PartnerKind
from tests.factories import make_order

TZ = timezone.get_default_timezone()


def make_partner(name: str, *, region, kind: str = PartnerKind.ORDINARY, user=None) -> Partner:  # type: ignore[no-untyped-def]
    return Partner.objects.create(
        name=name, kind=kind, region=region, phone="13900001111", account_holder=name, user=user
    )


def partner_sale(partner: Partner, *, owner, amount: str, on: dt.date):  # type: ignore[no-untyped-def]
    """An order of `amount` booked at noon on `on` (Asia/Shanghai), credited 100% to the partner."""
    order = make_order(
        owner=owner,
        lines=[(ProductCategory.REGULAR, Decimal("1"), Decimal(amount))],
        booked_at=dt.datetime(on.year, on.month, on.day, 12, tzinfo=TZ),
    )
    CreditShare.objects.filter(order=order).delete()
    CreditShare.objects.create(order=order, partner=partner, role=CreditRole.REFERRAL, share=Decimal("1"))
    return order
