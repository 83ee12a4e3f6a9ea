"""Ledger lines for settlement tests, made directly (the commission engine is not needed here)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from commissions.models import CommissionLine, LineKind, LineStatus
from partners.models import Partner, PartnerKind

_seq = itertools.count(1)


def cline(
    *,
    user=None,
    partner=None,
    amount: str | Decimal = "100.00",
    base: str | Decimal = "2000.00",
    period: dt.date = dt.date(2026, 9, 1),
    kind: str = LineKind.EARNED,
    status: str = LineStatus.PAYABLE,
    category: str = "regular",
    order=None,
    credit_share=None,
    corrects=None,
    explanation: dict | None = None,
    component: str = "category_rate",
) -> CommissionLine:
    return CommissionLine.objects.create(
        payee_user=user,
        payee_partner=partner,
        period=period,
        kind=kind,
        status=status,
        category=category,
        base=Decimal(base),
        rate=Decimal("0.05"),
        amount=Decimal(amount),
        order=order,
        credit_share=credit_share,
        corrects=corrects,
        component=component,
        explanation=explanation or {"text": "常规产品 5%"},
        source_key=f"test:{next(_seq)}",
    )


def partner(*, name: str = "张合伙", region=None, user=None) -> Partner:
    return Partner.objects.create(
        name=name,
        kind=PartnerKind.STRATEGIC,
        region=region,
        phone="13900001111",
        bank_name="中国工商银行上海分行",
        account_holder=name,
        account_number="6222021234567890123",
        user=user,
    )


def ticket_stock(p: Partner, *, course: str, price: str, quantity: int, acquired_on: dt.date):
    from settlements.models import PartnerTicketStock

    return PartnerTicketStock.objects.create(
        partner=p, course_name=course, ticket_price=Decimal(price), quantity=quantity, acquired_on=acquired_on
    )


def ticket_sale(
    p: Partner,
    *,
    month: dt.date,
    name: str,
    course: str,
    signed: str,
    sold: str,
    quantity: int = 1,
    gender: str = "female",
    id_number: str = "110101199003071234",
    attended_on: dt.date | None = None,
):
    from settlements.models import TicketSale

    return TicketSale.objects.create(
        partner=p,
        month=month,
        attendee_name=name,
        gender=gender,
        id_number=id_number,
        phone="13800002222",
        attended_on=attended_on or month.replace(day=20),
        course_name=course,
        signed_price=Decimal(signed),
        sold_price=Decimal(sold),
        quantity=quantity,
    )
