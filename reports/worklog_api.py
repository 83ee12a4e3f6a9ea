"""/api/reports/worklogs/…: A4 work reports through the same services and policy as the pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import api_open_to
from common.auth import request_user
from reports import policy
from reports.models import WorkReport
from reports.worklog_forms import PeriodForm, WorkReportFilterForm
from reports.worklog_periods import worklog_due_at, worklog_period
from reports.worklog_selectors import period_activity, prefill_summary, team_status, work_reports_for
from reports.worklogs import worklog_comment, worklog_save


def _form_errors(form: Any) -> Response:
    return Response(
        {"detail": {k: [str(m) for m in v] for k, v in form.errors.items()}},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _person(user: Any) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def report_json(r: WorkReport) -> dict[str, Any]:
    return {
        "id": r.pk,
        "author": _person(r.author),
        "kind": r.kind,
        "kind_label": str(r.get_kind_display()),
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
        "status": r.status,
        "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
        "late": r.late,
        "summary": r.summary,
        "problems": r.problems,
        "plan": r.plan,
        "support": r.support,
        "figures": r.figures,
        "manager_comment": r.manager_comment,
        "commented_by": _person(r.commented_by),
        "commented_at": r.commented_at.isoformat() if r.commented_at else None,
    }


class WorkReportInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["daily", "weekly", "monthly"])
    date = serializers.DateField()
    summary = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    problems = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    plan = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    support = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    submit = serializers.BooleanField(required=False, default=False)


class WorkReportListApi(APIView):
    """GET: the reports the caller may read (own; a manager's team), newest period first, paged.
    POST: save (or, with `submit: true`, submit) the caller's report of the period containing `date`."""

    permission_classes = [IsAuthenticated, api_open_to(policy.can_open_work_reports)]

    @extend_schema(operation_id="reports_worklogs_list", responses=dict)
    def get(self, request: Request) -> Response:
        form = WorkReportFilterForm(request.query_params or None)
        if form.is_bound and not form.is_valid():
            return _form_errors(form)
        data = form.cleaned_data if form.is_bound else {}
        qs = work_reports_for(
            viewer=request_user(request),
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            q=(data.get("q") or "").strip(),
        )
        page = Paginator(qs, settings.REPORTS_WORKLOG_PAGE_SIZE).get_page(request.query_params.get("page"))
        return Response(
            {
                "count": page.paginator.count,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "results": [report_json(r) for r in page.object_list],
            }
        )

    @extend_schema(request=WorkReportInput, responses=dict)
    def post(self, request: Request) -> Response:
        user = request_user(request)
        if not policy.can_write_work_reports(user):
            return Response({"detail": "not found"}, status=status.HTTP_404_NOT_FOUND)
        data = WorkReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        day = values.pop("date")
        report = worklog_save(author=user, day=day, **values)
        return Response(report_json(report), status=status.HTTP_200_OK)


class WorkReportDetailApi(APIView):
    permission_classes = [IsAuthenticated, api_open_to(policy.can_open_work_reports)]

    @extend_schema(responses=dict)
    def get(self, request: Request, pk: int) -> Response:
        report = get_object_or_404(
            policy.work_reports_visible_to(request_user(request)).select_related("author", "commented_by"),
            pk=pk,
        )
        return Response(report_json(report))


class WorkReportCommentInput(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class WorkReportCommentApi(APIView):
    permission_classes = [IsAuthenticated, api_open_to(policy.can_open_team_work_reports)]

    @extend_schema(request=WorkReportCommentInput, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        user = request_user(request)
        report = get_object_or_404(
            policy.work_reports_visible_to(user).select_related("author", "commented_by"), pk=pk
        )
        data = WorkReportCommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["comment"]
        return Response(report_json(worklog_comment(report=report, by=user, text=text)))


def _period(request: Request) -> tuple[PeriodForm, str, Any]:
    from common.timeutil import local_today

    form = PeriodForm(request.query_params or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data.get("kind") or "daily", data.get("date") or local_today()


class WorkReportPrefillApi(APIView):
    """What the period's records say: the figures and the prefilled text (nothing is saved)."""

    permission_classes = [IsAuthenticated, api_open_to(policy.can_write_work_reports)]

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        form, kind, day = _period(request)
        if form.is_bound and form.errors:
            return _form_errors(form)
        start, last = worklog_period(kind, day)
        activity = period_activity(user=request_user(request), start=start, last=last)
        return Response(
            {
                "kind": kind,
                "period_start": start.isoformat(),
                "period_end": last.isoformat(),
                "due_at": worklog_due_at(kind, start).isoformat(),
                "figures": activity.figures(),
                "summary": prefill_summary(activity),
            }
        )


class WorkReportTeamApi(APIView):
    """Who in the caller's team has (not) submitted the report of a period."""

    permission_classes = [IsAuthenticated, api_open_to(policy.can_open_team_work_reports)]

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        form, kind, day = _period(request)
        if form.is_bound and form.errors:
            return _form_errors(form)
        data = team_status(viewer=request_user(request), kind=kind, day=day)
        return Response(
            {
                "kind": kind,
                "period_start": data["start"].isoformat(),
                "period_end": data["last"].isoformat(),
                "due_at": data["due_at"].isoformat(),
                "overdue": data["overdue"],
                "submitted_count": data["submitted_count"],
                "missing": [_person(r.person) for r in data["missing"]],
                "rows": [
                    {
                        "person": _person(r.person),
                        "state": r.state,
                        "report_id": r.report.pk if r.report and r.has_submitted else None,
                    }
                    for r in data["rows"]
                ],
            }
        )
