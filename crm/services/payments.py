"""Q5: payments (回款), refunds (negative payments with a reason) and invoices, entered by finance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.money import ZERO, round_fen
from common.timeutil import local_today
from crm.models import Invoice, Order, OrderStatus, Payment, PaymentKind, Role, User
from crm.services.receivables import order_cleared_refresh


def _require_finance(by: User) -> None:
    if not (by.has_role(Role.FINANCE) or by.is_superuser):
        raise DomainError(_("回款、退款和开票由财务中心录入。"), code="finance_only", status=403)


def _amount(value: Any, field: str = "amount") -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("金额不是有效的数字。"), field=field) from exc
    if not d.is_finite() or d <= 0:
        raise DomainError(_("金额必须大于0。"), code="invalid_amount", field=field)
    if d != round_fen(d):
        raise DomainError(_("金额须精确到分（最多两位小数）。"), code="invalid_amount", field=field)
    return d


def _locked_booked_order(order: Order) -> Order:
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.BOOKED:
        raise DomainError(_("订单尚未生效（待低价审批或已驳回），不能登记回款。"), code="order_not_booked")
    return order


def _check_day(day: dt.date | None, field: str = "received_on") -> dt.date:
    day = day or local_today()
    if day > local_today():
        raise DomainError(_("日期不能晚于今天。"), code="future_date", field=field)
    return day


def _received(order: Order) -> Decimal:
    return Payment.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or ZERO


def _duplicate_reference(reference: str) -> DomainError:
    return DomainError(
        _("该订单已登记过银行流水号为“%(ref)s”的回款，不能重复登记。") % {"ref": reference},
        code="duplicate_reference",
        field="reference",
        status=409,
    )


def payment_record(
    *,
    order: Order,
    amount: Any,
    by: User,
    received_on: dt.date | None = None,
    reference: str = "",
    idempotency_key: str = "",
) -> Payment:
    """Money received against an order. Refused above what is still outstanding.

    Issue 17: one payment per bank reference per order (a database constraint; the same transfer
    submitted twice, in sequence or in parallel, is booked once), and a retried API call with the same
    Idempotency-Key returns the payment it made (`payment.replayed` is True) instead of booking again."""
    key = (idempotency_key or "").strip()[:100]
    if key:
        earlier = Payment.objects.filter(recorded_by=by, idempotency_key=key).first()
        if earlier is not None:
            if earlier.order_id != order.pk or earlier.amount != _amount(amount):
                raise DomainError(
                    _("该幂等键已用于另一笔回款，请为新的请求使用新的键。"),
                    code="idempotency_key_reused",
                    status=409,
                )
            earlier.replayed = True  # type: ignore[attr-defined]
            return earlier
    try:
        with transaction.atomic():
            return _payment_insert(
                order=order, amount=amount, by=by, received_on=received_on, reference=reference, key=key
            )
    except IntegrityError:
        # A parallel request won the race: the constraint refused the twin.
        if key:
            earlier = Payment.objects.filter(recorded_by=by, idempotency_key=key).first()
            if earlier is not None:
                earlier.replayed = True  # type: ignore[attr-defined]
                return earlier
        raise _duplicate_reference((reference or "").strip()) from None


def _payment_insert(
    *, order: Order, amount: Any, by: User, received_on: dt.date | None, reference: str, key: str
) -> Payment:
    _require_finance(by)
    amt = _amount(amount)
    reference = (reference or "").strip()[:80]
    order = _locked_booked_order(order)
    if (
        reference
        and Payment.objects.filter(order=order, kind=PaymentKind.PAYMENT, reference=reference).exists()
    ):
        raise _duplicate_reference(reference)
    outstanding = order.total - _received(order) - order.written_off
    if amt > outstanding:
        raise DomainError(
            _("回款金额 ¥%(a)s 超过未收金额 ¥%(o)s。") % {"a": amt, "o": outstanding},
            code="over_payment",
            field="amount",
        )
    payment = Payment.objects.create(
        order=order,
        kind=PaymentKind.PAYMENT,
        amount=amt,
        received_on=_check_day(received_on),
        reference=reference,
        recorded_by=by,
        idempotency_key=key,
    )
    order_cleared_refresh(order_ids=[order.pk])
    return payment


@transaction.atomic
def refund_record(
    *,
    order: Order,
    amount: Any,
    reason: str,
    by: User,
    received_on: dt.date | None = None,
    reference: str = "",
) -> Payment:
    """Q5: a refund/return is a negative payment with a reason; it cannot exceed what was received."""
    _require_finance(by)
    amt = _amount(amount)
    if not (reason or "").strip():
        raise DomainError(_("退款请填写原因。"), code="reason_required", field="reason")
    order = _locked_booked_order(order)
    received = _received(order)
    if amt > received:
        raise DomainError(
            _("退款金额 ¥%(a)s 超过已收金额 ¥%(r)s。") % {"a": amt, "r": received},
            code="refund_exceeds_received",
            field="amount",
        )
    refund = Payment.objects.create(
        order=order,
        kind=PaymentKind.REFUND,
        amount=-amt,
        received_on=_check_day(received_on),
        reference=(reference or "")[:80],
        reason=reason.strip()[:200],
        recorded_by=by,
    )
    order_cleared_refresh(order_ids=[order.pk])
    return refund


@transaction.atomic
def invoice_record(
    *, order: Order, amount: Any, by: User, issued_on: dt.date | None = None, number: str = ""
) -> Invoice:
    _require_finance(by)
    amt = _amount(amount)
    order = _locked_booked_order(order)
    invoiced = Invoice.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or ZERO
    if invoiced + amt > order.total:
        raise DomainError(
            _("开票总额不能超过订单金额 ¥%(t)s（已开 ¥%(i)s）。") % {"t": order.total, "i": invoiced},
            code="over_invoiced",
            field="amount",
        )
    return Invoice.objects.create(
        order=order,
        amount=amt,
        issued_on=_check_day(issued_on, "issued_on"),
        number=(number or "")[:40],
        recorded_by=by,
    )
