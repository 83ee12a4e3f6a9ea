"""C8: outing registration, and for managers who is out and which visits had no registration."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import parse_day
from crm import policy
from crm.forms import OutingForm
from crm.models import Customer
from crm.selectors import outings_on, visits_without_outing_first
from crm.services import customers as services

UNREGISTERED_LOOKBACK_DAYS = 7
SUGGESTIONS = 200


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def outing_create(request: AuthedRequest) -> HttpResponse:
    initial = {"planned_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    if request.GET.get("customer"):
        initial["customer_name"] = request.GET["customer"][:200]
    form = OutingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.outing_register(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("去向已登记。"))
            return redirect("crm:my_day")
    # C8 in a few taps: the rep's own customers, most recently contacted first, as typing suggestions.
    suggestions = (
        Customer.objects.filter(owner=request.user)
        .order_by(F("last_contacted_at").desc(nulls_last=True), "-id")
        .values_list("name", flat=True)[:SUGGESTIONS]
    )
    return render(request, "crm/outing_form.html", {"form": form, "suggestions": suggestions})


@page_open_to(policy.can_open_pipeline)
def outing_list(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    day = today
    raw = request.GET.get("day")
    if raw:
        parsed = parse_day(raw)  # issue 17: 9999-12-31 is refused like a typo, not a server error
        if parsed is None:
            messages.warning(request, _("日期格式应为 YYYY-MM-DD，已显示今天。"))
        else:
            day = parsed
    manager = policy.is_manager(request.user)
    context = {
        "day": day,
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "is_manager": manager,
        "outings": outings_on(user=request.user, day=day, team=manager),
        "unregistered": (
            visits_without_outing_first(
                user=request.user,
                since=day - dt.timedelta(days=UNREGISTERED_LOOKBACK_DAYS),
                until=day,
                n=100,
            )
            if manager
            else []
        ),
        "lookback": UNREGISTERED_LOOKBACK_DAYS,
    }
    return render(request, "crm/outing_list.html", context)
