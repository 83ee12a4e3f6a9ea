"""002 §6: an approved customer rebate is paid by finance, with its 劳务费申请单, on money actually
received, and in full to the customer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Concession
from crm.services import payments as payment_services
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db
D = Decimal


def _approved_rebate(org, *, received: str):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1)
    order = make_order(owner=org.rep_a1, customer=customer, lines=[("regular", D("1"), D("20000.00"))])
    payment_services.payment_record(order=order, amount=received, by=org.finance)
    return Concession.objects.create(
        kind="customer_rebate",
        customer=customer,
        ratio=D("0.04"),
        base_amount=D("10000.00"),
        reason="年度合作",
        status="approved",
        requested_by=org.rep_a1,
    )


def test_rebate_is_paid_in_full_with_its_form(org, api_for):  # type: ignore[no-untyped-def]
    c = _approved_rebate(org, received="12000.00")
    url = f"/api/concessions/{c.pk}/pay/"
    by_rep = api_for(org.rep_a1).post(url, {"amount": "400.00", "payment_form_no": "LW-1"}, format="json")
    assert by_rep.status_code == 404  # crm policy: finance only (can_record_money_decisions)
    no_form = api_for(org.finance).post(url, {"amount": "400.00"}, format="json")
    assert no_form.status_code == 400 and no_form.json()["code"] == "required"
    part = api_for(org.finance).post(url, {"amount": "300.00", "payment_form_no": "LW-1"}, format="json")
    assert part.status_code == 400 and part.json()["code"] == "rebate_not_in_full"
    assert "应付 ¥400.00，本次 ¥300.00" in part.json()["detail"]
    ok = api_for(org.finance).post(url, {"amount": "400.00", "payment_form_no": "LW-1"}, format="json")
    assert ok.status_code == 200 and ok.json() == {"id": c.pk, "status": "paid", "paid_amount": "400.00"}
    again = api_for(org.finance).post(url, {"amount": "400.00", "payment_form_no": "LW-1"}, format="json")
    assert again.status_code == 409


def test_rebate_base_above_money_received_is_refused(org, api_for):  # type: ignore[no-untyped-def]
    c = _approved_rebate(org, received="8000.00")
    r = api_for(org.finance).post(
        f"/api/concessions/{c.pk}/pay/", {"amount": "400.00", "payment_form_no": "LW-2"}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "base_above_received"
    c.refresh_from_db()
    assert c.status == "approved" and c.paid_amount is None
