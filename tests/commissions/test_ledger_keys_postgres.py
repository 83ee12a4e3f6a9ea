"""The ledger's keys on PostgreSQL (issue 12): a line's payee, plan and (credit share, order) are checked
once per statement by triggers (commissions/db.py, LEDGER_KEYS_SQL) instead of by foreign keys, with
the same guarantees — a line never names what does not exist, what a line names is never deleted, and
a transaction writing lines locks what they name against a concurrent delete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from commissions.models import CommissionLine, CommissionPlan, LineKind, LineStatus
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.ledger_writing import lines_insert
from crm.models import ProductCategory, Role, User
from partners.models import CreditShare
from tests.commissions.factories import booked, install_plan
from tests.factories import build_org, make_order

OCT = dt.date(2026, 10, 1)
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _month():
    """Two reps' orders in October, computed: one line each."""
    org = build_org()
    plan = install_plan("sales_progressive", role=Role.REP)
    first = make_order(
        owner=org.rep_a1,
        lines=[(ProductCategory.REGULAR, D("1"), D("50000.00"))],
        booked_at=booked(dt.date(2026, 10, 5)),
    )
    second = make_order(
        owner=org.rep_a2,
        lines=[(ProductCategory.REGULAR, D("1"), D("20000.00"))],
        booked_at=booked(dt.date(2026, 10, 6)),
    )
    ledger_recalculate(period=OCT)
    return org, plan, first, second


def _adjustment(key, *, user_id, plan_id=None, order_id=None, share_id=None):
    return (
        key, OCT, LineKind.ADJUSTMENT, LineStatus.PAYABLE, user_id, None, order_id, share_id, plan_id,
        "adjustment", "", D("0.00"), None, D("10.00"), {"text": "ok"}, None, "",
    )  # fmt: skip


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_line_naming_another_orders_share_or_a_missing_plan_is_refused_and_nothing_is_written():
    # Given October computed: rep_a1's line pays her share of the first order (1,500.00 = 3% of 50,000)
    org, plan, first, second = _month()
    assert CommissionLine.objects.get(payee_user=org.rep_a1).amount == D("1500.00")
    share = CreditShare.objects.get(order=first)
    rep = org.rep_a1.pk
    good = _adjustment("test:good", user_id=rep, plan_id=plan.pk, order_id=first.pk, share_id=share.pk)
    # When a batch names rep_a1's share with the second order, or a plan that does not exist
    for bad in (
        _adjustment("test:bad", user_id=rep, plan_id=plan.pk, order_id=second.pk, share_id=share.pk),
        _adjustment("test:bad", user_id=rep, plan_id=987654321),
    ):
        # Then the whole batch fails at the insert, and the ledger keeps its two lines
        with pytest.raises(IntegrityError), transaction.atomic():
            lines_insert([good, bad])
        assert CommissionLine.objects.count() == 2
    # and the good line alone goes in
    lines_insert([good])
    assert CommissionLine.objects.filter(payee_user=org.rep_a1).count() == 2


def test_an_update_that_points_a_line_at_a_missing_payee_is_refused():
    org, _plan, _first, _second = _month()
    line = CommissionLine.objects.get(payee_user=org.rep_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw("UPDATE commissions_commissionline SET payee_user_id = 987654321 WHERE id = %s", [line.pk])
    # the amount of an open line is still written as usual
    _raw("UPDATE commissions_commissionline SET amount = 1499.99 WHERE id = %s", [line.pk])
    assert CommissionLine.objects.get(pk=line.pk).amount == D("1499.99")


def _other_session():
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"], port=s["PORT"] or 5432, autocommit=True
    )


def test_the_payee_plan_and_share_a_line_names_cannot_be_deleted_even_in_raw_sql():
    # Given a payee and a plan that nothing but one ledger line names, and rep_a1's share of an order
    _org, _plan, first, second = _month()
    payee = User.objects.create(username="payee_only")
    lone_plan = CommissionPlan.objects.create(code="lone", name="lone", effective_from=OCT, definition={})
    lines_insert([_adjustment("test:lone", user_id=payee.pk, plan_id=lone_plan.pk)])
    share = CreditShare.objects.get(order=first)
    # When they are deleted (or the share moved to another order) in SQL, past the ORM's PROTECT
    for sql, pk in (
        ("DELETE FROM crm_user WHERE id = %s", payee.pk),
        ("DELETE FROM commissions_commissionplan WHERE id = %s", lone_plan.pk),
        ("DELETE FROM partners_creditshare WHERE id = %s", share.pk),
        ("UPDATE partners_creditshare SET order_id = %s WHERE id = %s", second.pk),
    ):
        # Then each is refused at once
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw(sql, [pk] if sql.startswith("DELETE") else [pk, share.pk])
    assert CreditShare.objects.filter(pk=share.pk, order=first).exists()
    assert User.objects.filter(pk=payee.pk).exists()
    assert CommissionPlan.objects.filter(pk=lone_plan.pk).exists()
    # while a share's other fields can change, and a user no line names can go
    _raw("UPDATE partners_creditshare SET share = share WHERE id = %s", [share.pk])
    nobody = User.objects.create(username="nobody")
    _raw("DELETE FROM crm_user WHERE id = %s", [nobody.pk])
    assert not User.objects.filter(pk=nobody.pk).exists()


def test_a_transaction_writing_lines_locks_their_payee_against_a_concurrent_delete():
    # Given a transaction that has written the first line of a new payee and not committed
    _org, plan, _first, _second = _month()
    payee = User.objects.create(username="new_payee").pk
    with transaction.atomic():
        lines_insert([_adjustment("test:locked", user_id=payee, plan_id=plan.pk)])
        # When another session tries to delete the payee meanwhile
        with _other_session() as other:
            other.execute("SET lock_timeout = '300ms'")
            # Then it has to wait for the writer (the row is locked FOR KEY SHARE, as a foreign key locks it)
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM crm_user WHERE id = %s", [payee])
    # and once the line is committed the delete is refused outright
    with _other_session() as other, pytest.raises(psycopg.errors.ForeignKeyViolation):
        other.execute("DELETE FROM crm_user WHERE id = %s", [payee])
