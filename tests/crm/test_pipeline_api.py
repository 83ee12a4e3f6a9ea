"""Pipeline REST API: same services and visibility as the pages; 400 JSON for bad input, 404 for
another team's objects, flat query counts on list endpoints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Contract, Lead, Order, OrderStatus, QuoteStatus
from tests.crm.factories import priced_product, visited_customer
from tests.crm.pipeline_world import build_world
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/leads/",
    "/api/opportunities/",
    "/api/quotes/",
    "/api/contracts/",
    "/api/orders/",
    "/api/receivables/?list=overdue",
    "/api/approvals/",
    "/api/approvals/inbox/",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_endpoints_flat_query_count(org, api_for, django_assert_max_num_queries, url):  # type: ignore[no-untyped-def]
    build_world(org, n=1)
    api = api_for(org.rep_a1)
    with django_assert_max_num_queries(15) as one:
        assert api.get(url).status_code == 200
    build_world(org, n=5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert api.get(url).status_code == 200


def test_detail_endpoints_404_for_another_team(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    urls = [
        f"/api/leads/{w.lead.pk}/",
        f"/api/opportunities/{w.opportunity.pk}/",
        f"/api/quotes/{w.quote.pk}/",
        f"/api/contracts/{w.contract.pk}/",
        f"/api/orders/{w.order.pk}/",
        f"/api/approvals/{w.approval.pk}/",
    ]
    for url in urls:
        assert api_for(org.rep_a1).get(url).status_code == 200, url
        assert api_for(org.rep_b1).get(url).status_code == 404, url
    assert (
        api_for(org.rep_b1).post(f"/api/approvals/{w.approval.pk}/decide/", {"approve": True}).status_code
        == 404
    )


def test_order_money_in_api(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    api = api_for(org.finance)
    r = api.get(f"/api/orders/{w.order.pk}/")
    assert (r.data["total"], r.data["received"], r.data["outstanding"]) == ("180.00", "50.00", "130.00")
    r = api.post(f"/api/orders/{w.order.pk}/money/", {"kind": "refund", "amount": "50.01", "reason": "退货"})
    assert r.status_code == 400 and r.data["code"] == "refund_exceeds_received"
    r = api.post(f"/api/orders/{w.order.pk}/money/", {"kind": "refund", "amount": "0.01", "reason": "退货"})
    assert r.status_code == 201 and r.data["received"] == "49.99"
    r = api.post(
        f"/api/orders/{w.order.pk}/money/", {"kind": "invoice", "amount": "180.00", "reference": "FP1"}
    )
    assert r.data["invoiced"] == "180.00"
    rep = api_for(org.rep_a1).post(f"/api/orders/{w.order.pk}/money/", {"kind": "payment", "amount": "1.00"})
    assert rep.status_code == 403


def test_approval_decide_api_shows_chain(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    r = api_for(org.manager_a).post(f"/api/approvals/{w.approval.pk}/decide/", {"approve": True})
    assert r.status_code in (403, 404)
    inbox = api_for(org.assistant).get("/api/approvals/inbox/")
    assert [x["id"] for x in inbox.data["results"]] == [w.approval.pk]
    r = api_for(org.assistant).post(
        f"/api/approvals/{w.approval.pk}/decide/", {"approve": False, "reason": ""}
    )
    assert r.status_code == 400 and r.data["code"] == "reason_required"
    r = api_for(org.assistant).post(
        f"/api/approvals/{w.approval.pk}/decide/", {"approve": True, "reason": "ok"}
    )
    assert r.status_code == 200
    assert r.data["status"] == "approved"
    assert r.data["chain"][0]["decided_by"] == str(org.assistant)
    assert api_for(org.rep_a1).get(f"/api/quotes/{w.quote.pk}/").data["status"] == QuoteStatus.APPROVED


def test_quote_api_refuses_unvisited_customer_and_creates_for_visited(org, api_for):  # type: ignore[no-untyped-def]
    api = api_for(org.rep_a1)
    priced_product("A10", "10.00")
    line = {"product": "A10", "quantity": "2", "list_price": "1.00", "quoted_price": "9.99"}
    r = api.post(
        "/api/quotes/",
        {"customer": CustomerFactory(owner=org.rep_a1).pk, "title": "T", "lines": [line]},
        format="json",
    )
    assert r.status_code == 400 and r.data["code"] == "no_onsite_visit"
    r = api.post(
        "/api/quotes/",
        {"customer": visited_customer(org.rep_a1).pk, "title": "T", "lines": [line]},
        format="json",
    )
    assert r.status_code == 201
    assert (r.data["list_total"], r.data["quoted_total"]) == ("20.00", "19.98")


def test_contract_api_refuses_unknown_customer(org, api_for):  # type: ignore[no-untyped-def]
    r = api_for(org.rep_a1).post(
        "/api/contracts/", {"customer": 999999, "title": "合同", "amount": "10.00"}, format="json"
    )
    assert r.status_code == 400 and r.data["code"] == "unknown_customer"
    assert not Contract.objects.exists()


def test_order_api_below_floor_waits(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    priced_product("B", "100.00", "50.00", category="high_end")
    line = {"product": "B", "quantity": "1", "unit_price": "49.99"}
    r = api_for(org.rep_a1).post("/api/orders/", {"contract": w.contract.pk, "lines": [line]}, format="json")
    assert r.status_code == 201
    assert r.data["status"] == OrderStatus.PENDING_APPROVAL
    assert Order.objects.get(pk=r.data["id"]).total == Decimal("49.99")
    bad = api_for(org.rep_a1).post("/api/orders/", {"contract": w.contract.pk, "lines": []}, format="json")
    assert bad.status_code == 400


def test_lead_import_api(org, api_for, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    f = SimpleUploadedFile("leads.csv", "公司名称,电话\n甲公司,13900000001\n乙公司,999\n".encode())
    with django_capture_on_commit_callbacks(execute=True):  # issue 17: a background job (202)
        r = api_for(org.manager_a).post("/api/leads/import/", {"file": f}, format="multipart")
    assert r.status_code == 202
    r = api_for(org.manager_a).get(f"/api/imports/{r.data['id']}/")  # once the worker has run
    assert r.data["status"] == "done" and r.data["created_count"] == 1
    assert [row["line"] for row in r.data["report"] if row["outcome"] == "error"] == [3]
    assert Lead.objects.count() == 1


def test_opportunity_api_transition_and_bad_stage(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    api = api_for(org.rep_a1)
    r = api.post(f"/api/opportunities/{w.opportunity.pk}/transition/", {"stage": "bogus"})
    assert r.status_code == 400
    r = api.post(f"/api/opportunities/{w.opportunity.pk}/transition/", {"stage": "won"})
    assert r.status_code == 200 and r.data["stage"] == "won"
    assert api.post(f"/api/opportunities/{w.opportunity.pk}/confirm/").status_code == 403
    assert api_for(org.manager_a).post(f"/api/opportunities/{w.opportunity.pk}/confirm/").status_code == 200


def test_receivables_api_lists_overdue_with_bucket(org, api_for):  # type: ignore[no-untyped-def]
    import datetime as dt

    w = build_world(org)
    Order.objects.filter(pk=w.order.pk).update(due_on=dt.date(2020, 1, 1))
    r = api_for(org.finance).get("/api/receivables/?list=bad_debt")
    assert [(x["id"], x["bucket"], x["outstanding"]) for x in r.data["results"]] == [
        (w.order.pk, "bad_debt", "130.00")
    ]
    assert api_for(org.rep_b1).get("/api/receivables/?list=bad_debt").data["results"] == []


def test_lead_assign_api(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    r = api_for(org.manager_a).post(f"/api/leads/{w.lead.pk}/assign/", {"to_user": org.rep_a2.pk})
    assert r.status_code == 200 and r.data["assigned_to"] == org.rep_a2.pk
    r = api_for(org.manager_a).post(f"/api/leads/{w.lead.pk}/assign/", {"to_user": org.rep_b1.pk})
    assert r.status_code == 403


def test_opportunity_api_edit_and_attachment(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    api = api_for(org.rep_a1)
    r = api.patch(f"/api/opportunities/{w.opportunity.pk}/", {"amount": "2500.50", "competitors": "金蝶"})
    assert r.status_code == 200 and r.data["amount"] == "2500.50"
    assert api.patch(f"/api/opportunities/{w.opportunity.pk}/", {"amount": "1.001"}).status_code == 400
    f = SimpleUploadedFile("方案.txt", b"proposal")
    r = api.post(f"/api/opportunities/{w.opportunity.pk}/attachments/", {"file": f}, format="multipart")
    assert r.status_code == 201
    assert len(api.get(f"/api/opportunities/{w.opportunity.pk}/attachments/").data) == 1
    assert (
        api_for(org.rep_b1).patch(f"/api/opportunities/{w.opportunity.pk}/", {"amount": "1.00"}).status_code
        == 404
    )


def test_opportunity_activities_are_linked_followups(org, api_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    api = api_for(org.rep_a1)
    r = api.post(
        f"/api/opportunities/{w.opportunity.pk}/activities/",
        {"channel": "visit_core", "topic": "方案演示", "outcome": "客户认可"},
    )
    assert r.status_code == 201 and r.data["opportunity"] == w.opportunity.pk
    assert [a["topic"] for a in api.get(f"/api/opportunities/{w.opportunity.pk}/activities/").data] == [
        "方案演示"
    ]
    assert (
        api.post(f"/api/opportunities/{w.opportunity.pk}/activities/", {"channel": "visit_core"}).status_code
        == 400
    )


def test_inbox_api_flat_for_the_assistant(org, api_for, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    build_world(org, n=1)
    api = api_for(org.assistant)
    with django_assert_max_num_queries(10) as one:
        assert len(api.get("/api/approvals/inbox/").data["results"]) == 1
    build_world(org, n=4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(api.get("/api/approvals/inbox/").data["results"]) == 5
