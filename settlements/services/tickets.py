"""K13 ticket deductions (000 结算信息一览表): an attendee a partner brings is covered by the partner's own
tickets (所属合伙人票价/票数量/票额抵扣), oldest tickets of the same course first; the partner's ticket
balance runs from 上期结余 to 本期结余. Signed and sold ticket money (签约/售出票款合计) are summed as
they are. Quantities are whole tickets and prices exact to the fen, so nothing here divides money."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from common.money import ZERO, round_fen
from common.timeutil import month_start, next_month
from settlements.models import PartnerTicketStock, Settlement, TicketSale


@dataclass
class _Lot:
    course_name: str
    price: Decimal
    remaining: int
    acquired_on: dt.date


@dataclass
class TicketStatement:
    month: dt.date
    sales: list[TicketSale] = field(default_factory=list)  # this month's rows, deduction columns filled
    signed_total: Decimal = ZERO
    sold_total: Decimal = ZERO
    deduction_total: Decimal = ZERO
    prior_balance: Decimal = ZERO
    current_balance: Decimal = ZERO


def _deduct(sale: TicketSale, lots: list[_Lot]) -> None:
    """Cover the sale's tickets from the partner's lots of the same course held by the end of the sale's
    month, oldest first; what the lots cannot cover is simply not deducted (the row shows it)."""
    usable_before = next_month(sale.month)
    wanted = sale.quantity
    taken: list[tuple[int, Decimal]] = []
    for lot in lots:
        if wanted == 0:
            break
        if lot.course_name != sale.course_name or lot.acquired_on >= usable_before or lot.remaining == 0:
            continue
        take = min(wanted, lot.remaining)
        lot.remaining -= take
        wanted -= take
        taken.append((take, lot.price))
    sale.deducted_quantity = sum(t for t, _p in taken)
    sale.deducted_amount = round_fen(sum((t * p for t, p in taken), ZERO))
    prices = {p for _t, p in taken}
    sale.deducted_price = prices.pop() if len(prices) == 1 else None


def ticket_statement(*, partner_id: int, month: dt.date) -> TicketStatement:
    """The partner's ticket account for `month`, replayed from its first ticket (so a month's figures
    never depend on the order in which months were generated)."""
    month = month_start(month)
    end = next_month(month)
    lots = [
        _Lot(course, price, qty, acquired)
        for course, price, qty, acquired in PartnerTicketStock.objects.filter(
            partner_id=partner_id, acquired_on__lt=end
        )
        .order_by("acquired_on", "id")
        .values_list("course_name", "ticket_price", "quantity", "acquired_on")
    ]
    out = TicketStatement(month=month)
    held_before = sum((lot.price * lot.remaining for lot in lots if lot.acquired_on < month), ZERO)
    bought_now = sum((lot.price * lot.remaining for lot in lots if lot.acquired_on >= month), ZERO)
    deducted_before = ZERO
    for sale in TicketSale.objects.filter(partner_id=partner_id, month__lte=month).order_by(
        "month", "attended_on", "id"
    ):
        _deduct(sale, lots)
        if sale.month < month:
            deducted_before += sale.deducted_amount
            continue
        out.sales.append(sale)
        out.signed_total += sale.signed_price * sale.quantity
        out.sold_total += sale.sold_price * sale.quantity
        out.deduction_total += sale.deducted_amount
    out.signed_total = round_fen(out.signed_total)
    out.sold_total = round_fen(out.sold_total)
    out.prior_balance = round_fen(held_before - deducted_before)
    out.current_balance = round_fen(out.prior_balance + bought_now - out.deduction_total)
    return out


def ticket_statement_apply(settlement: Settlement) -> TicketStatement | None:
    """Write the month's deduction columns and the settlement's ticket totals (called while a draft is
    recomputed; a locked settlement keeps the snapshot it was approved with)."""
    if settlement.payee_partner_id is None:
        return None
    st = ticket_statement(partner_id=settlement.payee_partner_id, month=settlement.month)
    TicketSale.objects.bulk_update(st.sales, ["deducted_price", "deducted_quantity", "deducted_amount"])
    settlement.ticket_signed_total = st.signed_total
    settlement.ticket_sold_total = st.sold_total
    settlement.ticket_deduction_total = st.deduction_total
    settlement.ticket_prior_balance = st.prior_balance
    settlement.ticket_current_balance = st.current_balance
    return st


def ticket_sales_of(settlement: Settlement) -> list[TicketSale]:
    """The 结算信息一览表 rows of a partner's settlement (empty for staff)."""
    if settlement.payee_partner_id is None:
        return []
    return list(
        TicketSale.objects.filter(partner_id=settlement.payee_partner_id, month=settlement.month).order_by(
            "attended_on", "id"
        )
    )
