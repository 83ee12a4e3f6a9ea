"""003 §9.3/§9.5: the owner of a signed contract raises an execution order (执行单); the 销售管理部商务经理
approves it through the authority matrix; the contract page shows it with its approval state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from common.errors import DomainError
from crm.models import ApprovalRequest, ExecutionOrder, Role
from crm.services import execution_orders as eo_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from tests.crm.factories import build_approvers, signed_contract

pytestmark = pytest.mark.django_db

SHIP = dt.date(2026, 12, 1)
COLLECT = dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _matrix(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()


def _raise(contract, by, amount="60000.00"):  # type: ignore[no-untyped-def]
    return eo_services.execution_order_create(
        contract=contract,
        by=by,
        deliverables="CRM 软件许可 50 套，现场实施 5 天",
        ship_on=SHIP,
        collect_amount=amount,
        collect_on=COLLECT,
    )


def test_created_order_is_pending_with_the_business_manager_chain(rep, manager):  # type: ignore[no-untyped-def]
    contract = signed_contract(rep, manager)
    eo = _raise(contract, rep)
    assert eo.number.startswith("EO") and eo.status == "pending"
    req = ApprovalRequest.objects.get(kind="execution_order", object_id=eo.pk)
    assert req.status == "pending"
    assert req.amount == Decimal("60000.00")
    assert [s.role_list for s in req.steps.order_by("order")] == [[Role.SALES_ADMIN_MANAGER]]


def test_business_manager_approves_and_the_contract_page_shows_it(rep, manager, client_for):  # type: ignore[no-untyped-def]
    approvers = build_approvers()
    contract = signed_contract(rep, manager)
    eo = _raise(contract, rep)
    req = ApprovalRequest.objects.get(kind="execution_order", object_id=eo.pk)
    with pytest.raises(DomainError):  # the rep's own department manager is not the business manager
        approval_decide(request=req, by=manager, approve=True, reason="同意")
    approval_decide(request=req, by=approvers.sales_admin, approve=True, reason="可以发货")
    eo.refresh_from_db()
    assert eo.status == "approved" and eo.get_status_display() == "已批准"
    page = client_for(rep).get(reverse("crm:contract_detail", args=[contract.pk])).content.decode()
    assert eo.number in page and "已批准" in page and "¥60,000.00" in page
    detail = client_for(rep).get(reverse("crm:execution_order_detail", args=[eo.pk])).content.decode()
    assert "CRM 软件许可 50 套" in detail and "2026-12-01" in detail and "已批准" in detail


def test_rejected_order_frees_the_amount_again(rep, manager):  # type: ignore[no-untyped-def]
    approvers = build_approvers()
    contract = signed_contract(rep, manager)  # ¥100,000.00
    eo = _raise(contract, rep, "60000.00")
    req = ApprovalRequest.objects.get(kind="execution_order", object_id=eo.pk)
    approval_decide(request=req, by=approvers.sales_admin, approve=False, reason="交付内容不清")
    eo.refresh_from_db()
    assert eo.status == "rejected"
    assert eo_services.execution_order_open_amount(contract) == Decimal("100000.00")


def test_someone_outside_the_scope_gets_404(rep, other_rep, manager, client_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(rep, manager)
    eo = _raise(contract, rep)
    client = client_for(other_rep)
    assert client.get(reverse("crm:execution_order_detail", args=[eo.pk])).status_code == 404
    assert client.get(reverse("crm:execution_order_create", args=[contract.pk])).status_code == 404
    assert client.get(reverse("crm_api:execution-order-detail", args=[eo.pk])).status_code == 404
    listed = client.get(reverse("crm_api:execution-order-list")).json()
    assert eo.number not in str(listed)
    # the owner's manager sees it, but raising one is the owner's
    boss = client_for(manager)
    assert boss.get(reverse("crm:execution_order_detail", args=[eo.pk])).status_code == 200
    assert boss.get(reverse("crm:execution_order_create", args=[contract.pk])).status_code == 404


def test_bad_input_on_the_page_keeps_the_form_and_saves_nothing(rep, manager, client_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(rep, manager)  # ¥100,000.00
    client = client_for(rep)
    url = reverse("crm:execution_order_create", args=[contract.pk])
    resp = client.post(
        url,
        {
            "deliverables": "软件许可",
            "ship_on": "2026-12-01",
            "collect_amount": "100000.01",
            "collect_on": "2026-12-31",
        },
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "应收金额 ¥100,000.01 超过合同尚未执行的金额 ¥100,000.00。" in body
    assert "软件许可" in body  # input kept
    assert ExecutionOrder.objects.count() == 0 and not ApprovalRequest.objects.filter(kind="execution_order")


def test_api_creates_and_refuses_with_clear_messages(rep, manager, client_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(rep, manager)
    client = client_for(rep)
    url = reverse("crm_api:execution-order-list")
    good = {
        "contract": contract.pk,
        "deliverables": "软件许可",
        "ship_on": "2026-12-01",
        "collect_amount": "40000.00",
        "collect_on": "2026-12-31",
    }
    bad = client.post(url, {**good, "implement_on": "2026-11-01"}, content_type="application/json")
    assert bad.status_code == 400 and "计划实施日期不能早于发货日期。" in bad.content.decode()
    assert ExecutionOrder.objects.count() == 0
    ok = client.post(url, good, content_type="application/json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["status"] == "pending" and ok.json()["status_label"] == "审批中"
    assert ok.json()["collect_amount"] == "40000.00"


def test_only_a_signed_contract_can_be_executed(rep, manager):  # type: ignore[no-untyped-def]
    from crm.services import contracts as contract_services
    from tests.crm.factories import visited_customer

    draft = contract_services.contract_create(
        by=rep, customer=visited_customer(rep), title="草稿合同", amount=Decimal("1000.00")
    )
    with pytest.raises(DomainError, match="合同签约后才能发起执行单"):
        _raise(draft, rep, "500.00")
    assert ExecutionOrder.objects.count() == 0


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_page_and_api_cost_the_same_for_2_or_8_orders(rep, manager, client_for):  # type: ignore[no-untyped-def]
    from tests.factories import NAV_QUERIES

    contract = signed_contract(rep, manager)
    for _ in range(2):
        _raise(contract, rep, "1000.00")
    client = client_for(rep)
    page, api = reverse("crm:execution_order_list"), reverse("crm_api:execution-order-list")
    client.get(page), client.get(api)  # warm-up
    small_page, small_api = _queries(client, page), _queries(client, api)
    for _ in range(6):
        _raise(contract, rep, "1000.00")
    assert _queries(client, page) == small_page <= 6 + NAV_QUERIES
    assert _queries(client, api) == small_api
    body = client.get(page, {"q": contract.number}).content.decode()
    assert body.count("¥1,000.00") == 8
