"""Issue 16: the list tools on the quotes list and the leads list — sort by column, owner (assignee) / team
/ date filters, the total, saved filters (场景) and the column chooser — in the page and the API, within
what the user may see, at a number of queries that does not grow with the list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.models import SavedListFilter
from crm.models import Lead, LeadSource, LeadStatus, Quote, QuoteStatus
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

QUOTES = reverse("crm:quote_list")
LEADS = reverse("crm:lead_list")


def quote(owner, number: str, quoted: str, *, listed: str | None = None, status=QuoteStatus.DRAFT) -> Quote:  # type: ignore[no-untyped-def]
    return Quote.objects.create(
        number=number,
        customer=CustomerFactory(owner=owner, name=f"{number}的客户"),
        owner=owner,
        title=f"{number}报价",
        status=status,
        list_total=Decimal(listed or quoted),
        quoted_total=Decimal(quoted),
    )


def lead(assignee, company: str, *, by, source=LeadSource.CALL) -> Lead:  # type: ignore[no-untyped-def]
    return Lead.objects.create(
        company=company,
        source=source,
        assigned_to=assignee,
        status=LeadStatus.ASSIGNED if assignee else LeadStatus.NEW,
        created_by=by,
    )


def _queries(client, url: str, params: dict) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


# --- quotes ------------------------------------------------------------------------------------------


def test_quotes_list_sorts_filters_and_counts_within_the_team(client_for, org):
    # Given quotes of manager A's two reps and one of team B
    quote(org.rep_a1, "BJ-1", "9000.00", listed="10000.00", status=QuoteStatus.APPROVED)
    quote(org.rep_a2, "BJ-2", "300.00")
    quote(org.rep_a1, "BJ-3", "45000.00")
    quote(org.rep_b1, "BJ-9", "1.00")
    client = client_for(org.manager_a)
    # When the manager sorts by the quoted total, largest first: the team's three, counted
    by_total = client.get(QUOTES, {"sort": "-quoted_total"})
    assert [q.number for q in by_total.context["rows"]] == ["BJ-3", "BJ-1", "BJ-2"]
    assert (by_total.context["total"].value, by_total.context["total"].estimated) == (3, False)
    html = by_total.content.decode()
    assert "BJ-9" not in html and "共 3 个" in html
    # the money and the discount in business words: ¥9,000.00 quoted on ¥10,000.00 is 10% off
    assert "¥45,000.00" in html and ">10%<" in html
    # The owner filter, the status filter and the search
    assert [q.number for q in client.get(QUOTES, {"owner": org.rep_a2.pk}).context["rows"]] == ["BJ-2"]
    approved = client.get(QUOTES, {"status": QuoteStatus.APPROVED})
    assert [q.number for q in approved.context["rows"]] == ["BJ-1"]
    assert [q.number for q in client.get(QUOTES, {"q": "BJ-3"}).context["rows"]] == ["BJ-3"]
    assert client.get(QUOTES, {"team": org.dept_a.pk}).context["total"].value == 3
    # A rep sees only their own quotes
    rep = client_for(org.rep_a2).get(QUOTES, {"sort": "number"})
    assert [q.number for q in rep.context["rows"]] == ["BJ-2"] and rep.context["total"].value == 1


def test_quotes_bad_sort_and_bad_date_say_so_and_show_the_list(client_for, org):
    quote(org.rep_a1, "BJ-1", "100.00")
    response = client_for(org.rep_a1).get(QUOTES, {"sort": "discount", "date_from": "2026-02-30"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "无法按该列排序" in text and "日期格式应为 YYYY-MM-DD" in text
    assert [q.number for q in response.context["rows"]] == ["BJ-1"]


def test_quotes_date_filter_reads_the_creation_day(client_for, org):
    old = quote(org.rep_a1, "BJ-OLD", "100.00")
    Quote.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))
    quote(org.rep_a1, "BJ-NEW", "200.00")
    january = client_for(org.rep_a1).get(QUOTES, {"date_from": "2026-01-01", "date_to": "2026-01-31"})
    assert [q.number for q in january.context["rows"]] == ["BJ-OLD"]


def test_quotes_saved_filter_and_columns(client_for, org):
    quote(org.rep_a1, "BJ-1", "9000.00", listed="10000.00")
    client = client_for(org.rep_a1)
    saved = client.post(
        reverse("crm:list_filter_save"), {"list": "quotes", "name": "大单", "query": "sort=-quoted_total"}
    )
    assert saved.status_code == 302 and saved["Location"].startswith(QUOTES)
    assert SavedListFilter.objects.get(owner=org.rep_a1, list_key="quotes").query == "sort=-quoted_total"
    assert "大单" in client.get(QUOTES).content.decode()
    # The column chooser: the list price shown, the discount hidden
    chosen = client.post(
        reverse("crm:list_columns_save"),
        {"list": "quotes", "columns": ["number", "list_total", "quoted_total"], "query": ""},
    )
    assert chosen.status_code == 302
    page = client.get(QUOTES)
    assert page.context["columns"] == ["number", "list_total", "quoted_total"]
    html = page.content.decode()
    assert "¥10,000.00" in html and "整单折扣" not in html.split("<tbody>")[0].split("<thead>")[1]


def test_quotes_api_sorts_filters_and_counts(api_for, org):
    quote(org.rep_a1, "BJ-1", "9000.00")
    quote(org.rep_a2, "BJ-2", "300.00")
    quote(org.rep_b1, "BJ-9", "1.00")
    api = api_for(org.manager_a)
    body = api.get("/api/quotes/", {"sort": "quoted_total", "with_total": "1"}).json()
    assert [q["number"] for q in body["results"]] == ["BJ-2", "BJ-1"]
    assert (body["total"], body["total_estimated"]) == (2, False)
    assert api.get("/api/quotes/", {"owner": org.rep_a1.pk}).json()["results"][0]["number"] == "BJ-1"
    bad = api.get("/api/quotes/", {"sort": "customer"})  # not a cursor-safe column
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_list_query"


def test_quotes_page_queries_do_not_grow_with_the_list(client_for, org):
    client = client_for(org.manager_a)
    quote(org.rep_a1, "BJ-0", "1.00")
    client.get(QUOTES)  # warm-up: the user's menu is kept after the first request
    few = _queries(client, QUOTES, {"sort": "customer"})
    for i in range(1, 8):
        quote(org.rep_a1 if i % 2 else org.rep_a2, f"BJ-{i}", f"{i}.00")
    assert _queries(client, QUOTES, {"sort": "customer"}) == few


def test_quotes_api_queries_do_not_grow_with_the_list(api_for, org):
    api = api_for(org.manager_a)
    quote(org.rep_a1, "BJ-0", "1.00")
    params = {"sort": "-quoted_total", "with_total": "1"}
    _queries(api, "/api/quotes/", params)  # warm-up: the user's menu and tokens
    few = _queries(api, "/api/quotes/", params)
    for i in range(1, 12):
        quote(org.rep_a1 if i % 2 else org.rep_a2, f"BJ-{i}", f"{i}.00")
    assert _queries(api, "/api/quotes/", params) == few


# --- leads -------------------------------------------------------------------------------------------


def test_leads_list_sorts_filters_by_assignee_and_counts(client_for, org):
    # Given leads assigned in team A, in team B and one not yet assigned (a manager's own entries)
    lead(org.rep_a1, "乙公司", by=org.manager_a)
    lead(org.rep_a2, "甲公司", by=org.manager_a, source=LeadSource.WEBSITE)
    lead(org.rep_b1, "丙公司", by=org.manager_b)
    client = client_for(org.manager_a)
    everything = client.get(LEADS, {"sort": "company"})
    visible = [x.company for x in everything.context["rows"]]
    assert "丙公司" not in visible
    assert visible == sorted(visible) and {"甲公司", "乙公司"} <= set(visible)
    assert everything.context["total"].value == len(visible)
    # The "owner" filter is the assignee; the team filter is the assignee's department
    assert [x.company for x in client.get(LEADS, {"owner": org.rep_a2.pk}).context["rows"]] == ["甲公司"]
    team = client.get(LEADS, {"team": org.dept_a.pk, "sort": "-company"})
    assert [x.company for x in team.context["rows"]] == sorted(["甲公司", "乙公司"], reverse=True)
    website = client.get(LEADS, {"sort": "source", "q": "公司"})
    assert [x.company for x in website.context["rows"]][-1] == "甲公司"  # 网站注册 sorts after 来电
    # A rep sees the leads assigned to them
    rep = client_for(org.rep_a1).get(LEADS)
    assert [x.company for x in rep.context["rows"]] == ["乙公司"] and rep.context["total"].value == 1


def test_leads_api_sorts_filters_and_counts(api_for, org):
    lead(org.rep_a1, "乙公司", by=org.manager_a)
    lead(org.rep_a2, "甲公司", by=org.manager_a)
    api = api_for(org.manager_a)
    body = api.get("/api/leads/", {"team": org.dept_a.pk, "sort": "-company", "with_total": "1"}).json()
    assert [x["company"] for x in body["results"]] == sorted(["甲公司", "乙公司"], reverse=True)
    assert (body["total"], body["total_estimated"]) == (2, False)
    assert api.get("/api/leads/", {"date_to": "2020-01-31", "with_total": "1"}).json()["total"] == 0
    assert api.get("/api/leads/", {"team": "x"}).status_code == 400


def test_leads_page_queries_do_not_grow_with_the_list(client_for, org):
    client = client_for(org.manager_a)
    lead(org.rep_a1, "公司0", by=org.manager_a)
    client.get(LEADS)
    few = _queries(client, LEADS, {"sort": "assigned_to"})
    for i in range(1, 8):
        lead(org.rep_a1 if i % 2 else org.rep_a2, f"公司{i}", by=org.manager_a)
    assert _queries(client, LEADS, {"sort": "assigned_to"}) == few


def test_leads_api_queries_do_not_grow_with_the_list(api_for, org):
    api = api_for(org.manager_a)
    lead(org.rep_a1, "公司0", by=org.manager_a)
    params = {"sort": "company", "with_total": "1"}
    _queries(api, "/api/leads/", params)
    few = _queries(api, "/api/leads/", params)
    for i in range(1, 12):
        lead(org.rep_a1 if i % 2 else org.rep_a2, f"公司{i}", by=org.manager_a)
    assert _queries(api, "/api/leads/", params) == few


# --- bulk assignment of leads ------------------------------------------------------------------------


def test_a_manager_assigns_the_ticked_leads_and_hears_why_one_was_refused(client_for, org):
    from crm.models import Customer

    new_one = lead(None, "新线索甲", by=org.manager_a)
    other = lead(org.rep_a1, "新线索乙", by=org.manager_a)
    converted = lead(org.rep_a1, "已转化", by=org.manager_a)
    converted.status, converted.customer = LeadStatus.CONVERTED, CustomerFactory(owner=org.rep_a1)
    converted.save()
    elsewhere = lead(org.rep_b1, "乙队线索", by=org.manager_b)
    client = client_for(org.manager_a)
    page = client.get(LEADS).content.decode()
    assert reverse("crm:lead_bulk_assign") in page and 'name="ids"' in page
    response = client.post(
        reverse("crm:lead_bulk_assign"),
        {
            "ids": [new_one.pk, other.pk, converted.pk, elsewhere.pk],
            "to_user": org.rep_a2.pk,
            "back": "status=new",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{LEADS}?status=new"
    text = response.content.decode()
    assert "已将 2 条线索分配给销售甲二。" in text
    assert "已转化：线索已转为客户。" in text
    assert f"#{elsewhere.pk}：线索不存在或您无权查看。" in text
    assert sorted(Lead.objects.filter(assigned_to=org.rep_a2).values_list("company", flat=True)) == [
        "新线索乙",
        "新线索甲",
    ]
    assert Lead.objects.get(pk=converted.pk).assigned_to == org.rep_a1
    assert Lead.objects.get(pk=elsewhere.pk).assigned_to == org.rep_b1
    assert Customer.objects.count() == 1  # nothing else created


def test_a_rep_has_no_bulk_assignment_and_a_forged_post_changes_nothing(client_for, org):
    mine = lead(org.rep_a1, "我的线索", by=org.manager_a)
    client = client_for(org.rep_a1)
    assert reverse("crm:lead_bulk_assign") not in client.get(LEADS).content.decode()
    response = client.post(
        reverse("crm:lead_bulk_assign"), {"ids": [mine.pk], "to_user": org.rep_a2.pk}, follow=True
    )
    assert "请选择接收线索的团队成员。" in response.content.decode()
    assert Lead.objects.get(pk=mine.pk).assigned_to == org.rep_a1


def test_bulk_assignment_needs_a_ticked_lead(client_for, org):
    response = client_for(org.manager_a).post(
        reverse("crm:lead_bulk_assign"), {"to_user": org.rep_a2.pk}, follow=True
    )
    assert "请先勾选线索。" in response.content.decode()


def test_leads_bulk_assign_api(api_for, org):
    first = lead(None, "甲", by=org.manager_a)
    second = lead(org.rep_b1, "乙队", by=org.manager_b)
    api = api_for(org.manager_a)
    body = api.post(
        "/api/leads/bulk-assign/",
        {"lead_ids": [first.pk, second.pk], "to_user": org.rep_a1.pk},
        format="json",
    ).json()
    assert body == {
        "assigned": [first.pk],
        "refused": [{"lead": f"#{second.pk}", "reason": "线索不存在或您无权查看。"}],
    }
    assert Lead.objects.get(pk=first.pk).assigned_to == org.rep_a1
    outside = api.post(
        "/api/leads/bulk-assign/", {"lead_ids": [first.pk], "to_user": org.rep_b1.pk}, format="json"
    )
    assert outside.status_code == 403 and Lead.objects.get(pk=first.pk).assigned_to == org.rep_a1
    assert (
        api.post(
            "/api/leads/bulk-assign/", {"lead_ids": [], "to_user": org.rep_a1.pk}, format="json"
        ).status_code
        == 400
    )
