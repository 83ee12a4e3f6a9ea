"""Pipeline pages: they render for the owner, answer 404 to another team, keep their query count flat,
and redisplay bad input with a message instead of failing."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Contract, Lead, Order, Payment, Quote, QuoteStatus
from tests.crm.pipeline_world import build_world

pytestmark = pytest.mark.django_db

LISTS = [
    "crm:lead_list",
    "crm:opportunity_list",
    "crm:quote_list",
    "crm:contract_list",
    "crm:order_list",
    "crm:receivable_aging",
    "crm:approval_inbox",
]


@pytest.mark.parametrize("name", LISTS)
def test_list_pages_render_with_flat_query_count(org, client_for, django_assert_max_num_queries, name):  # type: ignore[no-untyped-def]
    build_world(org, n=1)
    client = client_for(org.rep_a1)
    client.get(reverse(name))  # warm caches (content types, session)
    with django_assert_max_num_queries(20) as one:
        assert client.get(reverse(name)).status_code == 200
    build_world(org, n=5)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_opportunity_list_view_mode(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    body = client_for(org.rep_a1).get(reverse("crm:opportunity_list") + "?view=list").content.decode()
    assert world.opportunity.name in body


def _detail_urls(world):  # type: ignore[no-untyped-def]
    return [
        reverse("crm:lead_detail", args=[world.lead.pk]),
        reverse("crm:opportunity_detail", args=[world.opportunity.pk]),
        reverse("crm:quote_detail", args=[world.quote.pk]),
        reverse("crm:contract_detail", args=[world.contract.pk]),
        reverse("crm:order_detail", args=[world.order.pk]),
        reverse("crm:approval_detail", args=[world.approval.pk]),
        reverse("crm:order_create", args=[world.contract.pk]),
    ]


def test_detail_pages_render_for_owner_and_404_for_another_team(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    for url in _detail_urls(world):
        assert client_for(org.rep_a1).get(url).status_code == 200, url
    for url in _detail_urls(world):
        assert client_for(org.rep_b1).get(url).status_code == 404, url


def test_manager_sees_team_and_finance_sees_orders(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    assert (
        client_for(org.manager_a).get(reverse("crm:quote_detail", args=[world.quote.pk])).status_code == 200
    )
    assert (
        client_for(org.manager_b).get(reverse("crm:quote_detail", args=[world.quote.pk])).status_code == 404
    )
    page = client_for(org.finance).get(reverse("crm:order_detail", args=[world.order.pk]))
    assert page.status_code == 200
    assert "¥50.00" in page.content.decode()  # received
    assert "¥130.00" in page.content.decode()  # outstanding = 180.00 − 50.00


def test_inbox_one_click_approve(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    client = client_for(org.assistant)
    assert world.quote.number in client.get(reverse("crm:approval_inbox")).content.decode()
    resp = client.post(
        reverse("crm:approval_decide", args=[world.approval.pk]), {"decision": "approve", "reason": "同意"}
    )
    assert resp.status_code == 302
    assert Quote.objects.get(pk=world.quote.pk).status == QuoteStatus.APPROVED


def test_inbox_refusal_is_a_message_not_an_error(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    client = client_for(org.manager_a)
    resp = client.post(
        reverse("crm:approval_decide", args=[world.approval.pk]), {"decision": "approve"}, follow=True
    )
    assert "超出您的审批权限" in resp.content.decode()
    assert Quote.objects.get(pk=world.quote.pk).status == QuoteStatus.PENDING


def test_finance_records_refund_on_order_page(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    client = client_for(org.finance)
    url = reverse("crm:order_detail", args=[world.order.pk])
    resp = client.post(url, {"kind": "refund", "amount": "60.00", "reason": "退货"})
    assert resp.status_code == 200 and "超过已收金额" in resp.content.decode()
    assert client.post(url, {"kind": "refund", "amount": "20.00", "reason": "退货"}).status_code == 302
    assert Order.objects.get(pk=world.order.pk).received == Decimal("30.00")
    assert Payment.objects.filter(kind="refund").get().amount == Decimal("-20.00")


def test_quote_form_refuses_unvisited_customer_keeping_input(org, client_for):  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=org.rep_a1)
    resp = client_for(org.rep_a1).post(
        reverse("crm:quote_create"),
        {
            "customer": customer.pk,
            "title": "我的报价",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "A",
            "lines-0-quantity": "1",
            "lines-0-quoted_price": "90.00",
        },
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "现场拜访" in body and "我的报价" in body
    assert not Quote.objects.exists()


def test_contract_page_flow(org, client_for):  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    customer = CustomerFactory(owner=org.rep_a1)
    client = client_for(org.rep_a1)
    resp = client.post(
        reverse("crm:contract_create"),
        {"customer": customer.pk, "title": "页面合同", "amount": "1000.00", "standard_template": "on"},
    )
    contract = Contract.objects.get()
    assert resp.status_code == 302
    client.post(reverse("crm:contract_transition", args=[contract.pk]), {"to": "in_review"})
    contract.refresh_from_db()
    assert contract.status == "in_review"


def test_lead_import_page_reports_bad_rows(org, client_for, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    content = "公司名称,电话\n好公司,13900000001\n,13900000002\n".encode()
    upload = io.BytesIO(content)
    upload.name = "leads.csv"
    with django_capture_on_commit_callbacks(execute=True):  # issue 17: a background job, its page reports
        resp = client_for(org.manager_a).post(reverse("crm:lead_import"), {"file": upload})
    resp = client_for(org.manager_a).get(resp["Location"])  # the job's page, once the worker has run
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "已导入 1 行，重复 0 行，未导入 1 行。" in body
    assert '<td data-label="行号">3</td>' in body  # the bad row, labelled for the phone card
    assert Lead.objects.count() == 1


def test_lead_form_bad_phone_redisplayed(org, client_for):  # type: ignore[no-untyped-def]
    resp = client_for(org.manager_a).post(
        reverse("crm:lead_create"), {"company": "某公司", "source": "call", "phone": "123"}
    )
    assert resp.status_code == 200
    assert "电话号码格式不正确" in resp.content.decode()
    assert not Lead.objects.exists()


def test_order_create_page_bad_line_keeps_form(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)
    resp = client_for(org.rep_a1).post(
        reverse("crm:order_create", args=[world.contract.pk]),
        {
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "NO-SUCH",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "10.00",
        },
    )
    assert resp.status_code == 200
    assert "产品“NO-SUCH”不在产品目录中" in resp.content.decode()
    assert Order.objects.count() == 1


def test_inbox_lists_closes_to_confirm_for_the_manager(org, client_for):  # type: ignore[no-untyped-def]
    from crm.services import opportunities as opp_services

    w = build_world(org)
    opp_services.opportunity_transition(opportunity=w.opportunity, to="won", by=org.rep_a1)
    body = client_for(org.manager_a).get(reverse("crm:approval_inbox")).content.decode()
    assert w.opportunity.name in body and "待确认的赢单/输单" in body
    assert (
        "待确认的赢单/输单" not in client_for(org.rep_a1).get(reverse("crm:approval_inbox")).content.decode()
    )
    client_for(org.manager_a).post(reverse("crm:opportunity_confirm", args=[w.opportunity.pk]))
    w.opportunity.refresh_from_db()
    assert w.opportunity.close_confirmed_by == org.manager_a


def test_lead_page_reassign(org, client_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    client = client_for(org.manager_a)
    assert "重新分配" in client.get(reverse("crm:lead_detail", args=[w.lead.pk])).content.decode()
    client.post(reverse("crm:lead_assign", args=[w.lead.pk]), {"to_user": org.rep_a2.pk})
    w.lead.refresh_from_db()
    assert w.lead.assigned_to == org.rep_a2


def test_activity_logged_from_opportunity_page(org, client_for):  # type: ignore[no-untyped-def]
    w = build_world(org)
    client = client_for(org.rep_a1)
    client.post(
        reverse("crm:opportunity_activity", args=[w.opportunity.pk]),
        {"channel": "phone_regular", "topic": "电话跟进报价"},
    )
    body = client.get(reverse("crm:opportunity_detail", args=[w.opportunity.pk])).content.decode()
    assert "电话跟进报价" in body
    assert w.opportunity.followups.count() == 1


@pytest.mark.parametrize("who", ["assistant", "manager_a", "finance"])
def test_inbox_and_lists_flat_for_approvers(org, client_for, django_assert_max_num_queries, who):  # type: ignore[no-untyped-def]
    build_world(org, n=1)
    client = client_for(getattr(org, who))
    urls = [reverse("crm:approval_inbox"), reverse("crm:quote_list"), reverse("crm:order_list")]
    if who == "finance":  # finance has no pipeline pages (crm.policy.can_open_pipeline)
        urls.remove(reverse("crm:quote_list"))
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(25) as ctx:
            assert client.get(url).status_code == 200
        counts.append(len(ctx.captured_queries))
    build_world(org, n=4)
    for url, n in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(n):
            assert client.get(url).status_code == 200


def test_weekly_meeting_list_csv(org, client_for):  # type: ignore[no-untyped-def]
    import datetime as dt

    w = build_world(org)
    Order.objects.filter(pk=w.order.pk).update(due_on=dt.date(2020, 1, 1))
    resp = client_for(org.finance).get(reverse("crm:receivable_aging") + "?list=meeting&format=csv")
    body = resp.content.decode("utf-8-sig")
    assert resp["Content-Type"].startswith("text/csv")
    assert w.order.number in body and "130.00" in body
    assert w.order.number not in client_for(org.rep_b1).get(
        reverse("crm:receivable_aging") + "?list=meeting&format=csv"
    ).content.decode("utf-8-sig")
