"""Commission pages: my/team statement, line drill-down, what-if estimator. No business rules here."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from commissions import policy
from commissions.estimator import what_if_estimate
from commissions.forms import ForfeitForm, StatementFilterForm, WhatIfForm
from commissions.selectors import (
    line_calculation,
    line_explanation,
    my_plans,
    statement_lines,
    statement_summary,
)
from commissions.services.forfeit import commission_forfeit
from commissions.services.plans import plan_objection_raise
from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import local_today, month_start
from crm.models import User
from crm.views.paging import page_context

PAGE_SIZE = 50


def _payee_choices(user: User):  # type: ignore[no-untyped-def]
    if not policy.can_pick_payee(user):
        return None  # a rep sees only their own statement: no payee picker
    ids = policy.visible_payee_ids(user)
    qs = User.objects.filter(is_active=True).order_by("display_name", "username")
    return qs if ids is None else qs.filter(pk__in=ids)


@page_open_to(policy.can_open_statement)
def statement(request: AuthedRequest) -> HttpResponse:
    user = request.user
    payees = _payee_choices(user)
    period = month_start(local_today())
    # The picker shows this month when none was asked for ("2026-11", as <input type=month> reads it).
    form = StatementFilterForm(request.GET or None, payees=payees, initial={"period": f"{period:%Y-%m}"})
    # A rep (or partner) sees only their own lines anyway; a manager/finance starts on their own.
    payee_id: int | None = None if payees is None else user.pk
    status = kind = ""
    if form.is_valid():
        d = form.cleaned_data
        period = d["period"] or period
        if d.get("payee"):
            payee_id = d["payee"].pk
        status, kind = d["status"], d["kind"]
    lines = statement_lines(viewer=user, period=period, payee_id=payee_id, status=status, kind=kind)
    summary = statement_summary(statement_lines(viewer=user, period=period, payee_id=payee_id))
    page = page_context(request, lines, size=PAGE_SIZE)
    return render(
        request,
        "commissions/statement.html",
        {
            "form": form,
            "period": period,
            "summary": summary,
            "lines": page["rows"],
            "next_cursor": page["next_cursor"],
            "after": page["after"],
            "params": page["params"],
        },
    )


@page_open_to(policy.can_open_statement)
def line_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    line = policy.line_visible(request.user, pk)
    if line is None:
        raise Http404
    calculation = line_calculation(line=line)
    return render(
        request,
        "commissions/line_detail.html",
        {
            "line": line,
            "calculation": calculation,
            "explanation": line_explanation(line=line, calculation=calculation),
            "corrections": line.corrections.all().order_by("id"),
        },
    )


@page_open_to(policy.can_open_what_if)
@require_http_methods(["GET", "POST"])
def what_if(request: AuthedRequest) -> HttpResponse:
    form = WhatIfForm(request.POST or None, user=request.user)
    estimate = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            estimate = what_if_estimate(
                user=request.user,
                amount=d["amount"],
                category=d["category"],
                key_account_class=d["key_account_class"] or "",
                opportunity=d["opportunity"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "commissions/what_if.html", {"form": form, "estimate": estimate})


@page_open_to(policy.can_forfeit)
@require_http_methods(["GET", "POST"])
def forfeit(request: AuthedRequest) -> HttpResponse:
    """K11 for finance/admin/leadership: first POST shows what would be forfeited, the second confirms."""
    from commissions.models import CommissionLine, LineStatus

    user = request.user
    # Linked from a settlement sheet with ?payee=<id>: the payee is chosen already.
    payee = request.GET.get("payee", "")
    form = ForfeitForm(request.POST or None, initial={"payee": int(payee)} if payee.isdigit() else None)
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if d["confirm"]:
            try:
                record = commission_forfeit(payee=d["payee"], reason=d["reason"], by=user)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已没收 %(name)s 未发放提成 %(n)s 条，共 %(amount)s 元。")
                    % {"name": d["payee"], "n": record.lines, "amount": record.amount},
                )
                return redirect("commissions:statement")
        else:
            preview = CommissionLine.objects.filter(
                Q(payee_user=d["payee"]), status__in=[LineStatus.PENDING, LineStatus.PAYABLE]
            ).aggregate(n=Count("id"), amount=Sum("amount"))
            form = ForfeitForm(initial={**d, "confirm": True, "payee": d["payee"].pk})
    return render(request, "commissions/forfeit.html", {"form": form, "preview": preview})


@page_open_to(policy.can_open_my_plan)
@require_http_methods(["GET", "POST"])
def my_plan(request: AuthedRequest) -> HttpResponse:
    """K12: my plans in words, announced changes with their effective date, and an objection form."""
    error = None
    if request.method == "POST":
        try:
            plan_objection_raise(
                plan=int(request.POST.get("plan") or 0), by=request.user, text=request.POST.get("text", "")
            )
        except (DomainError, ValueError) as exc:
            error = exc.message if isinstance(exc, DomainError) else _("请选择方案。")
        else:
            messages.success(request, _("异议已提交。"))
            return redirect("commissions:my_plan")
    current, announced = my_plans(user=request.user, today=local_today())
    return render(
        request,
        "commissions/my_plan.html",
        {"current": current, "announced": announced, "error": error, "today": local_today()},
    )
