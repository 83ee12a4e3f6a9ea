"""The approvals centre (issue 15): one page, tabs by kind for what the user may decide, cards with the
context to decide, inline approve/reject through the kinds' own services, bulk approve where allowed,
and a message that says what happened and who was told."""

from __future__ import annotations

import pytest
from django.urls import reverse

from common.models import Notification
from crm.models import ApprovalRequest, Customer, Quote, QuoteStatus, ReviewStatus
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, visited_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def pending_quote(rep, price: str = "80.00", name: str = "杭州云栖科技有限公司") -> Quote:  # type: ignore[no-untyped-def]
    """A quote at `price` of a ¥100.00 list price, sent for approval (≥ 5折: the department manager)."""
    authority_rules_seed_defaults()
    priced_product("A", "100.00", "60.00")
    customer = visited_customer(rep, name=name)
    quote = quote_services.quote_create(
        by=rep,
        customer=customer,
        title="年度软件",
        lines=[{"product": "A", "quantity": "1", "quoted_price": price}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    return quote


def request_of(quote: Quote) -> ApprovalRequest:
    return ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)


def test_manager_sees_a_quote_card_with_what_is_needed_to_decide(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    html = client_for(org.manager_a).get(reverse("crm:approval_inbox") + "?tab=quotes").content.decode()
    assert quote.number in html
    assert "杭州云栖科技有限公司" in html  # customer
    assert "¥80.00" in html and "¥100.00" in html  # quoted and list totals
    assert "20%" in html  # discount off list
    assert "¥20.00" in html  # above the floor price (¥60.00)
    assert str(org.rep_a1) in html  # requester
    assert "第1步 待 " in html  # history: whose turn it is
    card = html[html.index(f'id="approval-quotes-{request_of(quote).pk}"') :]
    assert 'data-action="approve"' in card and 'data-action="reject"' in card  # decided right here


def test_tabs_follow_what_each_role_may_decide(org, client_for) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()

    def tabs(user) -> list[str]:  # type: ignore[no-untyped-def]
        html = client_for(user).get(reverse("crm:approval_inbox")).content.decode()
        return [
            key
            for key in ("quotes", "discounts", "customers", "contracts", "settlements", "collisions", "other")
            if f'data-tab="{key}"' in html
        ]

    assert tabs(org.manager_a) == ["quotes", "customers", "contracts", "settlements", "collisions"]
    assert tabs(org.finance) == ["settlements", "other"]  # settlements and write-offs
    assert "quotes" not in tabs(org.rep_a1)  # a rep approves no quote
    assert tabs(org.assistant)[:1] == ["quotes"]  # 4.5折 quotes are the president's assistant's


def test_inline_approve_says_what_happened_and_tells_the_requester(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    req = request_of(quote)
    url = reverse("crm:approval_centre_decide", args=["quotes", req.pk])
    resp = client_for(org.manager_a).post(url, {"decision": "approve"}, **HX)
    text = resp.content.decode()
    assert resp.status_code == 200
    assert f"已同意「{req.title}」，审批完成，已通知 {org.rep_a1}。" in text
    assert f'id="approval-quotes-{req.pk}"' in text  # the card is replaced in place
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.APPROVED


def test_inline_approve_refreshes_the_tab_count_and_the_menu_badge_in_the_same_response(
    org, client_for
) -> None:  # type: ignore[no-untyped-def]
    first = request_of(pending_quote(org.rep_a1, name="杭州一号客户有限公司"))
    pending_quote(org.rep_a1, name="杭州二号客户有限公司")
    client = client_for(org.manager_a)
    page = client.get(reverse("crm:approval_inbox") + "?tab=quotes").content.decode()
    assert 'id="nav-badge-crmapproval_inbox"><span class="badge bg-red text-red-fg">2</span>' in page
    resp = client.post(
        reverse("crm:approval_centre_decide", args=["quotes", first.pk]), {"decision": "approve"}, **HX
    )
    text = resp.content.decode()
    tabs = text[text.index('<nav id="approval-tabs" hx-swap-oob="true"') :]
    quotes_tab = tabs[tabs.index('data-tab="quotes"') : tabs.index("</a>", tabs.index('data-tab="quotes"'))]
    assert '<span class="badge bg-red text-red-fg ms-1">1</span>' in quotes_tab  # 2 → 1
    assert (
        '<span class="ms-auto nav-badge" id="nav-badge-crmapproval_inbox" hx-swap-oob="true">'
        '<span class="badge bg-red text-red-fg">1</span></span>'
    ) in text


def test_the_last_inline_decision_clears_the_badges(org, client_for) -> None:  # type: ignore[no-untyped-def]
    req = request_of(pending_quote(org.rep_a1))
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_decide", args=["quotes", req.pk]),
        {"decision": "reject", "reason": "价格太低"},
        **HX,
    )
    text = resp.content.decode()
    assert 'id="nav-badge-crmapproval_inbox" hx-swap-oob="true"></span>' in text  # no empty badge
    assert "bg-red" not in text[text.index('<nav id="approval-tabs"') :]


def test_the_requester_is_notified_after_commit(org, client_for, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    req = request_of(quote)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.manager_a).post(
            reverse("crm:approval_centre_decide", args=["quotes", req.pk]),
            {"decision": "reject", "reason": "价格太低"},
        )
    note = Notification.objects.get(user=org.rep_a1)
    assert note.text == f"{org.manager_a} 已驳回：{req.title}"
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.REJECTED


def test_reject_without_reason_is_refused_in_place_and_changes_nothing(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    req = request_of(quote)
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_decide", args=["quotes", req.pk]),
        {"decision": "reject", "reason": ""},
        **HX,
    )
    assert resp.status_code == 200
    assert resp["HX-Retarget"] == f"#approval-msg-quotes-{req.pk}"
    assert "驳回时请填写原因" in resp.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.PENDING


def test_without_javascript_the_decision_comes_back_as_a_message(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    req = request_of(quote)
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_decide", args=["quotes", req.pk]), {"decision": "approve"}, follow=True
    )
    assert f"已同意「{req.title}」，审批完成，已通知 {org.rep_a1}。" in resp.content.decode()


def test_a_rep_cannot_decide_through_the_centre(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    req = request_of(quote)
    resp = client_for(org.rep_a2).post(
        reverse("crm:approval_centre_decide", args=["quotes", req.pk]), {"decision": "approve"}, follow=True
    )
    assert "您不处理这类审批" in resp.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.PENDING


def test_a_quote_above_my_authority_is_refused_by_the_same_service(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1, price="47.00")  # 4.7折: the president's assistant's
    req = request_of(quote)
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_decide", args=["quotes", req.pk]), {"decision": "approve"}, **HX
    )
    assert "超出您的审批权限：此步骤应由 总裁助理 审批。" in resp.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.PENDING


def test_bulk_approve_decides_each_quote_through_the_service(org, client_for) -> None:  # type: ignore[no-untyped-def]
    q1 = pending_quote(org.rep_a1, name="甲公司")
    q2 = pending_quote(org.rep_a2, name="乙公司")
    ids = [request_of(q1).pk, request_of(q2).pk]
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_bulk", args=["quotes"]), {"ids": ids}, follow=True
    )
    html = resp.content.decode()
    assert "已批量同意 2 项。" in html
    assert f"已通知 {org.rep_a2}" in html
    assert set(Quote.objects.filter(pk__in=[q1.pk, q2.pk]).values_list("status", flat=True)) == {
        QuoteStatus.APPROVED
    }


def test_no_bulk_where_the_rules_do_not_allow_it(org, client_for) -> None:  # type: ignore[no-untyped-def]
    CustomerFactory(owner=org.rep_a1, review_status=ReviewStatus.PENDING)
    resp = client_for(org.manager_a).post(
        reverse("crm:approval_centre_bulk", args=["collisions"]), {"ids": [1]}, follow=True
    )
    assert "您不处理这类审批，或这类事项不能在此处理" in resp.content.decode()


def test_new_customer_tab_approves_inline_and_tells_the_owner(org, client_for) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(
        owner=org.rep_a1, review_status=ReviewStatus.PENDING, name="苏州新客户有限公司"
    )
    client = client_for(org.manager_a)
    assert (
        "苏州新客户有限公司" in client.get(reverse("crm:approval_inbox") + "?tab=customers").content.decode()
    )
    resp = client.post(
        reverse("crm:approval_centre_decide", args=["customers", customer.pk]), {"decision": "approve"}, **HX
    )
    assert f"已通过新客户「苏州新客户有限公司」的审核，已通知 {org.rep_a1}。" in resp.content.decode()
    assert Customer.objects.get(pk=customer.pk).review_status == ReviewStatus.APPROVED


def test_the_centre_costs_the_same_queries_for_2_or_8_quotes(
    org, client_for, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.manager_a)
    url = reverse("crm:approval_inbox") + "?tab=quotes"
    for i in range(2):
        pending_quote(org.rep_a1, name=f"少{i}公司")
    client.get(url)  # warm-up: the user's menu is worked out once, then kept (common.menu)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(6):
        pending_quote(org.rep_a2, name=f"多{i}公司")
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert html.count('class="card mb-3 approval-card"') == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_api_inbox_gives_the_same_list_by_tab_or_kind(org, api_for) -> None:  # type: ignore[no-untyped-def]
    quote = pending_quote(org.rep_a1)
    api = api_for(org.manager_a)
    by_tab = api.get("/api/approvals/inbox/?tab=quotes").data["results"]
    assert [r["id"] for r in by_tab] == [request_of(quote).pk]
    assert api.get("/api/approvals/inbox/?kind=quote_discount").data["results"] == by_tab
    assert api.get("/api/approvals/inbox/?tab=contracts").data["results"] == []


def test_the_card_labels_use_the_readers_punctuation(org, client_for) -> None:  # type: ignore[no-untyped-def]
    pending_quote(org.rep_a1)
    client = client_for(org.manager_a)
    assert (
        f"申请人：{org.rep_a1}" in client.get(reverse("crm:approval_inbox") + "?tab=quotes").content.decode()
    )
    client.cookies["django_language"] = "en"
    html = client.get(reverse("crm:approval_inbox") + "?tab=quotes").content.decode()
    assert f"Applicant: {org.rep_a1}" in html and "Applicant：" not in html


def test_an_empty_my_requests_list_says_what_will_appear_there(org, client_for) -> None:  # type: ignore[no-untyped-def]
    html = client_for(org.rep_a2).get(reverse("crm:approval_inbox")).content.decode()
    assert "您还没有提交过申请。报价、合同送审或申请客户佣金/补量后，进度会列在这里。" in html
