"""Issue 16: tasks (待办). Made by hand or from a follow-up's next step; done and undone by their owner
(or whoever made them); reminders at the chosen time and overdue ones flagged to the owner's manager
by set-based jobs that are safe to run any number of times."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import DomainError
from common.notifications import notify
from common.timeutil import date_in_sane_range, local_today, sane_range_message
from crm import policy
from crm.models import Customer, FollowUp, Task, User


def _check(*, title: str, due_on: dt.date | None, remind_at: dt.datetime | None) -> tuple[str, dt.date]:
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写待办事项。"), code="required", field="title")
    if due_on is None:
        raise DomainError(_("请填写截止日期。"), code="required", field="due_on")
    if not date_in_sane_range(due_on):
        raise DomainError(sane_range_message(), field="due_on")
    if remind_at is not None and timezone.localdate(remind_at) > due_on:
        raise DomainError(_("提醒时间不能晚于截止日期。"), code="remind_after_due", field="remind_at")
    return title[:200], due_on


@transaction.atomic
def task_create(
    *,
    by: User,
    title: str,
    due_on: dt.date | None,
    remind_at: dt.datetime | None = None,
    customer: Customer | None = None,
    followup: FollowUp | None = None,
) -> Task:
    """A task of my own; about one of my customers, if any (C11: never someone else's)."""
    title, due = _check(title=title, due_on=due_on, remind_at=remind_at)
    if customer is not None and not policy.customer_scope(by).filter(pk=customer.pk).exists():
        raise DomainError(_("客户不在系统中或不是您负责的客户。"), code="unknown_customer", field="customer")
    return Task.objects.create(
        owner=by,
        created_by=by,
        title=title,
        due_on=due,
        remind_at=remind_at,
        customer=customer,
        followup=followup,
    )


def task_from_followup(*, followup: FollowUp, by: User) -> Task | None:
    """A follow-up's next step (下一步) with a next-contact date becomes the author's task, once."""
    if not (followup.next_step or "").strip() or followup.next_date is None:
        return None
    existing = Task.objects.filter(followup=followup).first()
    if existing is not None:
        return existing
    # The author has just logged contact with this customer: no second visibility check.
    title, due = _check(title=followup.next_step, due_on=followup.next_date, remind_at=None)
    return Task.objects.create(
        owner=by,
        created_by=by,
        title=title,
        due_on=due,
        customer_id=followup.customer_id,
        followup=followup,
    )


def task_can_change(*, task: Task, user: User) -> bool:
    return user.pk in (task.owner_id, task.created_by_id)


@transaction.atomic
def task_set_done(*, task: Task, by: User, done: bool = True) -> Task:
    """Mark done, or undo a done mark (the task is open again, as it was)."""
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if not task_can_change(task=locked, user=by):
        raise DomainError(_("只有待办的负责人可以修改。"), code="not_allowed", status=403)
    was_done = locked.done_at is not None
    locked.done_at = timezone.now() if done else None
    locked.save(update_fields=["done_at", "updated_at"])
    if done and not was_done:
        # 003 §9.5: an implementation item's task done tells the business staff who follow the order.
        from crm.services.implementation_orders import implementation_item_task_done

        implementation_item_task_done(locked)
    return locked


def tasks_send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind each owner once, at or after the task's reminder time (open tasks only)."""
    now = now or timezone.now()
    due = list(
        Task.objects.filter(
            remind_at__lte=now, reminded_at__isnull=True, done_at__isnull=True
        ).select_related("owner")
    )
    sent = 0
    for task in due:
        # Claim the reminder first: a second run (or a parallel one) finds it taken and sends nothing.
        if Task.objects.filter(pk=task.pk, reminded_at__isnull=True).update(reminded_at=now):
            sent += 1
            notify(
                users=[task.owner],
                text=words(
                    gettext_noop("待办提醒：“%(title)s”，截止 %(due)s。"), title=task.title, due=task.due_on
                ),
                link=reverse("crm:task_list"),
            )
    return sent


def tasks_flag_overdue(*, today: dt.date | None = None) -> int:
    """Tell the owner's manager (the direct manager, else the department's) of each task still open
    CRM_TASK_OVERDUE_FLAG_AFTER_DAYS after its due date — once per task."""
    today = today or local_today()
    cutoff = today - dt.timedelta(days=settings.CRM_TASK_OVERDUE_FLAG_AFTER_DAYS)
    late = list(
        Task.objects.filter(
            due_on__lte=cutoff, done_at__isnull=True, overdue_flagged_at__isnull=True
        ).select_related("owner", "owner__department", "owner__manager", "owner__department__manager")
    )
    now = timezone.now()
    flagged = 0
    for task in late:
        if not Task.objects.filter(pk=task.pk, overdue_flagged_at__isnull=True).update(
            overdue_flagged_at=now
        ):
            continue
        flagged += 1
        manager = task.owner.manager or (task.owner.department.manager if task.owner.department else None)
        if manager is None or manager.pk == task.owner_id:
            continue
        notify(
            users=[manager],
            text=words(
                gettext_noop("%(owner)s 的待办“%(title)s”已逾期（截止 %(due)s）。"),
                owner=task.owner,
                title=task.title,
                due=task.due_on,
            ),
            link=reverse("crm:task_list") + "?scope=team&state=overdue",
        )
    return flagged
