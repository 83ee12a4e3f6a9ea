"""Pages: each role's home (`/`) and the reports. Each view parses the URL filters and renders one
payload builder; the API (`reports.api`) returns the same payload as JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from commissions import policy as commissions_policy
from commissions.models import PerkStatus
from common.access import page_open_to
from common.auth import AuthedRequest
from common.exports import export_log_record
from crm.views.my_day import my_day_context
from reports import payloads, policy
from reports.chart_export import ChartClosed, chart_for, chart_table, chart_workbook
from reports.export import sales_workbook
from reports.filters import parse_filters
from reports.selectors_common import departments_for_filter
from reports.selectors_sales import sales_lines

HOME_TEMPLATES = {
    "rep": "reports/home_rep.html",
    "manager": "reports/home_manager.html",
    "president": "reports/home_president.html",
    "finance": "reports/home_finance.html",
    "partner": "reports/home_partner.html",
}


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Each role opens the app on its own home; the rep's keeps "my day" and adds their figures."""
    data = payloads.home_payload(request.user)
    context: dict[str, Any] = {
        "home": data,
        "charts": data["charts"],
        "access": policy.report_access(request.user),
        "chart_report": "home",
    }
    if data["kind"] in ("rep", "manager"):  # managers keep "my day" (review queue, who is out) too
        context.update(my_day_context(request.user))
    if data["kind"] == "partner":  # K14: the perks I may use and until when (the commissions policy)
        context["perks"] = list(
            commissions_policy.perks_visible_to(request.user)
            .filter(status=PerkStatus.GRANTED)
            .order_by("valid_until", "id")[:10]
        )
    return render(request, HOME_TEMPLATES[data["kind"]], context)


def _report(
    request: AuthedRequest, template: str, build: Any, chart_report: str = "", **extra: Any
) -> HttpResponse:
    form, period, dept = parse_filters(request.GET)
    data = build(request.user, period, dept)
    return render(
        request,
        template,
        {
            "form": form,
            "report": data,
            "charts": data.get("charts", {}),
            "query": request.GET.urlencode(),
            "departments": departments_for_filter(),
            "access": policy.report_access(request.user),
            "chart_report": chart_report,
            **extra,
        },
    )


def _allowed(request: AuthedRequest, check: Callable[[Any], bool]) -> None:
    """The same rule as the menu entry: a page the menu does not offer is a 404."""
    if not check(request.user):
        raise Http404


@login_required
def funnel(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_sales_reports)
    return _report(request, "reports/funnel.html", payloads.funnel_report, "funnel")


@login_required
def trend(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_money_reports)
    return _report(request, "reports/trend.html", payloads.trend_report, "trend")


@login_required
def activity(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_sales_reports)
    return _report(request, "reports/activity.html", payloads.activity_report, "activity")


@login_required
def rankings(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_rankings)
    metric = request.GET.get("metric") or "contract_amount"
    return _report(
        request,
        "reports/rankings.html",
        lambda _user, period, dept: payloads.rankings_report(period, dept, metric),
        "rankings",
    )


@login_required
def usage(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_rankings)
    return _report(
        request,
        "reports/usage.html",
        lambda _user, period, dept: payloads.usage_report(period, dept),
        "usage",
    )


@login_required
def sales(request: AuthedRequest) -> HttpResponse:
    _allowed(request, policy.can_open_money_reports)
    after = request.GET.get("after") or None
    params = request.GET.copy()
    params.pop("after", None)
    return _report(
        request,
        "reports/sales.html",
        lambda user, period, dept: payloads.sales_report(user, period, dept, after=after),
        after=after,
        params=params.urlencode(),
    )


@login_required
def sales_export(request: AuthedRequest) -> FileResponse:
    """A5 as Excel: every line of the period in the user's scope (the page shows the first ones)."""
    _allowed(request, policy.can_open_money_reports)
    _form, period, dept = parse_filters(request.GET)
    rows = (
        payloads.sales_row(r)
        for r in sales_lines(
            user=request.user, period=period, dept_path=dept.path if dept else None
        ).iterator(chunk_size=2000)
    )
    title = _("月度销售报表 %(period)s") % {"period": period.label()}
    counted = [0]

    def counting(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for r in rows:
            counted[0] += 1
            yield r

    workbook = sales_workbook(counting(rows), title=title)  # written in full before it is sent
    export_log_record(
        user=request.user, kind="sales_report", rows=counted[0], filters=request.GET.urlencode()
    )
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=f"sales-{period.label().replace(' ', '-')}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@page_open_to(policy.can_export_charts)
def chart_export(request: AuthedRequest) -> HttpResponse | FileResponse:
    """A chart's table as Excel (`?report=<page>&chart=<name>` plus the page's filters): the figures the
    page drew for this user, so the same scope; a chart the user may not open is a 404."""
    report, name = request.GET.get("report", ""), request.GET.get("chart", "")
    try:
        found = chart_for(user=request.user, report=report, chart=name, params=request.GET)
    except ChartClosed:
        raise Http404 from None
    if found is None:  # a mistyped or stale link: say so on the home page, never a 500
        messages.warning(request, _("没有这个图表，请从报表页面导出。"))
        return redirect("home")
    title, data = found
    headers, rows = chart_table(data)
    export_log_record(user=request.user, kind="report_chart", rows=len(rows), filters=request.GET.urlencode())
    safe = "".join(ch for ch in f"{report}-{name}" if ch.isalnum() or ch == "-")
    return FileResponse(
        chart_workbook(title=title, headers=headers, rows=rows),
        as_attachment=True,
        filename=f"{safe}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
