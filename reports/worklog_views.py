"""A4 work reports — pages: my reports (and my team's), write one (prefilled), read one with the
manager's comment, and the team view of who has not submitted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import local_today
from reports import policy
from reports.models import WorkReport, WorkReportKind
from reports.worklog_forms import CommentForm, PeriodForm, WorkReportFilterForm, WorkReportForm
from reports.worklog_periods import KINDS, worklog_due_at, worklog_period
from reports.worklog_selectors import period_activity, prefill_summary, team_status, work_reports_for
from reports.worklogs import period_label, worklog_comment, worklog_save


def _period(params: Any) -> tuple[PeriodForm, str, dt.date]:
    """The report asked for in the URL; bad input: the form carries the message, today's daily applies."""
    form = PeriodForm(params or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data.get("kind") or "daily", data.get("date") or local_today()


def _tabs(user: Any) -> dict[str, bool]:
    return {
        "can_write": policy.can_write_work_reports(user),
        "can_team": policy.can_open_team_work_reports(user),
    }


def _current(user: Any) -> list[dict[str, Any]]:
    """Today's daily, this week's weekly and this month's monthly report, and where each stands."""
    today = local_today()
    wanted = {k: worklog_period(k, today) for k in KINDS}
    found = {
        r.kind: r
        for r in WorkReport.objects.filter(author=user).filter(
            Q(kind="daily", period_start=wanted["daily"][0])
            | Q(kind="weekly", period_start=wanted["weekly"][0])
            | Q(kind="monthly", period_start=wanted["monthly"][0])
        )
    }
    return [
        {
            "kind": k,
            "label": WorkReportKind(k).label,
            "start": wanted[k][0],
            "due_at": worklog_due_at(k, wanted[k][0]),
            "report": found.get(k),
        }
        for k in KINDS
    ]


@page_open_to(policy.can_open_work_reports)
def worklog_list(request: AuthedRequest) -> HttpResponse:
    form = WorkReportFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = work_reports_for(
        viewer=request.user,
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        q=(data.get("q") or "").strip(),
    )
    page = Paginator(qs, settings.REPORTS_WORKLOG_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "reports/worklog_list.html",
        {
            "form": form,
            "page": page,
            "params": params.urlencode(),
            "current": _current(request.user) if policy.can_write_work_reports(request.user) else [],
            **_tabs(request.user),
        },
    )


@page_open_to(policy.can_write_work_reports)
@require_http_methods(["GET", "POST"])
def worklog_write(request: AuthedRequest) -> HttpResponse:
    period_form, kind, day = _period(request.GET)
    start, last = worklog_period(kind, day)
    report = WorkReport.objects.filter(author=request.user, kind=kind, period_start=start).first()
    if report is not None and report.is_submitted:
        return redirect("reports:worklog_detail", pk=report.pk)
    activity = period_activity(user=request.user, start=start, last=last)
    if request.method == "POST":
        form = WorkReportForm(request.POST, kind=kind)
        if form.is_valid():
            submit = "submit" in request.POST
            try:
                saved = worklog_save(
                    author=request.user, kind=kind, day=day, submit=submit, **form.cleaned_data
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if submit:
                    messages.success(request, _("报告已提交，经理会看到它。"))
                    return redirect("reports:worklog_detail", pk=saved.pk)
                messages.success(request, _("草稿已保存。"))
                return redirect(f"{request.path}?kind={kind}&date={start.isoformat()}")
    elif report is not None:
        form = WorkReportForm(instance=report, kind=kind)
    else:
        form = WorkReportForm(initial={"summary": prefill_summary(activity)}, kind=kind)
    return render(
        request,
        "reports/worklog_write.html",
        {
            "form": form,
            "period_form": period_form,
            "kind": kind,
            "kind_label": WorkReportKind(kind).label,
            "start": start,
            "last": last,
            "due_at": worklog_due_at(kind, start),
            "report": report,
            "figures": activity.figures(),
            "activity": activity,
            **_tabs(request.user),
        },
    )


def _detail(
    request: AuthedRequest, report: WorkReport, comment_form: CommentForm | None = None
) -> HttpResponse:
    can_comment = policy.can_comment_work_report(request.user, report)
    if comment_form is None and can_comment:
        comment_form = CommentForm(initial={"comment": report.manager_comment})
    return render(
        request,
        "reports/worklog_detail.html",
        {
            "report": report,
            "period": period_label(report),
            "labels": WorkReportForm(kind=report.kind),
            "figures": report.figures,
            "comment_form": comment_form if can_comment else None,
            "due_at": worklog_due_at(report.kind, report.period_start),
            "is_mine": report.author_id == request.user.pk,
            **_tabs(request.user),
        },
    )


def _visible_report(request: AuthedRequest, pk: int) -> WorkReport:
    return get_object_or_404(
        policy.work_reports_visible_to(request.user).select_related("author", "commented_by"), pk=pk
    )


@page_open_to(policy.can_open_work_reports)
def worklog_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _visible_report(request, pk))


@page_open_to(policy.can_open_team_work_reports)
@require_POST
def worklog_comment_view(request: AuthedRequest, pk: int) -> HttpResponse:
    report = _visible_report(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            worklog_comment(report=report, by=request.user, text=form.cleaned_data["comment"])
        except DomainError as exc:
            if exc.status == 403:
                messages.error(request, str(exc.message))
                return redirect("reports:worklog_detail", pk=report.pk)
            add_domain_error(form, exc)
        else:
            messages.success(request, _("批注已保存，报告人会收到通知。"))
            return redirect("reports:worklog_detail", pk=report.pk)
    return _detail(request, report, form)


@page_open_to(policy.can_open_team_work_reports)
def worklog_team(request: AuthedRequest) -> HttpResponse:
    period_form, kind, day = _period(request.GET)
    status = team_status(viewer=request.user, kind=kind, day=day)
    return render(
        request,
        "reports/worklog_team.html",
        {
            "period_form": period_form,
            "kind": kind,
            "kind_label": WorkReportKind(kind).label,
            "day": day,
            "status": status,
            **_tabs(request.user),
        },
    )
