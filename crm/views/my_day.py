""" "My day": what a rep should do today, and for managers what waits for them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from common.auth import AuthedRequest
from crm import policy
from crm.models import FollowUp, User
from crm.selectors import (
    customer_review_queue,
    customers_due_for_contact,
    customers_longest_silent,
    outings_on,
    visits_without_outing_first,
)
from crm.selectors_tasks import tasks_for_my_day, team_overdue_tasks
from crm.services import customers as services


def my_day_context(user: User) -> dict[str, Any]:
    """What "my day" shows (also part of the rep's home in the reports app)."""
    today = timezone.localdate()
    now = timezone.now()
    silent = list(customers_longest_silent(user=user).select_related("region")[:10])
    for c in silent:
        c.days_silent = services.touch_days_without_contact(c, now=now)  # type: ignore[attr-defined]
    context = {
        "due": customers_due_for_contact(user=user, today=today)[:20],
        "silent": silent,
        "recent": FollowUp.objects.filter(author=user)
        .select_related("customer")
        .order_by("-occurred_at")[:10],
        "my_outings": outings_on(user=user, day=today, team=False),
        "is_manager": policy.is_manager(user),
        # Issue 16: my tasks due today or overdue (and those done today, to undo a slip).
        "can_tasks": policy.can_open_tasks(user),
        "today": today,
    }
    if context["can_tasks"]:
        context["my_tasks"] = tasks_for_my_day(qs=policy.tasks_visible_to(user), user=user, today=today)
    if context["is_manager"]:
        context["pending_review"] = customer_review_queue(user=user)[:10]
        context["team_outings"] = outings_on(user=user, day=today, team=True)
        context["unregistered"] = visits_without_outing_first(
            user=user, since=today - dt.timedelta(days=7), until=today, n=10
        )
        if context["can_tasks"]:
            # Issue 16: the team's overdue tasks are flagged to the manager here (and by notification).
            context["team_overdue_tasks"] = team_overdue_tasks(
                qs=policy.tasks_visible_to(user), user=user, today=today
            )
    return context


@login_required
def my_day(request: AuthedRequest) -> HttpResponse:
    if not policy.can_open_my_day(request.user):
        # The home page after login: a partner's home is the partner portal (never an internal page).
        return redirect("partners:portal")
    return render(request, "crm/my_day.html", my_day_context(request.user))
