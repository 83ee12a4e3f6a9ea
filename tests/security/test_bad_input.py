"""Issue 17: bad input is a clear message and changes nothing — never a server error."""

from __future__ import annotations

import pytest

from crm.models import FollowUp, Order, Quote
from settlements.models import Settlement
from tests.crm.factories import priced_product, visited_customer
from tests.crm.pipeline_world import build_world
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999.00"  # 20 digits: more than any money column holds


def test_quote_with_an_amount_too_large_is_refused(org, api_for):
    api = api_for(org.rep_a1)
    customer = visited_customer(org.rep_a1)
    priced_product("A", "99999999.00")  # list prices come from the price book
    before = Quote.objects.count()
    # each number fits its column, but quantity × price does not fit the amount
    for line in (
        {"product": "A", "quantity": "9999999999", "list_price": "99999999.00", "quoted_price": "9.00"},
        {"product": "A", "quantity": "99999999", "list_price": "99999999.00", "quoted_price": "99999999.00"},
    ):
        r = api.post("/api/quotes/", {"customer": customer.pk, "title": "T", "lines": [line]}, format="json")
        assert r.status_code == 400, r.content
        assert "超出允许的范围" in r.json()["detail"]
    # a number wider than its column is refused by the form of the request itself
    line = {"product": "A", "quantity": "1", "quoted_price": HUGE}  # the list price is the price book's
    r = api.post("/api/quotes/", {"customer": customer.pk, "title": "T", "lines": [line]}, format="json")
    assert r.status_code == 400
    assert Quote.objects.count() == before


def test_order_with_an_amount_too_large_is_refused(org, api_for):
    w = build_world(org)
    priced_product("B", "99999999.00")
    before = Order.objects.count()
    line = {
        "product": "B",
        "category": "regular",
        "quantity": "9999999999",
        "list_price": "99999999.00",
        "unit_price": "99999999.00",
    }
    r = api_for(org.rep_a1).post("/api/orders/", {"contract": w.contract.pk, "lines": [line]}, format="json")
    assert r.status_code == 400, r.content
    assert "超出允许的范围" in r.json()["detail"]
    assert Order.objects.count() == before


def test_outings_for_a_day_out_of_range(org, client_for, api_for):
    page = client_for(org.rep_a1).get("/outings/?day=9999-12-31", follow=True)
    assert page.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in page.content.decode()
    r = api_for(org.manager_a).get("/api/outings/?day=9999-12-31&scope=team")
    assert r.status_code == 400 and "2099" in r.json()["detail"]


def test_collision_report_for_a_month_out_of_range(org, client_for, api_for):
    page = client_for(org.regional_manager).get("/partners/collisions/report/?month=9999-12")
    assert page.status_code == 200
    assert "2099" in page.content.decode()  # the form says which years are allowed
    r = api_for(org.regional_manager).get("/api/partners/collisions/report/?month=9999-12")
    assert r.status_code == 400 and "2099" in r.json()["detail"]


def test_settlement_month_out_of_range_is_refused(org, client_for, api_for):
    r = api_for(org.finance).post("/api/settlements/settlements/generate/", {"month": "9999-12"})
    assert r.status_code == 400, r.content
    page = client_for(org.finance).post("/settlements/generate/", {"month": "9999-12"}, follow=True)
    assert page.status_code == 200
    assert not Settlement.objects.exists()


def test_follow_up_dated_year_0001_is_refused(org, api_for):
    customer = CustomerFactory(owner=org.rep_a1)
    r = api_for(org.rep_a1).post(
        f"/api/customers/{customer.pk}/followups/",
        {"occurred_at": "0001-01-01T10:00:00+08:00", "channel": "phone_regular", "topic": "回访"},
        format="json",
    )
    assert r.status_code == 400, r.content
    assert "2000" in str(r.json())
    next_far = api_for(org.rep_a1).post(
        f"/api/customers/{customer.pk}/followups/",
        {"channel": "phone_regular", "topic": "回访", "next_date": "9999-12-31"},
        format="json",
    )
    assert next_far.status_code == 400
    assert not FollowUp.objects.filter(customer=customer).exists()
