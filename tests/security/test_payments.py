"""Issue 17: the same bank transfer cannot be booked twice — not by a double submit in the form, not
by a retried API call, not by two requests in parallel."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections

from crm.models import Payment
from crm.services.payments import payment_record
from tests.crm.pipeline_world import build_world

pytestmark = pytest.mark.django_db


def _pay(api, order, reference="BANK-20261101-0001", amount="20.00", key=None):  # type: ignore[no-untyped-def]
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(
        f"/api/orders/{order.pk}/money/",
        {"kind": "payment", "amount": amount, "reference": reference},
        format="json",
        **headers,
    )


def test_the_same_bank_reference_twice_on_an_order_is_refused(org, api_for):
    w = build_world(org)  # the world's order already received ¥50.00 without a reference
    api = api_for(org.finance)
    assert _pay(api, w.order).status_code == 201
    again = _pay(api, w.order)
    assert again.status_code == 409
    assert "BANK-20261101-0001" in again.json()["detail"] and "不能重复登记" in again.json()["detail"]
    assert Payment.objects.filter(order=w.order).count() == 2
    # a different transfer for the same order and amount is fine
    assert _pay(api, w.order, reference="BANK-20261102-0007").status_code == 201


def test_a_retried_api_call_with_the_same_idempotency_key_books_once(org, api_for):
    w = build_world(org)
    api = api_for(org.finance)
    first = _pay(api, w.order, reference="", key="retry-8f1c")
    second = _pay(api, w.order, reference="", key="retry-8f1c")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Payment.objects.filter(order=w.order, idempotency_key="retry-8f1c").count() == 1
    assert sum(p.amount for p in Payment.objects.filter(order=w.order)) == Decimal("70.00")
    # the same key for a different payment is refused, not silently mapped to the first one
    assert _pay(api, w.order, reference="", amount="5.00", key="retry-8f1c").status_code == 409


def test_the_payment_form_does_not_book_a_double_click_twice(org, client_for):
    w = build_world(org)
    client = client_for(org.finance)
    form = {"kind": "payment", "amount": "20.00", "on": "", "reference": "BANK-77", "reason": ""}
    client.post(f"/orders/{w.order.pk}/", form)
    response = client.post(f"/orders/{w.order.pk}/", form, follow=True)
    assert "不能重复登记" in response.content.decode()
    assert Payment.objects.filter(order=w.order, reference="BANK-77").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_identical_payments_book_once(org):
    w = build_world(org)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit() -> None:
        barrier.wait()
        try:
            payment_record(order=w.order, amount="10.00", by=org.finance, reference="PAR-1")
            outcomes.append("ok")
        except Exception as exc:  # the losers get the clear message
            outcomes.append(getattr(exc, "code", type(exc).__name__))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["duplicate_reference"] * 3 + ["ok"]
    assert Payment.objects.filter(order=w.order, reference="PAR-1").count() == 1
