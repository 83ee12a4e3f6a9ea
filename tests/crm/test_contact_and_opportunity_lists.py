"""Issue 16: the list tools on the contacts list and the opportunities list — sort by column, owner / team /
date filters, the total, saved filters (场景) and the column chooser — in the page and the API, within what
the user may see (C11), at a number of queries that does not grow with the list."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.models import ListColumnChoice, SavedListFilter
from crm.models import Contact, ContactRole, Opportunity
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
CONTACTS = reverse("crm:contact_list")
PIPELINE = reverse("crm:opportunity_list")


def contact(owner, name: str, *, customer=None, role=ContactRole.OTHER, phone: str = ""):  # type: ignore[no-untyped-def]
    customer = customer or CustomerFactory(owner=owner, name=f"{name}的公司")
    return Contact.objects.create(customer=customer, name=name, position="经理", role=role, phone=phone)


def opportunity(owner, name: str, amount: str, *, day: dt.date = dt.date(2026, 3, 2)) -> Opportunity:  # type: ignore[no-untyped-def]
    return Opportunity.objects.create(
        customer=CustomerFactory(owner=owner),
        owner=owner,
        name=name,
        amount=Decimal(amount),
        registered_at=dt.datetime(day.year, day.month, day.day, 10, tzinfo=SH),
    )


def _queries(client, url: str, params: dict) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


# --- contacts ----------------------------------------------------------------------------------------


def test_contacts_list_sorts_filters_and_counts_within_the_team(client_for, org):
    # Given contacts of customers of manager A's two reps, and one of team B
    contact(org.rep_a1, "王五", role=ContactRole.DECISION_MAKER, phone="13800000001")
    contact(org.rep_a2, "李四")
    contact(org.rep_a1, "赵六")
    contact(org.rep_b1, "乙队联系人")
    client = client_for(org.manager_a)
    # When the manager sorts by name; then only the team's three, sorted, counted
    by_name = client.get(CONTACTS, {"sort": "name"})
    assert [c.name for c in by_name.context["rows"]] == sorted(["王五", "李四", "赵六"])
    assert by_name.context["total"].value == 3
    assert "乙队联系人" not in by_name.content.decode()
    # The owner filter (the customer's owner), the role filter and the search
    mine = client.get(CONTACTS, {"owner": org.rep_a1.pk, "sort": "-name"})
    assert [c.name for c in mine.context["rows"]] == sorted(["王五", "赵六"], reverse=True)
    deciders = client.get(CONTACTS, {"role": ContactRole.DECISION_MAKER})
    assert [c.name for c in deciders.context["rows"]] == ["王五"]
    assert '<a href="tel:13800000001">13800000001</a>' in deciders.content.decode()
    by_phone = client.get(CONTACTS, {"q": "13800000001"})
    assert [c.name for c in by_phone.context["rows"]] == ["王五"]
    team = client.get(CONTACTS, {"team": org.dept_a.pk})
    assert team.context["total"].value == 3
    # A rep sees only the contacts of their own customers
    rep = client_for(org.rep_a2).get(CONTACTS)
    assert [c.name for c in rep.context["rows"]] == ["李四"]


def test_contacts_date_filter_and_bad_sort_say_so(client_for, org):
    old = contact(org.rep_a1, "早的")
    Contact.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 1, 5, 9, tzinfo=SH))
    contact(org.rep_a1, "新的")
    client = client_for(org.rep_a1)
    january = client.get(CONTACTS, {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert [c.name for c in january.context["rows"]] == ["早的"]
    bad = client.get(CONTACTS, {"sort": "phone"})
    assert bad.status_code == 200 and "无法按该列排序，已按默认顺序显示。" in bad.content.decode()


def test_contacts_saved_filter_and_columns_go_back_to_the_contacts_list(client_for, org):
    client = client_for(org.rep_a1)
    saved = client.post(
        reverse("crm:list_filter_save"),
        {"list": "contacts", "name": "决策人", "query": "role=decision_maker"},
    )
    assert saved["Location"] == CONTACTS + "?role=decision_maker"
    assert SavedListFilter.objects.get().list_key == "contacts"
    chosen = client.post(
        reverse("crm:list_columns_save"), {"list": "contacts", "columns": ["email", "customer"], "query": ""}
    )
    assert chosen["Location"] == CONTACTS + "?"
    assert ListColumnChoice.objects.get().list_key == "contacts"
    contact(org.rep_a1, "张三")
    headers = [h.column.key for h in client.get(CONTACTS).context["headers"]]
    assert headers == ["name", "customer", "email"]


def test_contacts_list_queries_do_not_grow(client_for, org):
    client = client_for(org.manager_a)
    contact(org.rep_a1, "一")
    _queries(client, CONTACTS, {"sort": "owner"})
    few = _queries(client, CONTACTS, {"sort": "owner"})
    for i in range(25):
        contact(org.rep_a1 if i % 2 else org.rep_a2, f"联系人{i}")
    assert _queries(client, CONTACTS, {"sort": "owner"}) == few


def test_contacts_api_sorts_filters_counts_and_keeps_the_scope(api_for, org):
    contact(org.rep_a1, "B")
    contact(org.rep_a1, "A")
    contact(org.rep_a2, "C")
    contact(org.rep_b1, "乙")
    api = api_for(org.manager_a)
    page = api.get("/api/contacts/", {"sort": "name", "with_total": "1"}).json()
    assert [c["name"] for c in page["results"]] == ["A", "B", "C"] and page["total"] == 3
    assert page["results"][0]["owner"] == org.rep_a1.pk and page["results"][0]["customer_name"] == "A的公司"
    mine = api.get("/api/contacts/", {"owner": org.rep_a2.pk}).json()
    assert [c["name"] for c in mine["results"]] == ["C"]
    assert api.get("/api/contacts/", {"sort": "owner"}).status_code == 400  # not safe for a cursor
    assert [c["name"] for c in api_for(org.rep_b1).get("/api/contacts/").json()["results"]] == ["乙"]
    assert api_for(org.finance).get("/api/contacts/").status_code == 404


def test_contacts_api_queries_do_not_grow(api_for, org):
    api = api_for(org.manager_a)
    contact(org.rep_a1, "一")
    _queries(api, "/api/contacts/", {"with_total": "1"})
    few = _queries(api, "/api/contacts/", {"with_total": "1"})
    for i in range(25):
        contact(org.rep_a2, f"联系人{i}")
    assert _queries(api, "/api/contacts/", {"with_total": "1"}) == few


# --- opportunities ---------------------------------------------------------------------------------


def test_opportunity_list_sorts_filters_by_owner_and_date_and_counts(client_for, org):
    opportunity(org.rep_a1, "甲一大单", "90000.00", day=dt.date(2026, 3, 2))
    opportunity(org.rep_a2, "甲二小单", "1000.00", day=dt.date(2026, 4, 2))
    opportunity(org.rep_a1, "甲一中单", "50000.00", day=dt.date(2026, 4, 20))
    opportunity(org.rep_b1, "乙队的单", "99999.00")
    client = client_for(org.manager_a)
    by_amount = client.get(PIPELINE, {"view": "list", "sort": "-amount"})
    assert [o.name for o in by_amount.context["rows"]] == ["甲一大单", "甲一中单", "甲二小单"]
    assert by_amount.context["total"].value == 3
    body = by_amount.content.decode()
    assert "¥90,000.00" in body and "¥99,999.00" not in body
    mine = client.get(PIPELINE, {"view": "list", "owner": org.rep_a1.pk, "sort": "amount"})
    assert [o.name for o in mine.context["rows"]] == ["甲一中单", "甲一大单"]
    april = client.get(PIPELINE, {"view": "list", "date_from": "2026-04-01", "date_to": "2026-04-30"})
    assert sorted(o.name for o in april.context["rows"]) == ["甲一中单", "甲二小单"]
    # the sort links keep the list view
    assert 'href="?view=list&amp;sort=name"' in client.get(PIPELINE, {"view": "list"}).content.decode()


def test_opportunity_saved_filter_goes_back_to_the_list_view(client_for, org):
    response = client_for(org.rep_a1).post(
        reverse("crm:list_filter_save"),
        {"list": "opportunities", "name": "大单", "query": "view=list&sort=-amount&page=3"},
    )
    assert response["Location"] == PIPELINE + "?view=list&sort=-amount"
    assert SavedListFilter.objects.get().query == "view=list&sort=-amount"


@pytest.mark.parametrize("params", [{}, {"sort": "-amount"}, {"sort": "owner", "stage": "initial"}])
def test_opportunity_list_queries_do_not_grow(client_for, org, params):
    client = client_for(org.manager_a)
    params = {"view": "list", **params}
    opportunity(org.rep_a1, "一", "1.00")
    _queries(client, PIPELINE, params)
    few = _queries(client, PIPELINE, params)
    for i in range(25):
        opportunity(org.rep_a1 if i % 2 else org.rep_a2, f"商机{i}", "2.00")
    assert _queries(client, PIPELINE, params) == few


def test_opportunity_api_sorts_filters_and_counts(api_for, org):
    opportunity(org.rep_a1, "大", "300.00")
    opportunity(org.rep_a2, "小", "100.00", day=dt.date(2026, 5, 2))
    opportunity(org.rep_b1, "乙", "999.00")
    api = api_for(org.manager_a)
    page = api.get("/api/opportunities/", {"sort": "-amount", "with_total": "1"}).json()
    assert [o["name"] for o in page["results"]] == ["大", "小"] and page["total"] == 2
    may = api.get("/api/opportunities/", {"date_from": "2026-05-01", "with_total": "1"}).json()
    assert [o["name"] for o in may["results"]] == ["小"] and may["total"] == 1
    bad = api.get("/api/opportunities/", {"sort": "customer"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_list_query"


def test_opportunity_api_queries_do_not_grow(api_for, org):
    api = api_for(org.manager_a)
    opportunity(org.rep_a1, "一", "1.00")
    _queries(api, "/api/opportunities/", {"sort": "-amount", "with_total": "1"})
    few = _queries(api, "/api/opportunities/", {"sort": "-amount", "with_total": "1"})
    for i in range(25):
        opportunity(org.rep_a2, f"商机{i}", "2.00")
    assert _queries(api, "/api/opportunities/", {"sort": "-amount", "with_total": "1"}) == few


# --- at scale (issue 16, bench/pipeline_lists.py) -------------------------------------------------------


def test_search_finds_by_own_fields_or_customer_name_within_scope(client_for, org, api_for):
    # Given contacts and opportunities whose own name, phone or customer's name carries the term
    mine = CustomerFactory(owner=org.rep_a1, name="星河瑞丰科技有限公司")
    contact(org.rep_a1, "星河联系人")
    contact(org.rep_a1, "王五", customer=mine)
    contact(org.rep_a1, "赵六", phone="13800000077")
    contact(org.rep_b1, "星河乙队")  # another team's: never found
    Opportunity.objects.create(
        customer=mine,
        owner=org.rep_a1,
        name="年度采购",
        amount=Decimal("10.00"),
        registered_at=dt.datetime(2026, 3, 2, 10, tzinfo=SH),
    )
    opportunity(org.rep_a1, "星河项目", "20.00")
    opportunity(org.rep_a1, "无关项目", "30.00")
    client = client_for(org.rep_a1)
    # When the rep searches; then each half of the UNION is found once, nothing outside the scope
    found = client.get(CONTACTS, {"q": "星河"})
    assert sorted(c.name for c in found.context["rows"]) == sorted(["王五", "星河联系人"])
    assert found.context["total"].value == 2
    assert [c.name for c in client.get(CONTACTS, {"q": "0000077"}).context["rows"]] == ["赵六"]
    opps = client.get(PIPELINE, {"view": "list", "q": "星河"})
    assert sorted(o.name for o in opps.context["rows"]) == sorted(["年度采购", "星河项目"])
    body = api_for(org.rep_a1).get("/api/opportunities/", {"q": "星河", "with_total": "1"}).json()
    assert (
        sorted(o["name"] for o in body["results"]) == sorted(["年度采购", "星河项目"]) and body["total"] == 2
    )


def test_a_never_empty_column_breaks_ties_by_id_in_its_own_direction(client_for, org):
    # Given three contacts, two with the same name
    first = contact(org.rep_a1, "张三")
    second = contact(org.rep_a1, "张三", customer=first.customer)
    other = contact(org.rep_a1, "李四")
    client = client_for(org.rep_a1)
    # Then ascending is (name, id) and descending (name, id) read backwards: one index serves both
    up = [c.pk for c in client.get(CONTACTS, {"sort": "name"}).context["rows"]]
    down = [c.pk for c in client.get(CONTACTS, {"sort": "-name"}).context["rows"]]
    assert up == ([other.pk, first.pk, second.pk] if "李四" < "张三" else [first.pk, second.pk, other.pk])
    assert down == list(reversed(up))


def test_sorted_pages_pick_their_ids_then_join_the_rows(client_for, org):
    # Given 55 opportunities of one rep; when sorted by amount, page 2 holds the last five
    for i in range(55):
        opportunity(org.rep_a1, f"商机{i:02d}", f"{i + 1}.00")
    client = client_for(org.rep_a1)
    with CaptureQueriesContext(connection) as ctx:
        page2 = client.get(PIPELINE, {"view": "list", "sort": "amount", "page": 2})
    assert [o.amount for o in page2.context["rows"]] == [Decimal(f"{i}.00") for i in range(51, 56)]
    assert page2.context["total"].value == 55
    rows_sql = [q["sql"] for q in ctx.captured_queries if 'FROM "crm_opportunity"' in q["sql"]]
    assert len(rows_sql) == 1 and "LIMIT 51 OFFSET 50" in rows_sql[0].replace('"', "")


def test_api_sorted_page_reads_rows_without_joins_then_their_customers(api_for, org):
    # Given two contacts of rep A1's customers; when the API sorts them by name with the total
    contact(org.rep_a1, "乙")
    contact(org.rep_a1, "甲")
    with CaptureQueriesContext(connection) as ctx:
        body = api_for(org.rep_a1).get("/api/contacts/", {"sort": "-name", "with_total": "1"}).json()
    # Then the rows, their customers and owners are right, and the rows' query joined nothing to sort
    assert [(c["name"], c["customer_name"]) for c in body["results"]] == [
        ("甲", "甲的公司"),
        ("乙", "乙的公司"),
    ]
    assert {c["owner"] for c in body["results"]} == {org.rep_a1.pk} and body["total"] == 2
    rows = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "crm_contact"."id"')]
    assert len(rows) == 1 and 'JOIN "crm_customer"' not in rows[0]  # the scope is an IN (…), never a join


@pytest.mark.postgres
def test_contacts_are_estimated_from_their_own_lower_threshold_on_postgres(
    client_for, api_for, org, settings
):
    # Given three contacts and three opportunities of rep A1
    for i in range(3):
        contact(org.rep_a1, f"联系人{i}")
        opportunity(org.rep_a1, f"商机{i}", "10.00")
    client, api = client_for(org.rep_a1), api_for(org.rep_a1)
    # When only the contacts' threshold says "very large" (their count goes through the customers)
    settings.CRM_LIST_ESTIMATE_ABOVE = 1_000_000
    settings.CRM_CONTACT_LIST_ESTIMATE_ABOVE = -1
    # Then the contacts show the planner's estimate, page and API; the opportunities are still counted
    page = client.get(CONTACTS)
    assert page.context["total"].estimated is True and "约 " in page.content.decode()
    assert api.get("/api/contacts/", {"with_total": "1"}).json()["total_estimated"] is True
    opps = client.get(PIPELINE, {"view": "list"}).context["total"]
    assert (opps.value, opps.estimated) == (3, False)
    body = api.get("/api/opportunities/", {"with_total": "1"}).json()
    assert (body["total"], body["total_estimated"]) == (3, False)
    # And below the threshold the contacts are counted exactly
    settings.CRM_CONTACT_LIST_ESTIMATE_ABOVE = 1_000_000
    exact = client.get(CONTACTS).context["total"]
    assert (exact.value, exact.estimated) == (3, False)


def _union_runs(client, url: str, params: dict) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    names = [getattr(r, "name", None) or r["name"] for r in (response.context or {}).get("rows", [])]
    if not names and response.get("Content-Type", "").startswith("application/json"):
        names = [r["name"] for r in response.json()["results"]]
    lists = re.compile(r'FROM "crm_(contact|opportunity)"')  # not the team's or the saved filters' UNION
    runs = sum(q["sql"].count(" UNION ") for q in ctx.captured_queries if lists.search(q["sql"]))
    return sorted(names), runs


def test_a_search_runs_its_union_once_for_the_rows_and_the_total(client_for, api_for, org, settings):
    # Given three contacts and two opportunities found by their own name or their customer's name
    mine = CustomerFactory(owner=org.rep_a1, name="星河瑞丰科技有限公司")
    contact(org.rep_a1, "星河联系人")
    contact(org.rep_a1, "王五", customer=mine)
    contact(org.rep_a1, "李四", customer=CustomerFactory(owner=org.rep_a1, name="星河二号"))
    Opportunity.objects.create(
        customer=mine,
        owner=org.rep_a1,
        name="年度采购",
        amount=Decimal("10.00"),
        registered_at=dt.datetime(2026, 3, 2, 10, tzinfo=SH),
    )
    opportunity(org.rep_a1, "星河项目", "20.00")
    client, api = client_for(org.manager_a), api_for(org.manager_a)
    # When the manager searches (page, sorted page, API with the total)
    # Then the rows and the total are right and the UNION ran once per request, not twice
    page = client.get(CONTACTS, {"q": "星河"})
    assert page.context["total"].value == 3
    assert _union_runs(client, CONTACTS, {"q": "星河"}) == (["星河联系人", "李四", "王五"], 1)
    assert _union_runs(client, CONTACTS, {"q": "星河", "sort": "name"}) == (["星河联系人", "李四", "王五"], 1)
    opps = {"view": "list", "q": "星河"}
    assert client.get(PIPELINE, opps).context["total"].value == 2
    assert _union_runs(client, PIPELINE, opps) == (["年度采购", "星河项目"], 1)
    body = api.get("/api/contacts/", {"q": "星河", "with_total": "1"}).json()
    assert body["total"] == 3 and body["total_estimated"] is False
    assert _union_runs(api, "/api/contacts/", {"q": "星河", "with_total": "1"}) == (
        ["星河联系人", "李四", "王五"],
        1,
    )
    # More matches than CRM_LIST_SEARCH_IDS_MAX: the UNION stays a subquery, the same rows and total
    settings.CRM_LIST_SEARCH_IDS_MAX = 2
    again = client.get(CONTACTS, {"q": "星河"})
    assert sorted(c.name for c in again.context["rows"]) == ["星河联系人", "李四", "王五"]
    assert again.context["total"].value == 3


def test_the_opportunity_list_without_filters_marks_the_all_scene(client_for, org):
    opportunity(org.rep_a1, "甲", "100.00")
    client = client_for(org.manager_a)
    html = client.get(PIPELINE, {"view": "list"}).content.decode()
    assert f'class="btn btn-sm btn-primary" href="{PIPELINE}?view=list">全部</a>' in html
    filtered = client.get(PIPELINE, {"view": "list", "q": "甲"}).content.decode()
    assert f'class="btn btn-sm" href="{PIPELINE}?view=list">全部</a>' in filtered
