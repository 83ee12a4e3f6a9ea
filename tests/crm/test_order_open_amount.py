"""Q5/Q6: the order's kept `cleared_amount` (received net of refunds + approved write-offs), kept by the
payment, refund and write-off services, always gives the same open amount as the raw computation
(`orders_with_money`: sums of the payments and write-offs per order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.timeutil import local_today, start_of_local_day
from crm.models import ApprovalRequest, Order, Payment
from crm.services import payments as payment_services
from crm.services.approvals import approval_decide
from crm.services.receivables import (
    open_orders,
    order_cleared_refresh,
    orders_with_money,
    writeoff_board_resolution_record,
    writeoff_propose,
)
from tests.factories import make_order

pytestmark = pytest.mark.django_db
D = Decimal


def kept_and_raw() -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    kept = {o.pk: o.total - o.cleared_amount for o in Order.objects.all()}
    raw = {o.pk: o.outstanding_sum for o in orders_with_money(Order.objects.all())}  # type: ignore[attr-defined]
    return kept, raw


def assert_kept_equals_raw() -> dict[int, Decimal]:
    kept, raw = kept_and_raw()
    assert kept == raw
    assert {o.pk: o.open_sum for o in open_orders(Order.objects.all())} == {  # type: ignore[attr-defined]
        pk: v for pk, v in raw.items() if v > 0
    }
    return kept


def _old_order(org, total: str) -> Order:  # type: ignore[no-untyped-def]
    last_year = local_today().year - 1
    order = make_order(
        owner=org.rep_a1,
        lines=[("regular", D("1"), D(total))],
        booked_at=start_of_local_day(dt.date(last_year, 1, 5)),
    )
    Order.objects.filter(pk=order.pk).update(due_on=dt.date(last_year, 2, 4))
    return order


def _resolve(wo, org) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    writeoff_board_resolution_record(
        writeoff=wo,
        by=org.finance,
        number="董决1",
        resolved_on=local_today(),
        file=SimpleUploadedFile("决议.pdf", b"%PDF-1.4", content_type="application/pdf"),
    )


def test_payments_refunds_and_write_offs_keep_the_open_amount_equal_to_the_raw_sums(org):  # type: ignore[no-untyped-def]
    paid = _old_order(org, "10000.00")
    partly = _old_order(org, "8000.00")
    bad = _old_order(org, "5000.00")
    untouched = _old_order(org, "1234.56")
    assert assert_kept_equals_raw() == {
        paid.pk: D("10000.00"),
        partly.pk: D("8000.00"),
        bad.pk: D("5000.00"),
        untouched.pk: D("1234.56"),
    }

    payment_services.payment_record(order=paid, amount="6000.00", by=org.finance)
    payment_services.payment_record(order=paid, amount="4000.00", by=org.finance)
    payment_services.payment_record(order=partly, amount="3000.01", by=org.finance)
    payment_services.payment_record(order=bad, amount="1000.00", by=org.finance)
    assert assert_kept_equals_raw()[paid.pk] == D("0.00")

    payment_services.refund_record(order=paid, amount="2500.50", reason="退货", by=org.finance)
    kept = assert_kept_equals_raw()
    assert (kept[paid.pk], kept[partly.pk]) == (D("2500.50"), D("4999.99"))

    rejected = writeoff_propose(order=bad, amount="4000.00", reason="客户破产", by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=rejected.pk)
    approval_decide(request=req, by=org.finance, approve=False, reason="继续催收")
    assert assert_kept_equals_raw()[bad.pk] == D("4000.00")  # a rejected write-off changes nothing

    approved = writeoff_propose(order=bad, amount="3000.00", reason="客户破产", by=org.rep_a1)
    _resolve(approved, org)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=approved.pk)
    approval_decide(request=req, by=org.finance, approve=True, reason="确认无法收回")
    kept = assert_kept_equals_raw()
    assert kept == {
        paid.pk: D("2500.50"),
        partly.pk: D("4999.99"),
        bad.pk: D("1000.00"),
        untouched.pk: D("1234.56"),
    }
    assert sum(o.open_sum for o in open_orders(Order.objects.all())) == D("9735.05")  # type: ignore[attr-defined]


def test_the_refresh_repairs_an_order_whose_money_was_written_around_the_services(org):  # type: ignore[no-untyped-def]
    order = make_order(owner=org.rep_a1, lines=[("regular", D("1"), D("900.00"))])
    Payment.objects.create(
        order=order, amount=D("300.00"), received_on=local_today(), recorded_by=org.finance
    )
    kept, raw = kept_and_raw()
    assert (kept[order.pk], raw[order.pk]) == (D("900.00"), D("600.00"))  # stale until refreshed
    assert order_cleared_refresh(order_ids=[order.pk]) == 1
    assert assert_kept_equals_raw() == {order.pk: D("600.00")}
    assert order_cleared_refresh(order_ids=[]) == 0
