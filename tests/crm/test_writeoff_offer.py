"""Issue 15 trust bug: the bad-debt write-off form was offered on a one-day-old order and refused only
after submitting. The order page now asks the same eligibility rule as the service
(`writeoff_eligibility`): the form shows only when the service would accept it, otherwise the page says
when it becomes possible."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from common.errors import DomainError
from common.timeutil import local_today, start_of_local_day
from crm.services.receivables import writeoff_eligibility, writeoff_propose
from tests.factories import make_order

pytestmark = pytest.mark.django_db


def _order(org, *, due: dt.date):  # type: ignore[no-untyped-def]
    order = make_order(
        owner=org.rep_a1,
        lines=[("regular", D("1"), D("5000.00"))],
        booked_at=start_of_local_day(due - dt.timedelta(days=30)),
    )
    order.due_on = due
    order.save()
    return order


def test_a_fresh_order_offers_no_writeoff_form_and_says_when_it_becomes_possible(org, client_for) -> None:  # type: ignore[no-untyped-def]
    order = _order(org, due=dt.date(2026, 12, 15))
    html = client_for(org.rep_a1).get(reverse("crm:order_detail", args=[order.pk])).content.decode()
    assert reverse("crm:order_writeoff", args=[order.pk]) not in html
    assert (
        "逾期超过6个月的应收款才能申请坏账核销：本单应收到期日为 2026-12-15，最早可于 2027-06-16 申请。"
        in html
    )


def test_the_service_refuses_with_the_same_words_the_page_shows(org) -> None:  # type: ignore[no-untyped-def]
    order = _order(org, due=dt.date(2026, 12, 15))
    check = writeoff_eligibility(order=order, by=org.rep_a1)
    assert (check.allowed, check.possible_from) == (False, dt.date(2027, 6, 16))
    with pytest.raises(DomainError) as exc:
        writeoff_propose(order=order, amount="1.00", reason="坏账", by=org.rep_a1)
    assert exc.value.message == check.why_not


def test_an_old_debt_offers_the_form(org, client_for) -> None:  # type: ignore[no-untyped-def]
    due = local_today() - dt.timedelta(days=400)
    order = _order(org, due=due)
    assert writeoff_eligibility(order=order, by=org.rep_a1).allowed
    html = client_for(org.rep_a1).get(reverse("crm:order_detail", args=[order.pk])).content.decode()
    assert reverse("crm:order_writeoff", args=[order.pk]) in html


def test_the_first_possible_day_is_exactly_when_the_service_starts_accepting(org) -> None:  # type: ignore[no-untyped-def]
    order = _order(org, due=dt.date(2026, 8, 31))  # month ends: Feb 28 + 6 months
    check = writeoff_eligibility(order=order, by=org.rep_a1, today=dt.date(2026, 12, 1))
    assert check.possible_from == dt.date(2027, 3, 1)
    assert not writeoff_eligibility(order=order, by=org.rep_a1, today=dt.date(2027, 2, 28)).allowed
    assert writeoff_eligibility(order=order, by=org.rep_a1, today=dt.date(2027, 3, 1)).allowed
