"""Hand-built data for the reports tests: a month of activity for two teams with round amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from common.timeutil import start_of_local_day
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    FollowUpChannel,
    Opportunity,
    Payment,
    User,
)
from crm.services.opportunities import stages_seed_defaults
from crm.services.receivables import order_cleared_refresh
from reports.filters import add_months
from tests.factories import CustomerFactory, FollowUpFactory, build_org, make_order

THIS_MONTH = timezone.localdate().replace(day=1)
LAST_MONTH = add_months(THIS_MONTH, -1)
LAST_YEAR = add_months(THIS_MONTH, -12)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour)


def opportunity(
    owner: User, stage: str, amount: str, *, registered: dt.date = THIS_MONTH, sign: dt.date | None = None
) -> Opportunity:
    return Opportunity.objects.create(
        customer=CustomerFactory(owner=owner),
        owner=owner,
        name=f"{stage}-{amount}",
        stage=stage,
        amount=Decimal(amount),
        registered_at=at(registered),
        expected_sign_date=sign,
    )


_n = [0]


def contract(owner: User, amount: str, signed_on: dt.date, status: str = ContractStatus.SIGNED) -> Contract:
    _n[0] += 1
    return Contract.objects.create(
        number=f"HT-T{_n[0]:04d}",
        customer=CustomerFactory(owner=owner),
        owner=owner,
        title="测试合同",
        amount=Decimal(amount),
        status=status,
        signed_on=signed_on,
    )


def payment(owner: User, amount: str, received_on: dt.date) -> Payment:
    order = make_order(owner=owner, booked_at=at(received_on))
    made = Payment.objects.create(
        order=order, amount=Decimal(amount), received_on=received_on, recorded_by=owner
    )
    order_cleared_refresh(order_ids=[order.pk])  # as the payment service does
    return made


def new_customers(user: User, n: int, *, on: dt.date = THIS_MONTH) -> list[Customer]:
    made = [CustomerFactory(owner=user, created_by=user) for _ in range(n)]
    Customer.objects.filter(pk__in=[c.pk for c in made]).update(created_at=at(on))
    return made


def visits(
    user: User,
    customer: Customer,
    n: int,
    *,
    on: dt.date = THIS_MONTH,
    channel: str = FollowUpChannel.VISIT_NEW,
) -> None:
    for _ in range(n):
        FollowUpFactory(customer=customer, author=user, occurred_at=at(on), channel=channel)


def org_with_stages():  # type: ignore[no-untyped-def]
    stages_seed_defaults()
    return build_org()
