"""Issue 16: which tasks "my day" and the task list show (the scope itself comes from crm.policy)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from crm.models import Task, User

STATES = ("open", "overdue", "done", "all")


def tasks_filtered(*, qs: QuerySet[Task], today: dt.date, state: str = "open", q: str = "") -> QuerySet[Task]:
    if state == "open":
        qs = qs.filter(done_at__isnull=True)
    elif state == "overdue":
        qs = qs.filter(done_at__isnull=True, due_on__lt=today)
    elif state == "done":
        qs = qs.filter(done_at__isnull=False)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q))
    return qs.select_related("owner", "customer")


def tasks_for_my_day(*, qs: QuerySet[Task], user: User, today: dt.date) -> list[Task]:
    """My open tasks due today or earlier (overdue first), and those done today (to undo a slip)."""
    mine = qs.filter(owner=user).select_related("customer")
    rows = list(mine.filter(done_at__isnull=True, due_on__lte=today).order_by("due_on", "id")[:20])
    rows += list(mine.filter(done_at__date=today).order_by("-done_at")[:10])
    return rows


def team_overdue_tasks(*, qs: QuerySet[Task], user: User, today: dt.date) -> list[Task]:
    """For a manager's home: the team's open tasks past their due date (never the manager's own)."""
    return list(
        qs.filter(done_at__isnull=True, due_on__lt=today)
        .exclude(owner=user)
        .select_related("owner", "customer")
        .order_by("due_on", "id")[:20]
    )
