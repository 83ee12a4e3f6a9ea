"""Payout (S8): finance records the bank transfer of an approved settlement, which makes the `pay` step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from commissions.models import LineStatus
from common.errors import DomainError, NotFound
from common.money import ZERO
from common.timeutil import local_today
from crm.models import Role, User
from settlements.models import Payout, Settlement, SettlementLine, SettlementStatus, TaxMethod
from settlements.services.tax import labour_withholding
from settlements.services.workflow import BulkResult, _transition

S = SettlementStatus


@dataclass(frozen=True)
class PayoutDue:
    """What the bank transfer of a settlement pays. K11: lines forfeited after the settlement was
    approved leave it — the gross falls by their amount and the tax follows (the labour formula on the
    new gross; the payroll amount, never above it); the locked settlement itself keeps its figures."""

    gross: Decimal
    tax: Decimal
    net: Decimal
    forfeited: Decimal
    forfeited_lines: list[SettlementLine]


def payout_due(s: Settlement) -> PayoutDue:
    if s.status not in (S.APPROVED, S.PAID):  # before approval a forfeit simply leaves the draft
        return PayoutDue(s.payout_amount, s.tax_withheld, s.net_amount, ZERO, [])
    lines = list(
        s.lines.filter(commission_line__status=LineStatus.FORFEITED).select_related("commission_line")
    )
    if not lines:
        return PayoutDue(s.payout_amount, s.tax_withheld, s.net_amount, ZERO, [])
    forfeited = sum((x.commission_line.amount for x in lines if x.commission_line), ZERO)
    gross = max(ZERO, s.payout_amount - forfeited)
    tax = labour_withholding(gross) if s.tax_method == TaxMethod.LABOUR else min(s.tax_withheld, gross)
    return PayoutDue(gross, tax, gross - tax, forfeited, lines)


@transaction.atomic
def payout_record(*, settlement: Settlement | int, by: User, paid_on: dt.date, bank_reference: str) -> Payout:
    pk = settlement.pk if isinstance(settlement, Settlement) else settlement
    if not by.has_role(Role.FINANCE):
        raise DomainError(_("只有财务中心可以登记发放。"), code="not_allowed", status=403)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise DomainError(_("请填写银行流水号。"), field="bank_reference")
    if paid_on is None:
        raise DomainError(_("请填写发放日期。"), field="paid_on")
    today = local_today()
    if paid_on > today:
        # Issue 15: a payout is recorded once the transfer has left the bank, never ahead of it.
        raise DomainError(
            _("发放日期 %(d)s 晚于今天（%(t)s）：请在款项实际转出后再登记发放。")
            % {"d": paid_on.isoformat(), "t": today.isoformat()},
            code="paid_on_in_future",
            field="paid_on",
        )
    s = Settlement.objects.select_for_update().filter(pk=pk).first()
    if s is None:
        raise NotFound(_("结算单不存在。"))
    if s.status != S.APPROVED:
        raise DomainError(_("只有已审批的结算单可以登记发放。"), code="illegal_transition")
    s = _transition(
        settlement=s.pk, action="pay", by=by, comment=bank_reference, expected_status=S.APPROVED, paying=True
    )
    return Payout.objects.create(
        settlement=s,
        paid_on=paid_on,
        bank_reference=bank_reference[:80],
        amount=payout_due(s).net,  # the net after income tax (001 第8条), without forfeited lines (K11)
        recorded_by=by,
    )


def payout_record_bulk(
    *, settlement_ids: Iterable[int], by: User, paid_on: dt.date, bank_reference: str
) -> BulkResult:
    result = BulkResult()
    for pk in sorted(set(settlement_ids)):
        try:
            payout_record(settlement=pk, by=by, paid_on=paid_on, bank_reference=bank_reference)
        except DomainError as exc:
            result.refused[pk] = str(exc.message)
        else:
            result.done.append(pk)
    return result
