"""003 §9.3/§9.5: an approved execution order (执行单) tells delivery, finance and the owner to start;
business staff raise an implementation order (实施单) on it, which notifies the implementation department (the
delivery VP and the 实施人员); its items become tasks of implementation staff; business staff
follow its progress and the contract's payment milestones; outsiders get a 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from common.errors import DomainError
from common.models import Notification
from crm.models import (
    ApprovalRequest,
    ImplementationOrder,
    ImplementationStatus,
    Role,
    Task,
)
from crm.services import execution_orders as eo_services
from crm.services import implementation_orders as io_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from crm.services.tasks import task_set_done
from tests.crm.factories import build_approvers, signed_contract
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHIP = dt.date(2026, 12, 1)
COLLECT = dt.date(2026, 12, 31)
START = dt.date(2026, 12, 3)
FINISH = dt.date(2026, 12, 18)


@pytest.fixture
def world(org):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    approvers = build_approvers()
    dvp = approvers.delivery_vp
    impl = UserFactory(username="impl1", display_name="实施一", manager=dvp, roles=[Role.IMPLEMENTER])
    impl2 = UserFactory(username="impl2", display_name="实施二", manager=dvp, roles=[Role.IMPLEMENTER])
    contract = signed_contract(org.rep_a1, org.manager_a)
    eo = eo_services.execution_order_create(
        contract=contract,
        by=org.rep_a1,
        deliverables="CRM 软件许可 50 套，现场实施 5 天",
        ship_on=SHIP,
        collect_amount="60000.00",
        collect_on=COLLECT,
    )
    return org, approvers, dvp, impl, impl2, contract, eo


def _approve(approvers, eo, capture):  # type: ignore[no-untyped-def]
    req = ApprovalRequest.objects.get(kind="execution_order", object_id=eo.pk)
    with capture(execute=True):
        approval_decide(request=req, by=approvers.sales_admin, approve=True, reason="可以发货")
    eo.refresh_from_db()
    return eo


def _raise(eo, by, capture, **kw):  # type: ignore[no-untyped-def]
    args = {
        "scope": "CRM 上线实施",
        "start_on": START,
        "finish_on": FINISH,
        "items": ["安装部署", "数据迁移", "用户培训"],
        "site": "上海客户总部",
    }
    args.update(kw)
    with capture(execute=True):
        return io_services.implementation_order_create(execution_order=eo, by=by, **args)


def texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(user=user).order_by("id").values_list("text", flat=True))


def test_an_approved_execution_order_tells_delivery_finance_and_the_owner(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    org, approvers, dvp, impl, _impl2, contract, eo = world
    Notification.objects.all().delete()
    _approve(approvers, eo, django_capture_on_commit_callbacks)
    start = (
        f"执行单 {eo.number}（合同 {contract.number}）已审批通过：请于 2026-12-01 发货，2026-12-31 收款 "
        "¥60,000.00，并安排实施。"
    )
    assert start in texts(dvp) and start in texts(org.finance) and start in texts(org.rep_a1)
    assert texts(impl) == [] and texts(org.rep_b1) == []
    assert Notification.objects.get(user=dvp).link == reverse("crm:execution_order_detail", args=[eo.pk])


def test_raising_needs_an_approved_execution_order_and_business_staff(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    org, approvers, _dvp, _impl, _impl2, _contract, eo = world
    with pytest.raises(DomainError, match="执行单审批通过后才能发起实施单（当前状态：审批中）。"):
        _raise(eo, org.rep_a1, django_capture_on_commit_callbacks)
    _approve(approvers, eo, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError, match="只有合同负责人或商务经理可以发起实施单。"):
        _raise(eo, org.manager_a, django_capture_on_commit_callbacks)
    with pytest.raises(DomainError, match="计划完成日期不能早于开始日期。"):
        _raise(eo, org.rep_a1, django_capture_on_commit_callbacks, finish_on=dt.date(2026, 12, 1))
    with pytest.raises(DomainError, match="请至少填写一项实施事项。"):
        _raise(eo, org.rep_a1, django_capture_on_commit_callbacks, items=["  "])
    with pytest.raises(DomainError, match="实施负责人须是实施部门的人员。"):
        _raise(eo, org.rep_a1, django_capture_on_commit_callbacks, lead=org.rep_b1)
    assert ImplementationOrder.objects.count() == 0
    # the 商务 manager may raise one too
    order = _raise(eo, approvers.sales_admin, django_capture_on_commit_callbacks)
    assert order.number.startswith("IM") and order.status == ImplementationStatus.NOTIFIED


def test_raise_notifies_the_department_items_become_tasks_and_completion_is_reported(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    org, approvers, dvp, impl, impl2, contract, eo = world
    _approve(approvers, eo, django_capture_on_commit_callbacks)
    Notification.objects.all().delete()
    order = _raise(eo, org.rep_a1, django_capture_on_commit_callbacks, lead=impl)
    notice = (
        f"实施通知：{org.rep_a1} 发起实施单 {order.number}（合同 {contract.number}，2026-12-03 开始），"
        "请安排实施。"
    )
    assert texts(dvp) == [notice] and texts(impl) == [notice] and texts(impl2) == [notice]
    assert texts(org.rep_a1) == [] and texts(org.manager_a) == []
    assert [(h.from_status, h.to_status, h.changed_by) for h in order.history.all()] == [
        ("", "notified", org.rep_a1)
    ]
    first, second, third = order.items.order_by("seq")
    assert [first.title, second.title, third.title] == ["安装部署", "数据迁移", "用户培训"]

    # 转为任务: the delivery VP gives an item to an implementation staff member, who is told.
    with django_capture_on_commit_callbacks(execute=True):
        task = io_services.implementation_item_assign(item=first, by=dvp, assignee=impl2, due_on=START)
    assert task.owner == impl2 and task.created_by == dvp and task.customer_id is None
    assert task.title == f"{order.number} 安装部署" and task.due_on == START
    assert (
        texts(impl2)[-1]
        == f"{dvp} 给您分派了实施任务：“安装部署”（实施单 {order.number}），截止 2026-12-03。"
    )
    with pytest.raises(DomainError, match="该事项已转为任务。"):
        io_services.implementation_item_assign(item=first, by=dvp, assignee=impl, due_on=START)
    with pytest.raises(DomainError, match="只有交付副总裁或实施负责人可以分派实施事项。"):
        io_services.implementation_item_assign(item=second, by=org.rep_a1, assignee=impl, due_on=START)
    with pytest.raises(DomainError, match="请选择实施部门的人员。"):
        io_services.implementation_item_assign(item=second, by=dvp, assignee=org.rep_b1, due_on=START)
    # the lead may assign too
    io_services.implementation_item_assign(item=second, by=impl, assignee=impl, due_on=FINISH)
    io_services.implementation_item_assign(item=third, by=impl, assignee=impl2, due_on=FINISH)

    io_services.implementation_order_transition(order=order, to="in_progress", by=impl)
    with django_capture_on_commit_callbacks(execute=True):
        task_set_done(task=task, by=impl2)
    assert texts(org.rep_a1)[-1] == f"实施事项已完成：“安装部署”（实施单 {order.number}，{impl2}）。"
    assert io_services.implementation_progress(order) == io_services.Progress(done=1, total=3)
    with pytest.raises(DomainError, match="还有 2 项实施事项未完成，不能完成实施单。"):
        io_services.implementation_order_transition(order=order, to="completed", by=dvp)
    for t in Task.objects.filter(implementation_item__order=order, done_at__isnull=True):
        task_set_done(task=t, by=t.owner)
    with pytest.raises(DomainError, match="只有交付副总裁或实施负责人可以操作。"):
        io_services.implementation_order_transition(order=order, to="completed", by=org.rep_a1)
    with django_capture_on_commit_callbacks(execute=True):
        done = io_services.implementation_order_transition(order=order, to="completed", by=dvp)
    assert done.status == "completed" and done.completed_at is not None
    assert texts(org.rep_a1)[-1] == f"实施单 {order.number}（合同 {contract.number}）已实施完成（{dvp}）。"
    assert [h.to_status for h in order.history.all()] == ["notified", "in_progress", "completed"]
    with pytest.raises(DomainError, match="实施单当前状态为“已完成”，不能执行此操作。"):
        io_services.implementation_order_transition(order=order, to="cancelled", by=org.rep_a1, comment="x")


def test_business_staff_withdraw_with_a_reason_and_the_department_is_told(
    world, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    org, approvers, dvp, impl, _impl2, contract, eo = world
    _approve(approvers, eo, django_capture_on_commit_callbacks)
    order = _raise(eo, org.rep_a1, django_capture_on_commit_callbacks, lead=impl)
    with pytest.raises(DomainError, match="撤回实施单请填写原因。"):
        io_services.implementation_order_transition(order=order, to="cancelled", by=org.rep_a1)
    with pytest.raises(DomainError, match="只有发起人、合同负责人或商务经理可以撤回实施单。"):
        io_services.implementation_order_transition(order=order, to="cancelled", by=impl, comment="不做了")
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        io_services.implementation_order_transition(
            order=order, to="cancelled", by=org.rep_a1, comment="客户推迟上线"
        )
    text = f"实施单 {order.number}（合同 {contract.number}）已撤回（{org.rep_a1}）。原因：客户推迟上线"
    assert texts(dvp) == [text] and texts(impl) == [text] and texts(org.rep_a1) == []
