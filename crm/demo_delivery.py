"""Demo data for 003 §9.3/§9.5: execution orders (执行单) on signed contracts — approved, and one still with
the 商务 manager — and implementation orders (实施单) for the implementation department (deliveryvp and
the 实施人员 impl1/impl2): one in progress with three items turned into tasks (one done),
one just sent to the department, one execution order still with the 商务 manager (and, when the rep has a
fourth signed contract, one approved without its implementation order yet)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from common.fen import allocate
from common.timeutil import local_today
from crm.demo_pipeline import _approve_all, _user
from crm.models import Contract, ContractStatus, ExecutionOrder, ImplementationOrder, Role, User
from crm.services import execution_orders as eo_services
from crm.services import implementation_orders as io_services
from crm.services.payment_plans import payment_plan_set
from crm.services.tasks import task_set_done


def _implementer(username: str, name: str, delivery_vp: User) -> User:
    return _user(username, name, Role.IMPLEMENTER, delivery_vp)


def seed(ctx: dict[str, Any]) -> None:
    dvp: User = ctx["delivery_vp"]
    impl1 = _implementer("impl1", "梁实施", dvp)
    impl2 = _implementer("impl2", "邓实施", dvp)
    if ExecutionOrder.objects.exists() or ImplementationOrder.objects.exists():
        return
    rep: User = ctx["reps"][0]
    today = local_today()
    contracts = list(
        Contract.objects.filter(
            owner=rep, status__in=[ContractStatus.SIGNED, ContractStatus.IN_DELIVERY]
        ).order_by("id")[:4]
    )
    made = 0
    for k, contract in enumerate(contracts):
        left = eo_services.execution_order_open_amount(contract)
        if left <= 0:
            continue
        eo = eo_services.execution_order_create(
            contract=contract,
            by=rep,
            deliverables="CRM 软件许可及现场实施",
            ship_on=today + dt.timedelta(days=3 + k),
            implement_on=today + dt.timedelta(days=7 + k),
            collect_amount=left,
            collect_on=today + dt.timedelta(days=30 + k),
        )
        if k == 2:
            continue  # still waiting for the 商务 manager
        _approve_all(eo, reason="可以发货")
        eo.refresh_from_db()
        if k == 3:
            continue  # approved; its implementation order is not raised yet
        order = io_services.implementation_order_create(
            execution_order=eo,
            by=rep,
            scope="CRM 系统上线：安装部署、数据迁移、用户培训",
            site=contract.customer.name,
            start_on=today + dt.timedelta(days=7 + k),
            finish_on=today + dt.timedelta(days=21 + k),
            lead=impl1,
            items=["安装部署", "数据迁移", "用户培训", "上线验收"],
        )
        if k == 0:
            # the payment milestones business staff follow on the implementation order's page
            if not contract.instalments.exists():  # type: ignore[attr-defined]
                first, rest = allocate(contract.amount, [3, 7])
                payment_plan_set(
                    contract=contract,
                    by=rep,
                    instalments=[
                        (today + dt.timedelta(days=30), first),
                        (today + dt.timedelta(days=90), rest),
                    ],
                )
            items = list(order.items.order_by("seq"))
            for n, item in enumerate(items[:3]):
                who = impl1 if n % 2 == 0 else impl2
                task = io_services.implementation_item_assign(
                    item=item, by=dvp, assignee=who, due_on=today + dt.timedelta(days=8 + n * 3)
                )
                if n == 0:
                    task_set_done(task=task, by=who)
            io_services.implementation_order_transition(order=order, to="in_progress", by=impl1)
        made += 1
    stdout = ctx.get("stdout")
    if stdout:
        stdout.write(f"delivery: {made} implementation orders")
