"""Issue 17: the duplicate check and the collision case tell a rep "it exists, a case was opened" — not
which company holds the phone number, which colleague owns it, or what they wrote — while the owner,
their managers and the deciding regional manager still see everything. Page and API alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import CollisionCase
from tests.factories import CustomerFactory, FollowUpFactory

OWNER_NAME = "杭州瑞丰贸易有限公司"
PHONE = "13911112222"
ENTERED = "瑞丰杭州办事处"
SECRET_TOPIC = "老板私下透露年底预算八十万"


@pytest.fixture
def case(org, client_for):  # type: ignore[no-untyped-def]
    """Rep B enters a company under another name with the phone of rep A1's customer."""
    customer = CustomerFactory(
        owner=org.rep_a1,
        name=OWNER_NAME,
        phone=PHONE,
        region=org.region,
        owned_since=timezone.now() - dt.timedelta(days=30),
    )
    FollowUpFactory(customer=customer, author=org.rep_a1, topic=SECRET_TOPIC)
    resp = client_for(org.rep_b1).post(
        reverse("crm:customer_create"),
        {
            "name": ENTERED,
            "contact_person": "李经理",
            "contact_position": "采购",
            "phone": PHONE,
            "status": "prospect",
            "grade": "C",
        },
        follow=True,
    )
    body = resp.content.decode()
    assert "该客户已存在" in body and OWNER_NAME not in body and "销售甲一" not in body
    return CollisionCase.objects.get(customer=customer)


def _leaks(body: str) -> list[str]:
    return [s for s in (OWNER_NAME, "销售甲一", SECRET_TOPIC) if s in body]


def test_the_claimant_sees_the_case_without_the_holder_company_or_notes(org, client_for, case):
    body = client_for(org.rep_b1).get(reverse("partners:collision_detail", args=[case.pk])).content.decode()
    assert _leaks(body) == []
    assert ENTERED in body  # what they typed names the case for them
    assert "对方（员工）" in body and str(org.rep_b1) in body


def test_the_claimant_list_row_names_neither_company_nor_owner(org, client_for, case):
    body = client_for(org.rep_b1).get(reverse("partners:collision_list") + "?scope=all").content.decode()
    assert f"#{case.pk}" in body
    assert _leaks(body) == []


def test_the_owner_and_the_deciding_manager_see_everything(org, client_for, case):
    for viewer in (org.rep_a1, org.regional_manager):
        body = client_for(viewer).get(reverse("partners:collision_detail", args=[case.pk])).content.decode()
        assert OWNER_NAME in body and str(org.rep_b1) in body and str(org.rep_a1) in body
        assert "对方（员工）" not in body


def test_the_api_tells_the_claimant_no_more_than_the_page(org, api_for, case):
    api = api_for(org.rep_b1)
    detail = api.get(f"/api/partners/collisions/{case.pk}/").json()
    listed = api.get("/api/partners/collisions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert _leaks(str(detail)) == [] and _leaks(str(rows)) == []
    assert detail["customer"] is None and detail["customer_name"] == ENTERED
    holder = next(p for p in detail["parties"] if p["role"] == "holder")
    assert holder == {**holder, "name": "对方（员工）", "user": None, "partner": None}
    mine = next(p for p in detail["parties"] if p["role"] == "claimant")
    assert mine["user"] == org.rep_b1.pk
    # the owner gets the full case
    full = api_for(org.rep_a1).get(f"/api/partners/collisions/{case.pk}/").json()
    assert full["customer_name"] == OWNER_NAME and full["customer"] == case.customer_id


def test_a_lead_matching_someone_elses_customer_does_not_name_it(org, client_for):
    CustomerFactory(owner=org.rep_a1, name=OWNER_NAME, phone=PHONE, region=org.region)
    c = client_for(org.rep_b1)
    resp = c.post(
        reverse("crm:lead_create"),
        {"company": ENTERED, "source": "call", "contact_person": "李经理", "phone": PHONE},
        follow=True,
    )
    body = resp.content.decode()
    assert "疑似与已有客户重复" in body
    assert OWNER_NAME not in body
