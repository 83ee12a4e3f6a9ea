"""003 §9.5 pages and API: the implementation order (实施单) raised from the execution order page, its list
(search, status filter, paging, fixed query count), its detail (items → 转为任务, progress, payment
milestones), the customer page's tab, the menu entry for the implementation side, and 404 for outsiders."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.menu import nav_for
from crm.models import ApprovalRequest, ImplementationOrder, Role, Task
from crm.services import execution_orders as eo_services
from crm.services import implementation_orders as io_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from crm.services.payment_plans import payment_plan_set
from tests.crm.factories import build_approvers, signed_contract
from tests.factories import NAV_QUERIES, UserFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 3)
FINISH = dt.date(2026, 12, 18)


@pytest.fixture
def world(org):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    approvers = build_approvers()
    impl = UserFactory(
        username="impl1", display_name="实施一", manager=approvers.delivery_vp, roles=[Role.IMPLEMENTER]
    )
    contract = signed_contract(org.rep_a1, org.manager_a)
    eo = eo_services.execution_order_create(
        contract=contract,
        by=org.rep_a1,
        deliverables="CRM 软件许可 50 套",
        ship_on=dt.date(2026, 12, 1),
        implement_on=START,
        collect_amount="60000.00",
        collect_on=dt.date(2026, 12, 31),
    )
    req = ApprovalRequest.objects.get(kind="execution_order", object_id=eo.pk)
    approval_decide(request=req, by=approvers.sales_admin, approve=True, reason="可以发货")
    eo.refresh_from_db()
    return org, approvers, approvers.delivery_vp, impl, contract, eo


def _raise(eo, by, **kw):  # type: ignore[no-untyped-def]
    args = {
        "scope": "CRM 上线实施",
        "start_on": START,
        "finish_on": FINISH,
        "items": ["安装部署", "用户培训"],
    }
    args.update(kw)
    return io_services.implementation_order_create(execution_order=eo, by=by, **args)


def _menu(user) -> list[str]:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return [str(i.label) for g in nav_for(request) for i in g.items]


def test_raised_from_the_execution_order_page_keeping_input_on_error(world, client_for):  # type: ignore[no-untyped-def]
    org, _approvers, _dvp, impl, _contract, eo = world
    client = client_for(org.rep_a1)
    page = client.get(reverse("crm:execution_order_detail", args=[eo.pk])).content.decode()
    create = reverse("crm:implementation_order_create", args=[eo.pk])
    assert "还没有实施单。" in page and create in page
    form = client.get(create).content.decode()
    assert 'value="2026-12-03"' in form and "CRM 软件许可 50 套" in form  # from the execution order
    bad = client.post(
        create,
        {
            "scope": "上线实施",
            "start_on": "2026-12-10",
            "finish_on": "2026-12-05",
            "items": "安装部署\n用户培训",
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "计划完成日期不能早于开始日期。" in html
    assert "安装部署" in html and "上线实施" in html and ImplementationOrder.objects.count() == 0
    ok = client.post(
        create,
        {
            "scope": "上线实施",
            "site": "上海",
            "start_on": "2026-12-03",
            "finish_on": "2026-12-18",
            "lead": impl.pk,
            "items": "安装部署\n\n用户培训\n",
        },
    )
    order = ImplementationOrder.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse(
        "crm:implementation_order_detail", args=[order.pk]
    )
    assert order.lead == impl and [i.title for i in order.items.all()] == ["安装部署", "用户培训"]
    page = client.get(reverse("crm:execution_order_detail", args=[eo.pk])).content.decode()
    assert order.number in page and "待实施" in page
    # someone else's execution order: no raise page
    assert client_for(org.rep_b1).get(create).status_code == 404


def test_detail_turns_items_into_tasks_and_shows_progress_and_payment_milestones(world, client_for):  # type: ignore[no-untyped-def]
    org, _approvers, dvp, impl, contract, eo = world
    payment_plan_set(
        contract=contract,
        by=org.rep_a1,
        instalments=[(dt.date(2026, 12, 31), "30000.00"), (dt.date(2027, 3, 31), "70000.00")],
    )
    order = _raise(eo, org.rep_a1)
    first, second = order.items.order_by("seq")
    url = reverse("crm:implementation_order_detail", args=[order.pk])
    client = client_for(dvp)
    html = client.get(url).content.decode()
    assert "转为任务" in html and "进度：已完成 0/2 项（0%）" in html and "开始实施" in html
    assert "付款节点" not in html  # the delivery side does not see the contract's money
    assign = reverse("crm:implementation_item_assign", args=[first.pk])
    bad = client.post(assign, {f"i{first.pk}-assignee": impl.pk, f"i{first.pk}-due_on": ""})
    assert bad.status_code == 400 and "该字段是必填项。" in bad.content.decode()
    resp = client.post(assign, {f"i{first.pk}-assignee": impl.pk, f"i{first.pk}-due_on": "2026-12-05"})
    assert resp.status_code == 302
    task = Task.objects.get(owner=impl)
    assert task.title == f"{order.number} 安装部署" and task.due_on == dt.date(2026, 12, 5)
    client.post(reverse("crm:implementation_order_transition", args=[order.pk]), {"to": "in_progress"})
    client_for(impl).post(reverse("crm:task_done", args=[task.pk]))
    rep_html = client_for(org.rep_a1).get(url).content.decode()
    assert "进度：已完成 1/2 项（50%）" in rep_html and "实施中" in rep_html
    assert "付款节点（回款计划）" in rep_html and "¥30,000.00" in rep_html and "¥70,000.00" in rep_html
    assert ">转为任务</button>" not in rep_html and ">撤回实施单</button>" in rep_html
    # completing with an open item is refused with the reason, nothing changes
    client = client_for(dvp)
    resp = client.post(
        reverse("crm:implementation_order_transition", args=[order.pk]), {"to": "completed"}, follow=True
    )
    assert "还有 1 项实施事项未完成，不能完成实施单。" in resp.content.decode()
    assert ImplementationOrder.objects.get(pk=order.pk).status == "in_progress"
    # outsiders: 404 on the page, the API and the actions
    other = client_for(org.rep_b1)
    assert other.get(url).status_code == 404
    assert other.get(reverse("crm_api:implementation-order-detail", args=[order.pk])).status_code == 404
    assert other.post(reverse("crm:implementation_item_assign", args=[second.pk]), {}).status_code == 404
    assert (
        other.post(
            reverse("crm:implementation_order_transition", args=[order.pk]), {"to": "cancelled"}
        ).status_code
        == 404
    )


def test_customer_page_tab_and_the_menu_for_the_implementation_side(world, client_for):  # type: ignore[no-untyped-def]
    org, approvers, dvp, impl, contract, eo = world
    order = _raise(eo, org.rep_a1)
    tab = client_for(org.rep_a1).get(
        reverse("crm:customer_tab", args=[contract.customer_id, "implementation"])
    )
    html = tab.content.decode()
    assert tab.status_code == 200 and order.number in html and "待实施" in html
    assert "实施单" in _menu(dvp) and "实施单" in _menu(impl) and "实施单" in _menu(approvers.sales_admin)
    assert "实施单" not in _menu(org.rep_a1) and "实施单" not in _menu(org.finance)
    listing = client_for(impl).get(reverse("crm:implementation_order_list")).content.decode()
    assert order.number in listing


def _queries(client, url) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_page_and_api_search_filter_and_cost_the_same_for_2_or_8(world, client_for):  # type: ignore[no-untyped-def]
    org, _approvers, _dvp, _impl, contract, eo = world
    for _ in range(2):
        _raise(eo, org.rep_a1)
    client = client_for(org.rep_a1)
    page, api = reverse("crm:implementation_order_list"), reverse("crm_api:implementation-order-list")
    client.get(page), client.get(api)  # warm-up
    small_page, small_api = _queries(client, page), _queries(client, api)
    for _ in range(6):
        _raise(eo, org.rep_a1)
    assert _queries(client, page) == small_page <= 6 + NAV_QUERIES
    assert _queries(client, api) == small_api
    first = ImplementationOrder.objects.order_by("id").first()
    io_services.implementation_order_transition(order=first, to="cancelled", by=org.rep_a1, comment="重复")
    body = client.get(page, {"q": contract.number}).content.decode()
    assert len(re.findall(r'href="/implementation-orders/\d+/"', body)) == 8
    body = client.get(page, {"status": "cancelled"}).content.decode()
    assert first.number in body and body.count("已取消") >= 1
    data = client.get(api, {"status": "cancelled"}).json()
    rows = data["results"]
    assert [r["number"] for r in rows] == [first.number]
    assert client_for(org.rep_b1).get(api).json()["results"] == []


def test_api_raises_assigns_and_moves_with_the_same_rules(world, api_for):  # type: ignore[no-untyped-def]
    org, _approvers, dvp, impl, _contract, eo = world
    url = reverse("crm_api:implementation-order-list")
    payload = {
        "execution_order": eo.pk,
        "scope": "上线实施",
        "start_on": "2026-12-03",
        "finish_on": "2026-12-18",
        "items": ["安装部署", "用户培训"],
    }
    refused = api_for(org.manager_a).post(url, payload, format="json")
    assert (
        refused.status_code == 403 and "只有合同负责人或商务经理可以发起实施单。" in refused.content.decode()
    )
    assert api_for(org.rep_b1).post(url, payload, format="json").status_code == 400  # not theirs to see
    resp = api_for(org.rep_a1).post(url, payload, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "notified" and body["status_label"] == "待实施"
    assert [r["title"] for r in body["item_rows"]] == ["安装部署", "用户培训"] and body["progress"] == {
        "done": 0,
        "total": 2,
    }
    pk, item = body["id"], body["item_rows"][0]["id"]
    assign = reverse("crm_api:implementation-order-assign", args=[pk])
    denied = api_for(org.rep_a1).post(
        assign, {"item": item, "assignee": impl.pk, "due_on": "2026-12-05"}, format="json"
    )
    assert denied.status_code == 403
    ok = api_for(dvp).post(assign, {"item": item, "assignee": impl.pk, "due_on": "2026-12-05"}, format="json")
    assert ok.status_code == 200 and ok.json()["item_rows"][0]["assignee_name"] == "实施一"
    move = reverse("crm_api:implementation-order-transition", args=[pk])
    started = api_for(impl).post(move, {"to": "in_progress"}, format="json")
    assert started.status_code == 403  # neither the delivery VP nor the lead
    started = api_for(dvp).post(move, {"to": "in_progress"}, format="json")
    assert started.status_code == 200 and started.json()["status_label"] == "实施中"
    cancel = api_for(org.rep_a1).post(move, {"to": "cancelled"}, format="json")
    assert cancel.status_code == 400 and "撤回实施单请填写原因。" in cancel.content.decode()
    assert (
        api_for(org.rep_b1).post(move, {"to": "cancelled", "comment": "x"}, format="json").status_code == 404
    )
