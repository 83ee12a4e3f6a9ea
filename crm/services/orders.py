"""Q4: orders from signed contracts. Booking fixes the period, the due date and the credit shares
(P4); an order with below-floor lines waits for the below-floor approval (Q2), whose approver sets the
commission rate for it (K9, `Order.below_floor_rate`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words, words_plural
from common.errors import DomainError
from common.money import QUANTITY_LIMIT, ZERO, check_amount_fits, format_cny, round_fen
from common.timeutil import local_date
from crm import policy
from crm.extensions import order_booked
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    Contract,
    ContractStatus,
    Order,
    OrderLine,
    OrderStatus,
    User,
)
from crm.services import catalog
from crm.services.approvals import approval_request_create
from crm.services.numbering import assign_number, provisional_number


def _dec(value: Any, *, n: int, label: str, money: bool = True, allow_zero: bool = True) -> Decimal:
    try:
        d = (
            value
            if isinstance(value, Decimal)
            else Decimal(str(value if value not in (None, "") else "0").strip())
        )
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(
            _("第%(n)d行：%(label)s不是有效的数字。") % {"n": n, "label": label}, field="lines"
        ) from exc
    if d.is_finite() and d < 0 and allow_zero:
        raise DomainError(_("第%(n)d行：%(label)s不能为负数。") % {"n": n, "label": label}, field="lines")
    if not d.is_finite() or d < 0 or (not allow_zero and d == 0):
        raise DomainError(_("第%(n)d行：%(label)s须大于0。") % {"n": n, "label": label}, field="lines")
    if money and d != round_fen(d):
        raise DomainError(_("第%(n)d行：%(label)s须精确到分。") % {"n": n, "label": label}, field="lines")
    return d


def _clean_lines(contract: Contract, lines: list[dict[str, Any]], *, on: dt.date) -> list[OrderLine]:
    """Issue 17: an order line names a catalogue product and a quantity; everything else is derived.
    - Under a contract made from a quote, only that quote's products can be ordered, at the quoted price
      (a unit price the caller sends is ignored). No lines at all: the whole quote.
    - Under a contract without a quote, the rep states the agreed unit price.
    In both cases list price, floor price and unit cost are the price book's on the booking day; the
    line's tax and logistics (K7) are entered with it and reduce its margin."""
    quote_lines: dict[int, Any] = {}
    if contract.quote_id:
        for ql in contract.quote.lines.all():  # type: ignore[union-attr]
            if ql.catalog_product_id:
                quote_lines.setdefault(ql.catalog_product_id, ql)
        if not any(raw and str(raw.get("product") or "").strip() for raw in lines):
            lines = [{"product": pid, "quantity": ql.quantity} for pid, ql in quote_lines.items()]
    out = []
    for n, raw in enumerate(lines, start=1):
        if not raw or not str(raw.get("product") or "").strip():
            if raw and any(str(v).strip() for k, v in raw.items() if v not in (None, "") and k == "quantity"):
                raise DomainError(_("第%(n)d行：请选择产品。") % {"n": n}, field="lines")
            continue
        product = catalog.product_for_line(raw.get("product"), n=n)
        price = catalog.price_for_line(product, on, n=n)
        quantity = _dec(raw.get("quantity"), n=n, label=_("数量"), money=False, allow_zero=False)
        if quantity != quantity.quantize(Decimal("0.01")):
            raise DomainError(_("第%(n)d行：数量最多两位小数。") % {"n": n}, field="lines")
        if contract.quote_id:
            ql = quote_lines.get(product.pk)
            if ql is None:
                raise DomainError(
                    _("第%(n)d行：产品“%(p)s”不在合同的报价单中。") % {"n": n, "p": product.name},
                    code="not_on_quote",
                    field="lines",
                )
            unit_price = ql.quoted_price
        else:
            unit_price = _dec(raw.get("unit_price"), n=n, label=_("成交单价"))
        if quantity >= Decimal("1e10") or unit_price >= Decimal("1e12"):
            raise DomainError(_("第%(n)d行：数量或单价过大。") % {"n": n}, field="lines")
        line = OrderLine(
            catalog_product=product,
            product=product.name,
            category=product.category.code,
            quantity=quantity,
            list_price=price.list_price,
            unit_price=unit_price,
            floor_price=price.floor_price,
            unit_cost=price.unit_cost if price.unit_cost is not None else ZERO,
            # K7 (issue 12 point 8): the line's tax and logistics reduce its margin; enterable, validated.
            tax=_dec(raw.get("tax"), n=n, label=_("税费")),
            logistics=_dec(raw.get("logistics"), n=n, label=_("物流费")),
        )
        # Issue 17: numbers the database cannot hold are refused, not a server error.
        check_amount_fits(line.quantity, label=_("第%(n)d行：数量") % {"n": n}, limit=QUANTITY_LIMIT)
        for value in (line.list_price, line.unit_price, line.floor_price, line.unit_cost, line.tax):
            check_amount_fits(value, label=_("第%(n)d行：金额") % {"n": n})
        check_amount_fits(line.logistics, label=_("第%(n)d行：金额") % {"n": n})
        check_amount_fits(line.quantity * line.list_price, label=_("第%(n)d行：标准价金额") % {"n": n})
        line.amount = check_amount_fits(
            round_fen(line.quantity * line.unit_price), label=_("第%(n)d行：金额") % {"n": n}
        )
        out.append(line)
    if not out:
        raise DomainError(_("订单至少需要一行产品。"), code="no_lines", field="lines")
    check_amount_fits(sum((x.amount for x in out), ZERO), label=_("订单合计"))
    return out


