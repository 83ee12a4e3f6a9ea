"""The month run's reading of its rows on PostgreSQL (`sales_facts._raw_rows` inside a transaction: the
query streamed and read ahead by a worker thread)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import DataError, transaction
from django.db.models import F

from commissions.services.sales_facts import _raw_rows
from crm.models import Order, ProductCategory
from tests.commissions.factories import booked
from tests.factories import build_org, make_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _orders(n: int) -> None:
    org = build_org()
    for i in range(n):
        make_order(
            owner=org.rep_a1,
            lines=[(ProductCategory.REGULAR, D("1"), D("100.10") + i)],
            booked_at=booked(dt.date(2026, 10, 1 + i)),
        )


def test_rows_read_ahead_in_chunks_are_the_query_rows_in_order_and_the_connection_is_usable_after():
    _orders(7)
    qs = Order.objects.order_by("id").values_list("id", "total")
    expected = [(pk, total) for pk, total in qs]
    assert [t for _pk, t in expected][:2] == [D("100.10"), D("101.10")]
    with transaction.atomic():
        assert list(_raw_rows(qs, chunk=3)) == expected  # three chunks: 3, 3, 1
        rows = _raw_rows(qs, chunk=2)
        assert [next(iter(rows)) for _ in range(2)] == expected[:2]
        rows.close()  # type: ignore[attr-defined]  # a caller that stops early
        # The connection is free again and the transaction goes on (the rest was read, nothing cancelled).
        assert Order.objects.count() == 7
        assert list(_raw_rows(qs, chunk=3)) == expected


def test_an_error_while_reading_ahead_is_raised_in_the_caller_as_django_s_error():
    _orders(3)
    broken = Order.objects.annotate(x=F("total") / (F("total") - F("total"))).values_list("id", "x")
    with transaction.atomic(), pytest.raises(DataError):
        list(_raw_rows(broken, chunk=2))
    assert Order.objects.count() == 3
