"""/api/reports/…: the same payloads as the pages, as JSON (money as exact strings)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.auth import request_user
from reports import payloads, policy
from reports.filters import parse_filters


def _errors(form: Any) -> dict[str, Any]:
    return {"detail": {k: [str(m) for m in v] for k, v in form.errors.items()}}


class ReportView(APIView):
    permission_classes = [IsAuthenticated]
    build: Any = None
    allowed: Any = staticmethod(policy.can_open_rankings)

    def payload(self, request: Request, period: Any, dept: Any) -> dict[str, Any]:
        return type(self).build(request_user(request), period, dept)

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        if not type(self).allowed(request_user(request)):
            return Response({"detail": "not found"}, status=status.HTTP_404_NOT_FOUND)
        form, period, dept = parse_filters(request.query_params)
        if form.is_bound and form.errors:
            return Response(_errors(form), status=status.HTTP_400_BAD_REQUEST)
        data = self.payload(request, period, dept)
        data.pop("charts", None)
        return Response(payloads.as_json(data))


class FunnelApi(ReportView):
    allowed = staticmethod(policy.can_open_sales_reports)
    build = staticmethod(payloads.funnel_report)


class TrendApi(ReportView):
    allowed = staticmethod(policy.can_open_money_reports)
    build = staticmethod(payloads.trend_report)


class ActivityApi(ReportView):
    allowed = staticmethod(policy.can_open_sales_reports)
    build = staticmethod(payloads.activity_report)


class SalesApi(ReportView):
    """A5: `?after=<next>` walks the lines page by page (keyset), the totals cover the whole period."""

    allowed = staticmethod(policy.can_open_money_reports)

    def payload(self, request: Request, period: Any, dept: Any) -> dict[str, Any]:
        after = request.query_params.get("after") or None
        return payloads.sales_report(request_user(request), period, dept, after=after)


class RankingsApi(ReportView):
    allowed = staticmethod(policy.can_open_rankings)

    def payload(self, request: Request, period: Any, dept: Any) -> dict[str, Any]:
        return payloads.rankings_report(period, dept, request.query_params.get("metric") or "contract_amount")


class UsageApi(ReportView):
    allowed = staticmethod(policy.can_open_rankings)

    def payload(self, request: Request, period: Any, dept: Any) -> dict[str, Any]:
        return payloads.usage_report(period, dept)


class HomeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=dict)
    def get(self, request: Request) -> Response:
        data = payloads.home_payload(request_user(request))
        data.pop("charts", None)
        return Response(payloads.as_json(data))