def contract_remaining(contract: Contract, *, exclude: Order | None = None) -> Decimal:
    """The part of the contract amount not yet ordered (booked orders and orders waiting for approval)."""
    qs = contract.orders.filter(status__in=[OrderStatus.BOOKED, OrderStatus.PENDING_APPROVAL])
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    ordered = qs.aggregate(s=Sum("total"))["s"] or ZERO
    return contract.amount - ordered


def _book(order: Order, *, at: dt.datetime | None = None) -> Order:
    from crm.services.receivables import pipeline_policy

    at = at or timezone.now()
    booked_day = local_date(at)
    order.status = OrderStatus.BOOKED
    order.booked_at = at
    order.due_on = booked_day + dt.timedelta(days=pipeline_policy(on=booked_day).payment_terms_days)
    order.save(update_fields=["status", "booked_at", "due_on", "updated_at"])
    order_booked(order=order)  # P4: partners freezes the credit shares, exactly once, at booking
    return order


@transaction.atomic
def order_create(
    *,
    by: User,
    contract: Contract,
    lines: list[dict[str, Any]],
    booked_at: dt.datetime | None = None,
) -> Order:
    """Q4: an order under a signed (or in-delivery) contract. Without below-floor lines it is booked
    at once; otherwise it waits for the below-floor approval."""
    if contract.status not in (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY):
        raise DomainError(
            _("只有已签约或执行中的合同可以下订单。"), code="contract_not_signed", field="contract"
        )
    if (
        contract.owner_id != by.pk
        and contract.owner_id not in policy.team_member_ids(by)
        and not by.sees_everything
    ):
        raise DomainError(_("只有合同负责人或其上级可以下订单。"), code="not_allowed", status=403)
    now = booked_at or timezone.now()
    clean = _clean_lines(contract, lines, on=local_date(now))
    remaining = contract_remaining(contract)
    order = Order.objects.create(
        number=provisional_number(),
        contract=contract,
        customer=contract.customer,
        owner=contract.owner,
        booked_at=now,
        status=OrderStatus.PENDING_APPROVAL,
    )
    assign_number(order, prefix="SO", day=local_date(now))
    for line in clean:
        line.order = order
    OrderLine.objects.bulk_create(clean)
    order.total = round_fen(sum((ln.amount for ln in clean), ZERO))
    order.save(update_fields=["total", "updated_at"])
    below = [ln for ln in clean if ln.is_below_floor]
    if below:
        approval_request_create(
            kind=ApprovalKind.BELOW_FLOOR,
            subject=order,
            requested_by=by,
            title=words_plural(
                gettext_noop("订单 %(n)s 有 %(k)d 行低于最低价"),
                gettext_noop("订单 %(n)s 有 %(k)d 行低于最低价"),
                "k",
                n=order.number,
                k=len(below),
            ),
            amount=order.total,
        )
        return order
    if order.total > remaining:
        _request_over_contract(order, by=by, remaining=remaining)
        return order
    return _book(order, at=now)


def _request_over_contract(order: Order, *, by: User, remaining: Decimal) -> None:
    """Issue 17: an order beyond what is left of its contract waits for the authority matrix."""
    excess = order.total - max(remaining, ZERO)
    approval_request_create(
        kind=ApprovalKind.ORDER_OVER_CONTRACT,
        subject=order,
        requested_by=by,
        title=words(
            gettext_noop("订单 %(n)s 金额 %(t)s 超出合同余额 %(r)s"),
            n=order.number,
            t=format_cny(order.total),
            r=format_cny(max(remaining, ZERO)),
        ),
        amount=excess,
    )


def order_on_below_floor_approval(
    *, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None
) -> None:
    order = Order.objects.select_for_update().get(pk=request.object_id)
    if order.status != OrderStatus.PENDING_APPROVAL:
        return
    if approved:
        order.below_floor_rate = rate
        order.save(update_fields=["below_floor_rate", "updated_at"])
        assert order.contract is not None
        remaining = contract_remaining(order.contract, exclude=order)
        if order.total > remaining:  # next: the amount beyond the contract
            _request_over_contract(order, by=request.requested_by, remaining=remaining)
            return
        _book(order)  # the sale counts from the day it was allowed (booked_at = approval time)
    else:
        order.status = OrderStatus.REJECTED
        order.save(update_fields=["status", "updated_at"])


def order_on_over_contract_approval(
    *, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None
) -> None:
    """The order beyond its contract's remaining amount: approved, it is booked; rejected, it is not."""
    order = Order.objects.select_for_update().get(pk=request.object_id)
    if order.status != OrderStatus.PENDING_APPROVAL:
        return
    if approved:
        _book(order)
    else:
        order.status = OrderStatus.REJECTED
        order.save(update_fields=["status", "updated_at"])


@transaction.atomic
def order_line_costs_set(
    *, line: OrderLine, by: User, unit_cost: Any, tax: Any = None, logistics: Any = None
) -> OrderLine:
    """K7, issue 17: finance — never the rep — corrects a line's unit cost (the price book's by default)
    and records its tax and logistics, which the margin commission is computed from."""
    if not policy.can_record_money_in(by):
        raise DomainError(_("只有财务可以登记成本。"), code="not_allowed", status=403)
    line = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
    if line.order.status == OrderStatus.REJECTED:
        raise DomainError(_("已驳回的订单不能登记成本。"), code="order_rejected", status=409)
    line.unit_cost = _dec(unit_cost, n=1, label=_("单位成本"))
    line.tax = _dec(tax, n=1, label=_("税费"))
    line.logistics = _dec(logistics, n=1, label=_("物流费"))
    for v in (line.unit_cost, line.tax, line.logistics):
        if v >= Decimal("1e12"):
            raise DomainError(_("金额过大。"), field="unit_cost")
    line.save(update_fields=["unit_cost", "tax", "logistics"])
    return line
