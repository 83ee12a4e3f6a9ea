"""002 §6 from the page: finance sees the approved customer rebates awaiting payment with what each is
due, pays one in full with its 劳务费申请单 number, and a refused payment keeps the input and says why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.models import Concession
from tests.crm.test_rebate_payment import _approved_rebate
from tests.factories import NAV_QUERIES

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/rebate-payments/"


def test_finance_pays_an_approved_rebate_in_full_from_the_page(org, client_for):  # type: ignore[no-untyped-def]
    # Given a 4% rebate on ¥10,000.00 of the ¥12,000.00 received, when finance opens the page, then it
    # is listed with ¥400.00 due; paying ¥400.00 with form LW-9 marks it paid.
    c = _approved_rebate(org, received="12000.00")
    page = client_for(org.finance)
    body = page.get(URL).content.decode()
    assert "¥400.00" in body and 'value="400.00"' in body and "4%" in body
    r = page.post(
        URL, {"concession": c.pk, "amount": "400.00", "paid_on": "2026-11-20", "payment_form_no": "LW-9"}
    )
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.status, c.paid_amount, c.paid_on, c.payment_form_no, c.paid_by) == (
        "paid",
        D("400.00"),
        dt.date(2026, 11, 20),
        "LW-9",
        org.finance,
    )
    assert "LW-9" in page.get(URL + "?state=paid").content.decode()
    assert "LW-9" not in page.get(URL).content.decode()


def test_a_partial_payment_is_refused_and_the_form_keeps_the_input(org, client_for):  # type: ignore[no-untyped-def]
    c = _approved_rebate(org, received="12000.00")
    r = client_for(org.finance).post(URL, {"concession": c.pk, "amount": "300.00", "payment_form_no": "LW-1"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "客户佣金必须全额支付给客户：应付 ¥400.00，本次 ¥300.00。" in body
    assert 'value="300.00"' in body and 'value="LW-1"' in body
    assert Concession.objects.get(pk=c.pk).status == "approved"


def test_only_finance_opens_the_page_and_the_list_api(org, client_for, api_for):  # type: ignore[no-untyped-def]
    c = _approved_rebate(org, received="12000.00")
    for user in (org.rep_a1, org.manager_a, org.president):
        assert client_for(user).get(URL).status_code == 404
        assert api_for(user).get("/api/rebate-payments/").status_code in (403, 404)
    rows = api_for(org.finance).get("/api/rebate-payments/").json()["results"]
    assert [(x["id"], x["due"], x["status"]) for x in rows] == [(c.pk, "400.00", "approved")]


def test_page_and_api_query_counts(org, client_for, api_for, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    first = _approved_rebate(org, received="12000.00")
    for _i in range(20):
        Concession.objects.create(
            kind="customer_rebate",
            customer=first.customer,
            ratio=D("0.01"),
            base_amount=D("100.00"),
            reason="返利",
            status="approved",
            requested_by=org.rep_a1,
        )
    page = client_for(org.finance)
    page.get(URL)
    with django_assert_max_num_queries(4 + NAV_QUERIES):
        assert page.get(URL).status_code == 200
    with django_assert_max_num_queries(5):
        assert len(api_for(org.finance).get("/api/rebate-payments/").json()["results"]) == 21
