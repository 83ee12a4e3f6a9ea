"""Payout (S8): finance records the bank transfer of an approved settlement, which makes the `pay` step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError, NotFound
from crm.models import Role, User
from settlements.models import Payout, Settlement, SettlementStatus
from settlements.services.workflow import BulkResult, _transition

S = SettlementStatus


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
        amount=s.net_amount,  # 001 第8条: the bank pays the net, after income tax
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
