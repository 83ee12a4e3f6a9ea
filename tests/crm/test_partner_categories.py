"""K13 (issue 13): the five categories of the partner forms are sold through the normal order page and
API (they were refused), shown by their Chinese names. Since the price book (issue 16/17) a line names a
catalogue product and the category comes from it; a product not in the catalogue is refused."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from crm.models import Order
from tests.crm.factories import priced_product
from tests.crm.pipeline_world import build_world

pytestmark = pytest.mark.django_db

TICKETS = {"product": "FE-TICKET", "quantity": "18", "unit_price": "330.00"}


@pytest.fixture(autouse=True)
def _partner_products(db):  # type: ignore[no-untyped-def]
    """One ¥330.00 catalogue product in each of the five seeded partner categories."""
    priced_product("FE-TICKET", "330.00", name="家庭教育讲座门票", category="family_edu_ticket")
    for code in ("student_camp", "micro_course", "partner_development", "books"):
        priced_product(f"P-{code}", "330.00", name=f"产品-{code}", category=code)


def test_api_sells_family_education_tickets(org, api_for):
    w = build_world(org)
    r = api_for(org.rep_a1).post(
        "/api/orders/", {"contract": w.contract.pk, "lines": [TICKETS]}, format="json"
    )
    assert r.status_code == 201, r.data
    order = Order.objects.get(pk=r.data["id"])
    line = order.lines.get()
    assert (line.category, line.quantity, line.unit_price) == ("family_edu_ticket", D("18"), D("330.00"))
    assert line.catalog_product.category.name == "家庭教育门票"
    assert order.total == D("5940.00")


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("student_camp", "学生特训营"),
        ("micro_course", "微课程"),
        ("partner_development", "合伙人发展"),
        ("books", "书籍"),
    ],
)
def test_order_page_sells_every_partner_category(org, client_for, code, label):
    w = build_world(org)
    client = client_for(org.rep_a1)
    form = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"}
    form |= {f"lines-0-{k}": v for k, v in {**TICKETS, "product": f"P-{code}"}.items()}
    resp = client.post(reverse("crm:order_create", args=[w.contract.pk]), form)
    assert resp.status_code == 302
    order = Order.objects.latest("pk")
    assert order.lines.get().category == code
    assert label in client.get(reverse("crm:order_detail", args=[order.pk])).content.decode()


def test_api_refuses_an_unknown_product_and_creates_nothing(org, api_for):
    w = build_world(org)
    before = Order.objects.count()
    r = api_for(org.rep_a1).post(
        "/api/orders/",
        {"contract": w.contract.pk, "lines": [{**TICKETS, "product": "tickets"}]},
        format="json",
    )
    assert r.status_code == 400
    assert "产品“tickets”不在产品目录中" in str(r.data)
    assert Order.objects.count() == before
