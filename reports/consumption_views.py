"""A3 pages: the partner's monthly consumption analysis (prefilled, saved, submitted), the regional
manager's team view (who has not submitted) and the analysis page with the manager's comment."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.forms import form_saved
from common.timeutil import local_today, month_start, parse_month
from reports import policy
from reports.consumption import EDITABLE, analysis_comment, analysis_for, analysis_save, team_overview
from reports.consumption_forms import A3MonthForm, AnalysisForm, CommentForm
from reports.models import AnalysisStatus
from reports.payloads import bar

PAGE_SIZE = 50


@page_open_to(policy.can_open_a3)
def a3_list(request: AuthedRequest) -> HttpResponse:
    form = A3MonthForm(request.GET or None)
    month, status, q = month_start(local_today()), "", ""
    if form.is_valid():
        month = form.cleaned_data["month"] or month
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    partners = policy.a3_partners_visible_to(request.user)
    if q:
        partners = partners.filter(name__icontains=q)
    rows = team_overview(partners=partners, month=month)
    if status == "missing":
        rows = [r for r in rows if r.analysis is None or r.analysis.status == AnalysisStatus.DRAFT]
    elif status:
        rows = [r for r in rows if r.analysis is not None and r.analysis.status == status]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    shown = [r for r in page if r.target is not None or r.actual]
    series: dict[str, list[Any]] = {
        _("本月目标"): [r.target or 0 for r in shown],
        _("本月实际"): [r.actual for r in shown],
    }
    charts = {"a3": bar([r.partner.name for r in shown], **series)}
    return render(
        request,
        "reports/a3_list.html",
        {
            "form": form,
            "month": month,
            "page": page,
            "charts": charts if shown else {},
            "params": params.urlencode(),
            "may_fill": policy.can_fill_a3(request.user),
        },
    )


@page_open_to(policy.can_fill_a3)
@require_http_methods(["GET", "POST"])
def a3_mine(request: AuthedRequest) -> HttpResponse:
    partner = policy.a3_partner(request.user)
    month = parse_month(request.GET.get("month")) or month_start(local_today())
    analysis, figures = analysis_for(partner=partner, month=month)
    form = AnalysisForm(request.POST or None, instance=analysis)
    if request.method == "POST":

        def save(data: dict) -> Any:
            editable = {name: data.get(name) for name in EDITABLE}
            submit = "submit" in request.POST
            return analysis_save(partner=partner, month=month, by=request.user, data=editable, submit=submit)

        def said(saved: Any) -> str:
            return _("已提交大区经理。") if saved.status == AnalysisStatus.SUBMITTED else _("已保存草稿。")

        if form_saved(request, form, save, said):
            return redirect(f"{request.path}?month={month:%Y-%m}")
    return render(
        request,
        "reports/a3_form.html",
        {
            "form": form,
            "analysis": analysis,
            "f": figures,
            "month": month,
            "editable": analysis.status == AnalysisStatus.DRAFT,
        },
    )


@page_open_to(policy.can_open_a3)
@require_http_methods(["GET", "POST"])
def a3_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    analysis = (
        policy.a3_visible_to(request.user)
        .select_related("partner__region", "commented_by")
        .filter(pk=pk)
        .first()
    )
    if analysis is None:
        raise Http404
    may_comment = policy.can_comment_a3(request.user, analysis)
    form = CommentForm(request.POST or None, initial={"comment": analysis.manager_comment})
    if request.method == "POST":
        if not may_comment:
            raise Http404
        comment = partial(analysis_comment, analysis=analysis, by=request.user)
        if form_saved(request, form, lambda data: comment(comment=data["comment"]), _("已批示。")):
            return redirect("reports:a3_detail", pk=analysis.pk)
    _analysis, figures = analysis_for(partner=analysis.partner, month=analysis.month)
    return render(
        request,
        "reports/a3_detail.html",
        {"analysis": analysis, "f": figures, "form": form, "may_comment": may_comment},
    )
