"""A3 REST API: the same policy, services and figures as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.timeutil import local_today, month_start, parse_month
from reports import policy
from reports.consumption import (
    EDITABLE,
    Figures,
    analysis_comment,
    analysis_for,
    analysis_save,
    team_overview,
)
from reports.models import PartnerMonthlyAnalysis


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _figures(f: Figures) -> dict[str, Any]:
    return {
        "partner": f.partner.pk,
        "name": f.partner.name,
        "month": f"{f.month:%Y-%m}",
        "target": _s(f.target),
        "actual": str(f.actual),
        "attainment_percent": _s(f.attainment),
        "next_month_target": _s(f.next_target),
        "best_items": [{"product": n, "amount": str(a)} for n, a in f.best_items],
        "sales_log": [{**x, "date": str(x["date"]), "amount": str(x["amount"])} for x in f.sales_log],
        "service_log": [{**x, "date": str(x["date"])} for x in f.service_log],
    }


def _analysis(a: PartnerMonthlyAnalysis) -> dict[str, Any]:
    return {
        "id": a.pk,
        "status": a.status,
        "status_display": a.get_status_display(),
        "target": _s(a.target),
        "actual": _s(a.actual),
        "next_month_target": _s(a.next_month_target),
        **{k: getattr(a, k) for k in EDITABLE if k != "next_month_target"},
        "submitted_at": a.submitted_at,
        "manager_comment": a.manager_comment,
        "commented_at": a.commented_at,
    }


def _month(request: Request) -> dt.date:
    raw = request.query_params.get("month")
    month = parse_month(raw) if raw else month_start(local_today())
    if month is None:
        raise serializers.ValidationError({"month": ["月份格式应为 YYYY-MM，例如 2026-10。"]})
    return month


@extend_schema(operation_id="reports_a3_list", responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_open_a3)])
def a3_list(request: Request) -> Response:
    """Every partner in my scope for `?month=YYYY-MM`: target, actual, attainment, analysis status."""
    month = _month(request)
    rows = team_overview(partners=policy.a3_partners_visible_to(request_user(request)), month=month)
    return Response(
        {
            "month": f"{month:%Y-%m}",
            "rows": [
                {
                    "partner": r.partner.pk,
                    "name": r.partner.name,
                    "target": _s(r.target),
                    "actual": str(r.actual),
                    "attainment_percent": _s(r.attainment),
                    "analysis": r.analysis.pk if r.analysis else None,
                    "status": r.analysis.status if r.analysis else "missing",
                }
                for r in rows
            ],
        }
    )


class AnalysisInput(serializers.Serializer):
    analysis = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    best_items = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    next_month_target = serializers.DecimalField(
        required=False, allow_null=True, max_digits=14, decimal_places=2, min_value=0
    )
    next_month_plan = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    sales_log = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    service_log = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    submit = serializers.BooleanField(default=False)


@extend_schema(request=AnalysisInput, responses=dict)
@api_view(["GET", "POST"])
@permission_classes([api_open_to(policy.can_fill_a3)])
def a3_mine(request: Request) -> Response:
    """My month (`?month=`): GET the figures and the analysis (prefilled when new); POST saves it, with
    `"submit": true` submits it to the regional manager."""
    user = request_user(request)
    partner = policy.a3_partner(user)
    month = _month(request)
    if request.method == "POST":
        data = AnalysisInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        submit = d.pop("submit", False)
        analysis_save(partner=partner, month=month, by=user, data=d, submit=submit)
    analysis, figures = analysis_for(partner=partner, month=month)
    return Response({"figures": _figures(figures), "analysis": _analysis(analysis)})


def _visible(request: Request, pk: int) -> PartnerMonthlyAnalysis:
    a = policy.a3_visible_to(request_user(request)).select_related("partner__region").filter(pk=pk).first()
    if a is None:
        raise Http404
    return a


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_open_a3)])
def a3_detail(request: Request, pk: int) -> Response:
    a = _visible(request, pk)
    _unused, figures = analysis_for(partner=a.partner, month=a.month)
    return Response({"figures": _figures(figures), "analysis": _analysis(a)})


class CommentInput(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


@extend_schema(request=CommentInput, responses=dict)
@api_view(["POST"])
@permission_classes([api_open_to(policy.can_open_a3)])
def a3_comment(request: Request, pk: int) -> Response:
    """The regional manager's comment (批示) on a submitted analysis."""
    a = _visible(request, pk)
    if not policy.can_comment_a3(request_user(request), a):
        raise PermissionDenied  # sees it (its own partner, a draft) but may not comment
    data = CommentInput(data=request.data)
    data.is_valid(raise_exception=True)
    a = analysis_comment(analysis=a, by=request_user(request), comment=data.validated_data["comment"])
    return Response(_analysis(a))
