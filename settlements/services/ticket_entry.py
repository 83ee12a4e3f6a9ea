"""K13 ticket entry (000 结算信息一览表): finance records the tickets a partner owns (票价 × 票数量) and the
attendees the partner brings (one row of the form each). The deduction columns are never typed: the
partner's draft settlement of that month is recomputed at once, so 票额抵扣 and 上期/本期结余 show
straight away. An approved month's rows are what was signed (S3): nothing is added to it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.money import MONEY_LIMIT
from common.timeutil import date_in_sane_range, month_start, sane_range_message
from crm.models import User
from partners.models import Partner
from settlements import policy
from settlements.models import (
    LOCKED_STATUSES,
    Gender,
    PartnerTicketStock,
    Settlement,
    SettlementStatus,
    TicketSale,
)

ID_NUMBER_LENGTHS = (15, 18)


def _require_finance(by: User) -> None:
    if not policy.can_record_tickets(by):
        raise DomainError(_("只有财务中心可以登记门票。"), code="not_allowed", status=403)


def _price(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("请填写正确的票价，例如 200.00。"), field=field) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("票价不能为负数，最多两位小数。"), field=field)
    if amount >= MONEY_LIMIT:
        raise DomainError(_("票价超出允许的范围。"), field=field)
    return amount


def _quantity(value: Any, field: str = "quantity") -> int:
    try:
        qty = int(str(value).strip())
    except (TypeError, ValueError):
        raise DomainError(_("数量必须是正整数。"), field=field) from None
    if qty < 1 or qty > 100000:
        raise DomainError(_("数量必须是 1 到 100000 之间的整数。"), field=field)
    return qty


def _day(value: dt.date | None, field: str) -> dt.date:
    if value is None:
        raise DomainError(_("请填写日期。"), field=field)
    if not date_in_sane_range(value):
        raise DomainError(sane_range_message(), field=field)
    return value


def _text(value: Any, field: str, *, required: bool, limit: int) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise DomainError(_("此项必填。"), code="required", field=field)
    if len(text) > limit:
        raise DomainError(_("最多 %(n)d 个字。") % {"n": limit}, field=field)
    return text


def _month_locked(partner: Partner, month: dt.date) -> bool:
    return Settlement.objects.filter(
        payee_partner=partner, month=month_start(month), status__in=LOCKED_STATUSES
    ).exists()


def _refresh_draft(partner: Partner, month: dt.date) -> None:
    """The partner's draft sheet of that month (if generated) shows the new tickets at once."""
    from settlements.services.generation import settlement_recompute

    draft = (
        Settlement.objects.select_for_update()
        .filter(payee_partner=partner, month=month_start(month), status=SettlementStatus.DRAFT)
        .first()
    )
    if draft is not None:
        settlement_recompute(draft)


@transaction.atomic
def ticket_stock_record(
    *,
    partner: Partner,
    course_name: Any,
    ticket_price: Any,
    quantity: Any,
    acquired_on: dt.date | None,
    note: Any = "",
    by: User,
) -> PartnerTicketStock:
    """K13: tickets the partner now owns (bought or allotted): 票价 × 票数量 from `acquired_on`."""
    _require_finance(by)
    acquired = _day(acquired_on, "acquired_on")
    if _month_locked(partner, acquired):
        raise DomainError(
            _("%(partner)s %(month)s 的结算单已审批，该月不能再登记门票；请登记在下一个未审批的月份。")
            % {"partner": partner.name, "month": f"{acquired:%Y-%m}"},
            code="month_locked",
            field="acquired_on",
            status=409,
        )
    stock = PartnerTicketStock.objects.create(
        partner=partner,
        course_name=_text(course_name, "course_name", required=True, limit=100),
        ticket_price=_price(ticket_price, "ticket_price"),
        quantity=_quantity(quantity),
        acquired_on=acquired,
        note=_text(note, "note", required=False, limit=200),
    )
    _refresh_draft(partner, acquired)
    return stock


@transaction.atomic
def ticket_sale_record(
    *,
    partner: Partner,
    month: dt.date | None,
    attendee_name: Any,
    attended_on: dt.date | None,
    course_name: Any,
    signed_price: Any,
    sold_price: Any,
    quantity: Any = 1,
    gender: Any = "",
    id_number: Any = "",
    phone: Any = "",
    note: Any = "",
    by: User,
) -> TicketSale:
    """K13: one attendee the partner brought (a row of the 结算信息一览表), in settlement month `month`
    (default: the month of attendance)."""
    _require_finance(by)
    attended = _day(attended_on, "attended_on")
    settle_month = month_start(month or attended)
    if not date_in_sane_range(settle_month):
        raise DomainError(sane_range_message(), field="month")
    if _month_locked(partner, settle_month):
        raise DomainError(
            _("%(partner)s %(month)s 的结算单已审批，该月不能再登记参会；请登记在下一个未审批的月份。")
            % {"partner": partner.name, "month": f"{settle_month:%Y-%m}"},
            code="month_locked",
            field="month",
            status=409,
        )
    gender = str(gender or "")
    if gender and gender not in Gender.values:
        raise DomainError(_("请选择性别。"), field="gender")
    ident = _text(id_number, "id_number", required=False, limit=20).upper()
    if ident and (len(ident) not in ID_NUMBER_LENGTHS or not ident[:-1].isdigit()):
        raise DomainError(_("身份证号应为 15 或 18 位。"), field="id_number")
    sale = TicketSale.objects.create(
        partner=partner,
        month=settle_month,
        attendee_name=_text(attendee_name, "attendee_name", required=True, limit=80),
        gender=gender,
        id_number=ident,
        phone=_text(phone, "phone", required=False, limit=20),
        attended_on=attended,
        course_name=_text(course_name, "course_name", required=True, limit=100),
        signed_price=_price(signed_price, "signed_price"),
        sold_price=_price(sold_price, "sold_price"),
        quantity=_quantity(quantity),
        note=_text(note, "note", required=False, limit=200),
    )
    _refresh_draft(partner, settle_month)
    sale.refresh_from_db()  # the deduction columns the recompute just wrote
    return sale
