""" "My day": what a rep should do today, and for managers what waits for them."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from common.auth import AuthedRequest
from crm import policy
from crm.models import FollowUp
from crm.selectors import (
    customer_review_queue,
    customers_due_for_contact,
    customers_longest_silent,
    outings_on,
    visits_without_outing,
)
from crm.services import customers as services


@login_required
def my_day(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not policy.can_open_my_day(user):
        # The home page after login: a partner's home is the partner portal (never an internal page).
        return redirect("partners:portal")
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
    }
    if context["is_manager"]:
        context["pending_review"] = customer_review_queue(user=user)[:10]
        context["team_outings"] = outings_on(user=user, day=today, team=True)
        context["unregistered"] = visits_without_outing(
            user=user, since=today - dt.timedelta(days=7), until=today
        )[:10]
    return render(request, "crm/my_day.html", context)
