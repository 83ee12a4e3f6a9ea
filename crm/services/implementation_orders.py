"""003 §9.5: implementation orders (实施单). Business staff raise one on an approved execution order; it
notifies the implementation department; its items become tasks of implementation staff; the delivery
VP (or the order's lead) starts it and completes it once every item's task is done; business staff may
withdraw it with a reason. One transitions table, a history row per step, a notification per event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import Words, words
from common.errors import DomainError
from common.notifications import notify
from common.timeutil import date_in_sane_range, sane_range_message
from crm import policy
from crm.models import (
    ExecutionOrder,
    ExecutionOrderStatus,
    ImplementationChange,
    ImplementationItem,
    ImplementationOrder,
    ImplementationStatus,
    Task,
    User,
)
from crm.services.numbering import assign_number, provisional_number

S = ImplementationStatus
# (from, to) → who may make the move: "delivery" (the delivery VP or the order's lead, crm.policy
# can_run_implementation) or "business" (whoever raised it, the owner's side, the 商务 manager).
IMPLEMENTATION_TRANSITIONS: dict[tuple[str, str], str] = {
    (S.NOTIFIED, S.IN_PROGRESS): "delivery",
    (S.IN_PROGRESS, S.COMPLETED): "delivery",
    (S.NOTIFIED, S.CANCELLED): "business",
    (S.IN_PROGRESS, S.CANCELLED): "business",
}
OPEN = (S.NOTIFIED, S.IN_PROGRESS)
MAX_ITEMS = 50


def _link(order: ImplementationOrder) -> str:
    return reverse("crm:implementation_order_detail", args=[order.pk])


def _send(users: Iterable[User | None], text: Words, link: str) -> None:
    wanted = list(users)
    transaction.on_commit(lambda: notify(users=wanted, text=text, link=link))


def _history(order: ImplementationOrder, frm: str, to: str, by: User | None, comment: str = "") -> None:
    ImplementationChange.objects.create(
        order=order,
        from_status=frm,
        to_status=to,
        changed_by=by,
        changed_at=timezone.now(),
        comment=comment[:500],
    )


def _date(value: dt.date | None, field: str, message: str) -> dt.date:
    if value is None:
        raise DomainError(message, code="required", field=field)
    if not date_in_sane_range(value):
        raise DomainError(sane_range_message(), field=field)
    return value


def _items(items: Iterable[str] | str) -> list[str]:
    if isinstance(items, str):
        items = items.splitlines()
    clean = [str(i).strip()[:200] for i in items if str(i).strip()]
    if not clean:
        raise DomainError(_("请至少填写一项实施事项。"), code="required", field="items")
    if len(clean) > MAX_ITEMS:
        raise DomainError(
            _("实施事项最多 %(n)s 项。") % {"n": MAX_ITEMS}, code="too_many_items", field="items"
        )
    return clean


@transaction.atomic
def implementation_order_create(
    *,
    execution_order: ExecutionOrder,
    by: User,
    scope: str,
    start_on: dt.date | None,
    finish_on: dt.date | None,
    items: Iterable[str] | str,
    site: str = "",
    lead: User | None = None,
) -> ImplementationOrder:
    """Raise an implementation order on an approved execution order and notify the implementation
    department (and the lead, if one is named). Refuses an execution order not yet approved, anyone
    but business staff, missing content or dates, and a lead outside the implementation department."""
    eo = ExecutionOrder.objects.select_for_update().select_related("contract").get(pk=execution_order.pk)
    if eo.status != ExecutionOrderStatus.APPROVED:
        raise DomainError(
            _("执行单审批通过后才能发起实施单（当前状态：%(s)s）。") % {"s": eo.get_status_display()},
            code="execution_order_not_approved",
            status=409,
        )
    if not policy.can_raise_implementation_order(by, eo):
        raise DomainError(_("只有合同负责人或商务经理可以发起实施单。"), code="not_allowed", status=403)
    scope = (scope or "").strip()
    if not scope:
        raise DomainError(_("请填写实施内容。"), code="required", field="scope")
    start = _date(start_on, "start_on", _("请填写计划开始日期。"))
    finish = _date(finish_on, "finish_on", _("请填写计划完成日期。"))
    if finish < start:
        raise DomainError(_("计划完成日期不能早于开始日期。"), code="invalid_date", field="finish_on")
    titles = _items(items)
    staff = policy.implementation_staff()
    if lead is not None and not staff.filter(pk=lead.pk).exists():
        raise DomainError(_("实施负责人须是实施部门的人员。"), code="not_implementation_staff", field="lead")
    order = ImplementationOrder.objects.create(
        number=provisional_number(),
        execution_order=eo,
        contract=eo.contract,
        scope=scope[:2000],
        site=(site or "").strip()[:200],
        start_on=start,
        finish_on=finish,
        lead=lead,
        created_by=by,
    )
    assign_number(order, prefix="IM")
    ImplementationItem.objects.bulk_create(
        ImplementationItem(order=order, seq=i, title=t) for i, t in enumerate(titles, start=1)
    )
    _history(order, "", S.NOTIFIED, by)
    text = words(
        gettext_noop("实施通知：%(by)s 发起实施单 %(n)s（合同 %(c)s，%(start)s 开始），请安排实施。"),
        by=by,
        n=order.number,
        c=eo.contract.number,
        start=start.isoformat(),
    )
    _send([*staff.exclude(pk=by.pk), lead], text, _link(order))
    return order


@transaction.atomic
def implementation_item_assign(
    *, item: ImplementationItem, by: User, assignee: User | None, due_on: dt.date | None
) -> Task:
    """转为任务: the item becomes a task (待办) of an implementation staff member, who is notified."""
    item = ImplementationItem.objects.select_for_update().select_related("order__contract").get(pk=item.pk)
    order = item.order
    if not policy.can_run_implementation(by, order):
        raise DomainError(_("只有交付副总裁或实施负责人可以分派实施事项。"), code="not_allowed", status=403)
    if order.status not in OPEN:
        raise DomainError(
            _("实施单已%(s)s，不能再分派。") % {"s": order.get_status_display()}, code="closed", status=409
        )
    if item.task_id is not None:
        raise DomainError(_("该事项已转为任务。"), code="already_assigned", status=409)
    if assignee is None or not policy.implementation_staff().filter(pk=assignee.pk).exists():
        raise DomainError(_("请选择实施部门的人员。"), code="not_implementation_staff", field="assignee")
    due = _date(due_on, "due_on", _("请填写截止日期。"))
    # No customer on the task: implementation staff do not open the customer book (C11); the title
    # names the implementation order, whose page they see.
    task = Task.objects.create(
        owner=assignee, created_by=by, title=f"{order.number} {item.title}"[:200], due_on=due
    )
    item.task = task
    item.save(update_fields=["task"])
    text = words(
        gettext_noop("%(by)s 给您分派了实施任务：“%(t)s”（实施单 %(n)s），截止 %(due)s。"),
        by=by,
        t=item.title,
        n=order.number,
        due=due.isoformat(),
    )
    _send([assignee], text, _link(order))
    return task


def implementation_item_task_done(task: Task) -> None:
    """Called when a task is marked done: if it is an implementation item, the raiser and the lead learn."""
    item = ImplementationItem.objects.select_related("order").filter(task=task).first()
    if item is None:
        return
    order = item.order
    text = words(
        gettext_noop("实施事项已完成：“%(t)s”（实施单 %(n)s，%(who)s）。"),
        t=item.title,
        n=order.number,
        who=task.owner,
    )
    _send(
        [u for u in (order.created_by, order.lead) if u is not None and u.pk != task.owner_id],
        text,
        _link(order),
    )


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return self.done * 100 // self.total if self.total else 0


def implementation_progress(order: ImplementationOrder) -> Progress:
    items = list(order.items.select_related("task"))
    done = sum(1 for i in items if i.task is not None and i.task.done_at is not None)
    return Progress(done=done, total=len(items))


@transaction.atomic
def implementation_order_transition(
    *, order: ImplementationOrder, to: str, by: User, comment: str = ""
) -> ImplementationOrder:
    """The one way an implementation order changes status. Completing needs every item's task done;
    withdrawing needs a reason. The raiser learns each step; the implementation side learns a withdrawal."""
    order = (
        ImplementationOrder.objects.select_for_update()
        .select_related("contract", "created_by")
        .get(pk=order.pk)
    )
    who = IMPLEMENTATION_TRANSITIONS.get((order.status, to))
    if who is None:
        raise DomainError(
            _("实施单当前状态为“%(s)s”，不能执行此操作。") % {"s": order.get_status_display()},
            code="invalid_transition",
            status=409,
        )
    if who == "delivery" and not policy.can_run_implementation(by, order):
        raise DomainError(_("只有交付副总裁或实施负责人可以操作。"), code="not_allowed", status=403)
    if who == "business" and not policy.can_cancel_implementation(by, order):
        raise DomainError(
            _("只有发起人、合同负责人或商务经理可以撤回实施单。"), code="not_allowed", status=403
        )
    comment = (comment or "").strip()
    if to == S.CANCELLED and not comment:
        raise DomainError(_("撤回实施单请填写原因。"), code="reason_required", field="comment")
    if to == S.COMPLETED:
        progress = implementation_progress(order)
        if progress.done < progress.total:
            raise DomainError(
                _("还有 %(n)s 项实施事项未完成，不能完成实施单。") % {"n": progress.total - progress.done},
                code="items_open",
                status=409,
            )
    frm = order.status
    order.status = to
    fields = ["status", "updated_at"]
    if to == S.COMPLETED:
        order.completed_at = timezone.now()
        fields.append("completed_at")
    order.save(update_fields=fields)
    _history(order, frm, to, by, comment)
    said = {
        S.IN_PROGRESS: gettext_noop("实施单 %(n)s（合同 %(c)s）已开始实施（%(by)s）。"),
        S.COMPLETED: gettext_noop("实施单 %(n)s（合同 %(c)s）已实施完成（%(by)s）。"),
        S.CANCELLED: gettext_noop("实施单 %(n)s（合同 %(c)s）已撤回（%(by)s）。"),
    }
    text = words(said[S(to)], n=order.number, c=order.contract.number, by=by)
    if comment:
        text = words("%(what)s%(why)s", what=text, why=words(gettext_noop("原因：%(r)s"), r=comment))
    users: list[Any] = [order.created_by, order.contract.owner]
    if to == S.CANCELLED:
        users += [order.lead, *User.objects.filter(pk__in=order.items.values("task__owner"))]
        users += list(User.objects.filter(groups__name="delivery_vp", is_active=True))
    _send([u for u in users if u is not None and u.pk != by.pk], text, _link(order))
    return order
