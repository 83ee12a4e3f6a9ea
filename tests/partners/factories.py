"""Factories for partners tests: partners and orders booked without shares (so the freeze writes them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from crm.models import Customer, Order, OrderLine, ProductCategory, User
from partners.models import Partner, PartnerKind


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"合伙人{n}")
    kind = PartnerKind.ORDINARY
    phone = factory.Sequence(lambda n: f"137{n:08d}")


def book_order(
    *, owner: User, customer: Customer, booked_at: dt.datetime | None = None, amount: str = "10000.00"
) -> Order:
    order = Order.objects.create(
        number=f"PO{Order.objects.count() + 1:06d}",
        customer=customer,
        owner=owner,
        booked_at=booked_at or timezone.now(),
    )
    OrderLine.objects.create(
        order=order,
        product="产品",
        category=ProductCategory.REGULAR,
        quantity=Decimal("1"),
        list_price=Decimal(amount),
        unit_price=Decimal(amount),
    )
    order.total = order.recompute_total()
    order.save(update_fields=["total"])
    return order
