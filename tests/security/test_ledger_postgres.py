"""Issue 17 (PostgreSQL): with the app's own database login, nobody can edit a settled ledger line,
reopen a closed month, or mark a settlement paid without a payout — whatever path the write takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from commissions.models import CommissionLine, CommissionPeriod, LineStatus
from settlements.models import Settlement
from settlements.services.payouts import payout_record
from tests.settlements.test_lock_postgres import _approved

SEP = dt.date(2026, 9, 1)


def _refused(fn, word: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        fn()
    assert word in str(exc.value)


@pytest.mark.postgres
@pytest.mark.django_db
def test_settled_ledger_lines_cannot_be_edited_or_deleted(org):
    s = _approved(org)
    line = CommissionLine.objects.get(pk=s.lines.get().commission_line_id)
    assert line.status == LineStatus.SETTLED
    _refused(lambda: CommissionLine.objects.filter(pk=line.pk).update(amount=Decimal("888888.00")), "settled")
    _refused(lambda: CommissionLine.objects.filter(pk=line.pk).update(status="payable"), "settled")

    def raw(sql: str) -> None:
        with connection.cursor() as cur:
            cur.execute(sql, [line.pk])

    _refused(lambda: raw("UPDATE commissions_commissionline SET amount = 1 WHERE id = %s"), "settled")
    _refused(lambda: raw("DELETE FROM commissions_commissionline WHERE id = %s"), "settled")
    # the payout still moves it settled → paid
    payout_record(settlement=s, by=org.finance, paid_on=dt.date(2026, 10, 15), bank_reference="PAY-1")
    line.refresh_from_db()
    assert line.status == LineStatus.PAID and line.amount == Decimal("100.00")


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_closed_month_cannot_reopen(org):
    _approved(org)
    period = CommissionPeriod.objects.get(period=SEP)
    assert period.closed
    _refused(lambda: CommissionPeriod.objects.filter(pk=period.pk).update(closed=False), "closed")
    _refused(lambda: CommissionPeriod.objects.filter(pk=period.pk).delete(), "closed")


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_settlement_cannot_be_paid_without_a_payout(org):
    s = _approved(org)

    def paid_without_payout() -> None:
        Settlement.objects.filter(pk=s.pk).update(status="paid")
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would check

    _refused(paid_without_payout, "without a payout")
