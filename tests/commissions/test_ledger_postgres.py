"""The ledger on PostgreSQL: idempotency, concurrent runs, and the closed-period rule."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.services import ledger_run
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.ledger_writing import _LineSink, lines_insert
from common.errors import Conflict
from crm.models import ProductCategory, Role
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import build_org, make_order

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def snapshot():
    return list(
        CommissionLine.objects.order_by("source_key").values_list(
            "source_key", "amount", "status", "corrects_id"
        )
    )


def _seed():
    org = build_org()
    install_plan("sales_progressive", role=Role.REP)
    orders = []
    for i, rep in enumerate((org.rep_a1, org.rep_a2, org.rep_b1)):
        for j in range(4):
            orders.append(
                make_order(
                    owner=rep,
                    lines=[(ProductCategory.REGULAR, D("1"), D("123456.78") + i + j)],
                    booked_at=booked(dt.date(2026, 10, 1 + j)),
                )
            )
    return org, orders


def test_ledger_run_twice_and_concurrently_leaves_the_same_ledger():
    _org, _orders = _seed()
    ledger_recalculate(period=OCT)
    first = snapshot()
    assert len(first) == 12
    ledger_recalculate(period=OCT)
    assert snapshot() == first
    errors: list[BaseException] = []

    def run():
        try:
            ledger_recalculate(period=OCT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert snapshot() == first


def test_closed_period_is_never_recomputed_and_clawback_lands_in_the_open_month():
    org, orders = _seed()
    order = orders[0]
    pay(order, str(order.total), dt.date(2026, 10, 20), org.finance)
    ledger_recalculate(period=OCT)
    CommissionLine.objects.filter(status=LineStatus.PAYABLE).update(status=LineStatus.SETTLED)
    settled = snapshot()
    with pytest.raises(Conflict):
        ledger_recalculate(period=OCT)
    pay(order, "-10000.00", dt.date(2026, 11, 2), org.finance)
    ledger_recalculate(period=NOV)
    claws = list(CommissionLine.objects.filter(kind=LineKind.CLAWBACK))
    # K10 re-prices the rep's October: 493,833.12 − 10,000 stays in the 5% band, so the refund costs
    # 10,000 × 5% = 500.00, booked in November against each of the rep's October lines it moved
    assert {(x.period, x.payee_user_id) for x in claws} == {(NOV, org.rep_a1.pk)}
    assert sum(x.amount for x in claws) == D("-500.00")
    assert min(claws, key=lambda x: x.amount).order_id == order.pk
    # the October lines are exactly as they were
    assert [x for x in snapshot() if x[0].startswith("e:202610")] == settled


def test_lines_streamed_in_many_chunks_give_the_same_ledger(monkeypatch):
    # Given the month above computed once with the default chunk size
    _seed()
    ledger_recalculate(period=OCT)
    expected = snapshot()
    total = sum(x[1] for x in expected)
    CommissionLine.objects.all().delete()
    # When it is computed again from scratch with 5 lines per COPY (the worker thread writes 3 chunks)
    monkeypatch.setattr(_LineSink, "CHUNK", 5)
    run = ledger_recalculate(period=OCT)
    # Then every line is the same, to the fen, and a re-run has nothing to write
    assert snapshot() == expected and run.created == 12 and run.total == total
    again = ledger_recalculate(period=OCT)
    assert (again.created, again.updated, again.zeroed) == (0, 0, 0)


def test_a_bad_line_fails_the_insert_at_once_and_nothing_is_written():
    org = build_org()
    good = (
        "test:good", OCT, LineKind.ADJUSTMENT, LineStatus.PAYABLE, org.rep_a1.pk, None, None, None,
        None, "adjustment", "", D("0.00"), None, D("10.00"), {"text": "ok"}, None, "",
    )  # fmt: skip
    bad = ("test:bad", *good[1:4], 987654321, *good[5:])  # a payee that does not exist
    with pytest.raises(IntegrityError), transaction.atomic():
        lines_insert([good, bad])
    # the foreign keys are checked with the COPY (not at commit), so the error surfaces here and the
    # whole insert is undone; the connection is usable afterwards
    assert CommissionLine.objects.count() == 0
    lines_insert([good])
    assert CommissionLine.objects.get().amount == D("10.00")


def test_an_error_while_streaming_stops_the_writer_and_rolls_back(monkeypatch):
    _seed()
    monkeypatch.setattr(_LineSink, "CHUNK", 2)
    real = ledger_run._allocate
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # after the worker has written some chunks
            raise RuntimeError("boom")
        real(*args, **kwargs)

    monkeypatch.setattr(ledger_run, "_allocate", failing)
    with pytest.raises(RuntimeError, match="boom"):
        ledger_recalculate(period=OCT)
    assert CommissionLine.objects.count() == 0
    monkeypatch.setattr(ledger_run, "_allocate", real)
    assert ledger_recalculate(period=OCT).created == 12


def test_changed_lines_are_updated_in_place_to_what_a_fresh_run_gives():
    # Given October computed, then a late order that lifts rep_a1 into a higher band
    org, _orders = _seed()
    ledger_recalculate(period=OCT)
    before = {
        k: (amount, pk) for k, amount, pk in CommissionLine.objects.values_list("source_key", "amount", "id")
    }
    make_order(
        owner=org.rep_a1,
        lines=[(ProductCategory.REGULAR, D("1"), D("2000000.00"))],
        booked_at=booked(dt.date(2026, 10, 28)),
    )
    # When October is recomputed
    run = ledger_recalculate(period=OCT)
    # Then rep_a1's four existing lines are rewritten in place (same ids) and one line is added ...
    assert (run.created, run.updated) == (1, 4)
    after = {
        k: (amount, pk) for k, amount, pk in CommissionLine.objects.values_list("source_key", "amount", "id")
    }
    changed = [k for k in before if after[k][0] != before[k][0]]
    assert len(changed) == 4 and all(after[k][1] == before[k][1] for k in before)
    # ... to exactly what a run from scratch writes
    updated = snapshot()
    CommissionLine.objects.all().delete()
    ledger_recalculate(period=OCT)
    assert snapshot() == updated


def test_december_run_books_the_annual_target_bonus_on_postgres():
    """Issue 13 on PostgreSQL (COPY writer, jsonb explanations): the December run books the annual K3
    bonus once; a second run changes nothing."""
    from commissions.models import SalesTarget

    org = build_org()
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    make_order(
        owner=rep,
        lines=[(ProductCategory.REGULAR, D("1"), D("600000"))],
        booked_at=booked(dt.date(2026, 3, 10)),
    )
    make_order(
        owner=rep,
        lines=[(ProductCategory.REGULAR, D("1"), D("600000"))],
        booked_at=booked(dt.date(2026, 12, 10)),
    )
    SalesTarget.objects.create(user=rep, period=dt.date(2026, 1, 1), annual=True, amount=D("1000000"))
    ledger_recalculate(period=dt.date(2026, 3, 1))
    ledger_recalculate(period=dt.date(2026, 12, 1))
    bonus = CommissionLine.objects.get(source_key__startswith="y:2026:")
    assert (bonus.amount, bonus.status) == (D("24000.00"), LineStatus.PAYABLE)  # 2% of 1,200,000
    before = snapshot()
    ledger_recalculate(period=dt.date(2026, 12, 1))
    assert snapshot() == before
