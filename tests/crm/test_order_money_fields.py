"""Issue 12 point 8: every money field the commission calculator reads (K7: a sourced line's cost, tax
and logistics) is enterable on the order form and in the API, validated, shown on the order, and
reaches the margin commission."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from commissions.models import CommissionLine
from commissions.services.ledger_run import ledger_recalculate
from common.timeutil import local_date, month_start
from crm.models import Order, OrderLine, Role
from tests.commissions.factories import install_plan
from tests.crm.factories import priced_product
from tests.crm.pipeline_world import build_world

pytestmark = pytest.mark.django_db

# A sourced product from the price book: list price ¥10,000.00, unit cost ¥6,000.00; the line brings its
# own tax and logistics (K7).
SOURCED = {
    "product": "SRC-EQ",
    "quantity": "2",
    "unit_price": "10000.00",
    "tax": "1300.50",
    "logistics": "420.00",
}


@pytest.fixture(autouse=True)
def _sourced_product(db):  # type: ignore[no-untyped-def]
    priced_product(
        "SRC-EQ",
        "10000.00",
        name="外调设备",
        category="sourced",
        cost_basis="sourced",
        unit_cost="6000.00",
    )


def test_api_order_keeps_tax_and_logistics_and_the_margin_commission_uses_them(org, api_for):
    w = build_world(org)
    install_plan("category_rates", role=Role.REP)
    r = api_for(org.rep_a1).post(
        "/api/orders/", {"contract": w.contract.pk, "lines": [SOURCED]}, format="json"
    )
    assert r.status_code == 201, r.data
    line = OrderLine.objects.get(order_id=r.data["id"])
    assert (line.tax, line.logistics) == (D("1300.50"), D("420.00"))
    shown = api_for(org.rep_a1).get(f"/api/orders/{r.data['id']}/").data["lines"][0]
    assert (shown["tax"], shown["logistics"], shown["unit_cost"]) == ("1300.50", "420.00", "6000.00")
    order = Order.objects.get(pk=r.data["id"])
    ledger_recalculate(period=month_start(local_date(order.booked_at)))
    line = CommissionLine.objects.get(order=order, component="sourced")
    # 10% × (20,000 − 12,000 − 1,300.50 − 420) = 10% × 6,279.50 (it was 800.00 with tax and logistics lost)
    assert line.amount == D("627.95")


@pytest.mark.parametrize(
    ("field", "value"),
    [("tax", "-1.00"), ("logistics", "abc"), ("tax", "1.005")],
)
def test_api_refuses_bad_tax_or_logistics_and_creates_nothing(org, api_for, field, value):
    w = build_world(org)
    before = Order.objects.count()
    r = api_for(org.rep_a1).post(
        "/api/orders/", {"contract": w.contract.pk, "lines": [{**SOURCED, field: value}]}, format="json"
    )
    assert r.status_code == 400
    assert Order.objects.count() == before


def test_order_form_takes_tax_and_logistics_and_the_order_page_shows_them(org, client_for):
    w = build_world(org)
    client = client_for(org.rep_a1)
    form = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"}
    form |= {f"lines-0-{k}": v for k, v in SOURCED.items()}
    resp = client.post(reverse("crm:order_create", args=[w.contract.pk]), form)
    assert resp.status_code == 302
    order = Order.objects.latest("pk")
    line = order.lines.get()
    assert (line.tax, line.logistics, line.unit_cost) == (D("1300.50"), D("420.00"), D("6000.00"))
    body = client.get(reverse("crm:order_detail", args=[order.pk])).content.decode()
    assert "¥1,300.50" in body and "¥420.00" in body and "¥6,000.00" in body
    assert "税费" in body and "物流费" in body


def test_order_form_refuses_a_negative_tax_with_a_message(org, client_for):
    w = build_world(org)
    before = Order.objects.count()
    form = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"}
    form |= {f"lines-0-{k}": v for k, v in {**SOURCED, "tax": "-5.00"}.items()}
    resp = client_for(org.rep_a1).post(reverse("crm:order_create", args=[w.contract.pk]), form)
    assert resp.status_code == 200
    assert "税费不能为负数" in resp.content.decode()
    assert Order.objects.count() == before
