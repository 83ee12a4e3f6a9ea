"""The header's global search (issue 16): customers, contacts, opportunities, contracts and orders by
name, phone and number — only among what the user may see (a rep never finds another rep's customer; a
partner only its portal's), in the page and the API, with a flat query count."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm import policy
from crm.models import Contact, Role
from crm.search import global_search
from tests.crm.pipeline_world import build_world
from tests.factories import CustomerFactory, UserFactory
from tests.settlements.factories import partner as make_partner

pytestmark = pytest.mark.django_db


def _found(user, q):  # type: ignore[no-untyped-def]
    scope = policy.search_scope(user)
    return {g.kind: [h.label for h in g.hits] for g in global_search(scope=scope, q=q)}


@pytest.fixture
def world(org):  # type: ignore[no-untyped-def]
    w = build_world(org)
    customer = w.opportunity.customer
    customer.name = "杭州星河软件有限公司"
    customer.phone = "057188881234"  # stored normalised (C2)
    customer.save()
    Contact.objects.create(customer=customer, name="李晓明", phone="13912345678")
    CustomerFactory(owner=org.rep_b1, name="杭州星河贸易有限公司", phone="057188889999")
    return w


def test_rep_finds_own_records_by_name_phone_and_number(org, world):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    by_name = _found(rep, "星河")
    assert by_name["customers"] == ["杭州星河软件有限公司"]  # never the other rep's 杭州星河贸易
    assert by_name["opportunities"] == [world.opportunity.name]
    assert _found(rep, "88881234")["customers"] == ["杭州星河软件有限公司"]  # phone, digits only
    assert _found(rep, "139 1234 5678")["contacts"] == ["李晓明"]
    assert _found(rep, world.contract.number)["contracts"] == [
        f"{world.contract.number} {world.contract.title}"
    ]
    assert _found(rep, world.order.number)["orders"] == [world.order.number]


def test_a_whole_phone_number_is_matched_on_its_last_digits(org, world):  # type: ignore[no-untyped-def]
    """Issue 16: 11+ digits are a whole number — found however it is typed (spaces, dashes, +86), and a
    number that only contains them inside is not a hit; fewer digits still search inside numbers."""
    rep = org.rep_a1
    Contact.objects.create(customer=world.opportunity.customer, name="王五", phone="13912345678001")
    assert _found(rep, "+86 139-1234-5678")["contacts"] == ["李晓明"]
    assert _found(rep, "１３９１２３４５６７８")["contacts"] == ["李晓明"]  # full-width digits
    assert _found(rep, "0571-88881234")["customers"] == ["杭州星河软件有限公司"]
    assert _found(rep, "1234567800")["contacts"] == ["王五"]  # 10 digits: inside a number, as before
    assert _found(rep, "88881234")["customers"] == ["杭州星河软件有限公司"]


def test_another_rep_never_finds_them(org, world):  # type: ignore[no-untyped-def]
    other = org.rep_b1
    assert _found(other, "星河")["customers"] == ["杭州星河贸易有限公司"]
    assert _found(other, "88881234") == {
        "customers": [],
        "contacts": [],
        "opportunities": [],
        "contracts": [],
        "orders": [],
    }
    assert _found(other, world.order.number)["orders"] == []


def test_manager_finds_the_team_and_finance_no_customers(org, world):  # type: ignore[no-untyped-def]
    assert _found(org.manager_a, "星河")["customers"] == ["杭州星河软件有限公司"]
    finance = _found(org.finance, world.order.number)
    assert finance["customers"] == [] and finance["orders"] == [world.order.number]


def test_partner_searches_only_its_portal(org, world):  # type: ignore[no-untyped-def]
    login = UserFactory(username="partner_login", display_name="合伙人", roles=[Role.PARTNER])
    make_partner(user=login, region=org.region)
    CustomerFactory(owner=login, name="杭州星河教育咨询有限公司")
    scope = policy.search_scope(login)
    groups = global_search(scope=scope, q="星河")
    assert [(g.kind, [h.label for h in g.hits]) for g in groups] == [
        ("customers", ["杭州星河教育咨询有限公司"]),
        ("orders", []),
    ]
    assert groups[0].hits[0].url == reverse("partners:portal")


def test_too_short_a_query_searches_nothing(org, world):  # type: ignore[no-untyped-def]
    assert _found(org.rep_a1, "星") == {}


def test_search_page_groups_results(org, client_for, world):  # type: ignore[no-untyped-def]
    body = client_for(org.rep_a1).get(reverse("crm:search"), {"q": "星河"}).content.decode()
    assert "杭州星河软件有限公司" in body and "杭州星河贸易有限公司" not in body
    assert reverse("crm:customer_detail", args=[world.opportunity.customer.pk]) in body
    assert 'data-kind="customers"' in body and 'data-kind="opportunities"' in body
    nothing = client_for(org.rep_a1).get(reverse("crm:search"), {"q": "不存在的名字"}).content.decode()
    assert "没有找到与“不存在的名字”相符的记录。" in nothing


def test_header_box_searches_everything(org, client_for, world):  # type: ignore[no-untyped-def]
    body = client_for(org.rep_a1).get(reverse("crm:my_day")).content.decode()
    assert f'action="{reverse("crm:search")}"' in body


def test_search_api_same_scope(org, api_for, world):  # type: ignore[no-untyped-def]
    data = api_for(org.rep_a1).get(reverse("crm_api:search"), {"q": "星河"}).json()
    groups = {g["kind"]: g for g in data["groups"]}
    assert [h["label"] for h in groups["customers"]["hits"]] == ["杭州星河软件有限公司"]
    assert groups["customers"]["more"] is False
    other = api_for(org.rep_b1).get(reverse("crm_api:search"), {"q": "88881234"}).json()
    assert all(g["hits"] == [] for g in other["groups"])


def test_search_query_count_is_flat(org, client_for, django_assert_max_num_queries, world):  # type: ignore[no-untyped-def]
    client = client_for(org.rep_a1)
    client.get(reverse("crm:search"), {"q": "星河"})
    with django_assert_max_num_queries(25) as first:
        client.get(reverse("crm:search"), {"q": "星河"})
    for i in range(15):
        CustomerFactory(owner=org.rep_a1, name=f"星河分公司{i}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get(reverse("crm:search"), {"q": "星河"}).content.decode()
    assert "10+" in body  # the first ten hits, and a note that there are more
