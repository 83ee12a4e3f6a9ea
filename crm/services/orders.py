"""Q4: orders from signed contracts. Booking fixes the period, the due date and the credit shares
(P4); an order with below-floor lines waits for the below-floor approval (Q2), whose approver sets the
commission rate for it (K9, `Order.below_floor_rate`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.money import QUANTITY_LIMIT, ZERO, check_amount_fits, round_fen
from common.timeutil import local_date
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
    order_category_valid,
)
from crm.selectors import team_member_ids
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


def _clean_lines(lines: list[dict[str, Any]]) -> list[OrderLine]:
    out = []
    for n, raw in enumerate(lines, start=1):
        if not raw or not str(raw.get("product") or "").strip():
            if raw and any(str(v).strip() for k, v in raw.items() if v not in (None, "") and k != "category"):
                raise DomainError(_("第%(n)d行：请填写产品。") % {"n": n}, field="lines")
            continue
        category = str(raw.get("category") or "")
        if not order_category_valid(category):
            raise DomainError(_("第%(n)d行：请选择产品类别。") % {"n": n}, field="lines")
        line = OrderLine(
            product=str(raw["product"]).strip()[:200],
            category=category,
            quantity=_dec(raw.get("quantity"), n=n, label=_("数量"), money=False, allow_zero=False),
            list_price=_dec(raw.get("list_price"), n=n, label=_("标准价")),
            unit_price=_dec(raw.get("unit_price"), n=n, label=_("成交单价")),
            floor_price=_dec(raw.get("floor_price"), n=n, label=_("最低价")),
            unit_cost=_dec(raw.get("unit_cost"), n=n, label=_("单位成本")),
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
    if contract.owner_id != by.pk and contract.owner_id not in team_member_ids(by) and not by.sees_everything:
        raise DomainError(_("只有合同负责人或其上级可以下订单。"), code="not_allowed", status=403)
    clean = _clean_lines(lines)
    now = booked_at or timezone.now()
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
    if not below:
        return _book(order, at=now)
    approval_request_create(
        kind=ApprovalKind.BELOW_FLOOR,
        subject=order,
        requested_by=by,
        title=_("订单 %(n)s 有 %(k)d 行低于最低价") % {"n": order.number, "k": len(below)},
        amount=order.total,
    )
    return order


def order_on_below_floor_approval(
    *, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None
) -> None:
    order = Order.objects.select_for_update().get(pk=request.object_id)
    if order.status != OrderStatus.PENDING_APPROVAL:
        return
    if approved:
        order.below_floor_rate = rate
        order.save(update_fields=["below_floor_rate", "updated_at"])
        _book(order)  # the sale counts from the day it was allowed (booked_at = approval time)
    else:
        order.status = OrderStatus.REJECTED
        order.save(update_fields=["status", "updated_at"])
