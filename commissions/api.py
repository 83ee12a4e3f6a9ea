"""REST API for statements, ledger lines and the what-if estimator: the same selectors as the pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from commissions import policy
from commissions.estimator import what_if_estimate
from commissions.forms import parse_month
from commissions.models import CommissionLine, CommissionPlan, LineKind, LineStatus, PeriodCalculation
from commissions.selectors import (
    line_calculation,
    line_explanation,
    my_plans,
    statement_lines,
    statement_summary,
)
from commissions.services.plans import plan_objection_raise, plan_publish
from commissions.words import line_component_label, percent, plan_state_label
from common.access import api_open_to
from common.auth import request_user
from common.timeutil import local_today, month_start
from crm.models import ORDER_CATEGORY_CHOICES, KeyAccountClass, Opportunity, OpportunityStage, ProductCategory


class CommissionLineSerializer(serializers.ModelSerializer):
    payee = serializers.SerializerMethodField()
    order_number = serializers.CharField(source="order.number", default=None, read_only=True)
    # Issue 15: what a person reads — kind, status, plan and component in words, the rate in percent.
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    plan_name = serializers.CharField(source="plan.name", default=None, read_only=True)
    component_display = serializers.SerializerMethodField()
    rate_percent = serializers.SerializerMethodField()
    # Issue 15: a reason the system wrote (a clawback, a dispute adjustment) in the reader's language.
    reason = serializers.CharField(source="reason_text", read_only=True)

    class Meta:
        model = CommissionLine
        fields = [
            "id",
            "period",
            "payee",
            "payee_user",
            "payee_partner",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "order",
            "order_number",
            "credit_share",
            "plan",
            "plan_name",
            "component",
            "component_display",
            "category",
            "base",
            "rate",
            "rate_percent",
            "amount",
            "explanation",
            "corrects",
            "reason",
        ]

    def get_payee(self, obj: CommissionLine) -> str:
        return str(obj.payee_user or obj.payee_partner)

    def get_component_display(self, obj: CommissionLine) -> str:
        return line_component_label(obj)

    def get_rate_percent(self, obj: CommissionLine) -> str | None:
        return percent(obj.rate)


class CommissionLineDetailSerializer(CommissionLineSerializer):
    """One line's drill-down, as on its page: the explanation in words and the month's calculation."""

    explanation_text = serializers.SerializerMethodField()
    calculation = serializers.SerializerMethodField()

    class Meta(CommissionLineSerializer.Meta):
        fields = [*CommissionLineSerializer.Meta.fields, "explanation_text", "calculation"]

    def _calculation(self, obj: CommissionLine) -> PeriodCalculation | None:
        cache: dict[int, PeriodCalculation | None] = self.context.setdefault("calculations", {})
        if obj.pk not in cache:
            cache[obj.pk] = line_calculation(line=obj)
        return cache[obj.pk]

    def get_explanation_text(self, obj: CommissionLine) -> list[dict[str, str]]:
        calculation = self._calculation(obj)
        return [{"label": k, "value": v} for k, v in line_explanation(line=obj, calculation=calculation)]

    def get_calculation(self, obj: CommissionLine) -> dict[str, Any] | None:
        calculation = self._calculation(obj)
        if calculation is None:
            return None
        return {
            "key": calculation.key,
            "sales": f"{calculation.sales:.2f}",
            "total": f"{calculation.total:.2f}",
            "lines": calculation.result.get("lines", []),
        }


class LineFilter(django_filters.FilterSet):
    period = django_filters.CharFilter(method="filter_period", label="YYYY-MM")
    status = django_filters.ChoiceFilter(choices=LineStatus.choices)
    kind = django_filters.ChoiceFilter(choices=LineKind.choices)
    payee = django_filters.NumberFilter(field_name="payee_user_id")
    order = django_filters.NumberFilter(field_name="order_id")

    class Meta:
        model = CommissionLine
        fields = ["period", "status", "kind", "payee", "order"]

    def filter_period(self, qs, name, value):  # type: ignore[no-untyped-def]
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError({"period": _("月份格式应为 YYYY-MM，例如 2026-10。")})
        return qs.filter(period=month)


class CommissionLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_statement)]
    serializer_class = CommissionLineSerializer
    filterset_class = LineFilter
    queryset = CommissionLine.objects.none()

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return CommissionLineDetailSerializer if self.action == "retrieve" else CommissionLineSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return policy.lines_visible_to(request_user(self.request)).select_related(
            "order", "payee_user", "payee_partner", "plan"
        )


def _period_and_payee(request: Request) -> tuple[Any, int | None]:
    user = request_user(request)
    raw = request.query_params.get("period", "")
    period = parse_month(raw) if raw else month_start(local_today())
    if period is None:
        raise serializers.ValidationError({"period": _("月份格式应为 YYYY-MM，例如 2026-10。")})
    payee = request.query_params.get("payee", "")
    if not payee:
        return period, (user.pk if policy.can_pick_payee(user) else None)
    try:
        payee_id = int(payee)
    except ValueError:
        raise serializers.ValidationError({"payee": _("无效的员工编号。")}) from None
    ids = policy.visible_payee_ids(user)
    if ids is not None and payee_id not in ids:
        raise Http404
    return period, payee_id


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_open_statement)])
def statement(request: Request) -> Response:
    """K8/K10: a payee's month — earned, payable, pending collection, clawbacks (own; team; finance: all)."""
    period, payee_id = _period_and_payee(request)
    summary = statement_summary(
        statement_lines(viewer=request_user(request), period=period, payee_id=payee_id)
    )
    summary.period = period
    return Response({**summary.as_dict(), "payee": payee_id})


class WhatIfSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    category = serializers.ChoiceField(choices=ORDER_CATEGORY_CHOICES, default=ProductCategory.REGULAR)
    key_account_class = serializers.ChoiceField(choices=KeyAccountClass.choices, default="", allow_blank=True)
    opportunity = serializers.IntegerField(required=False)


@extend_schema(request=WhatIfSerializer, responses=dict)
@api_view(["POST"])
@permission_classes([api_open_to(policy.can_open_what_if)])
def what_if(request: Request) -> Response:
    user = request_user(request)
    ser = WhatIfSerializer(data=request.data)
    ser.is_valid(raise_exception=True)
    d = ser.validated_data
    opportunity = None
    if d.get("opportunity") is not None:
        opportunity = (
            Opportunity.objects.select_related("customer")
            .filter(pk=d["opportunity"], owner=user)
            .exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])
            .first()
        )
        if opportunity is None:
            raise Http404
    estimate = what_if_estimate(
        user=user,
        amount=d.get("amount"),
        category=d["category"],
        key_account_class=d["key_account_class"],
        opportunity=opportunity,
    )
    return Response(estimate.as_dict())


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_open_my_plan)])
def my_plan(request: Request) -> Response:
    """K12: the plans that pay me today in words and the announced changes (effective date, objection
    deadline, my objections)."""
    current, announced = my_plans(user=request_user(request), today=local_today())
    return Response(
        {"current": [x.as_dict() for x in current], "announced": [x.as_dict() for x in announced]}
    )


class ObjectionSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)


@extend_schema(request=ObjectionSerializer, responses=dict)
@api_view(["POST"])
@permission_classes([api_open_to(policy.can_open_my_plan)])
def plan_objection(request: Request) -> Response:
    """K12: object to an announced plan version within the notice period."""
    data = ObjectionSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    o = plan_objection_raise(
        plan=data.validated_data["plan"], by=request_user(request), text=data.validated_data["text"]
    )
    return Response({"id": o.pk, "plan": o.plan_id, "text": o.text}, status=201)


def _plan_row(plan: CommissionPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "code": plan.code,
        "name": plan.name,
        "effective_from": plan.effective_from.isoformat(),
        "effective_to": plan.effective_to.isoformat() if plan.effective_to else None,
        "state": plan_state_label(plan, local_today()),
        "approval_status": plan.approval_status,
        "approval_status_display": plan.get_approval_status_display(),
        "approval_reason": plan.approval_reason,
        "published_at": plan.published_at.isoformat() if plan.published_at else None,
    }


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_manage_plans)])
def plans(request: Request) -> Response:
    """K12: the plan versions with where each stands (草稿 / 待审批 / 已驳回 + reason / 已公布…), newest
    first, 50 a page (?after=<id> for the next)."""
    qs = CommissionPlan.objects.order_by("-id")
    try:
        after = int(request.query_params.get("after") or 0)
    except ValueError:
        after = 0
    if after:
        qs = qs.filter(id__lt=after)
    rows = list(qs[:51])
    page = rows[:50]
    return Response(
        {"results": [_plan_row(p) for p in page], "next_after": page[-1].pk if len(rows) > 50 else None}
    )


class PublishSerializer(serializers.Serializer):
    override_reason = serializers.CharField(allow_blank=True, required=False, default="")


@extend_schema(request=PublishSerializer, responses=dict)
@api_view(["POST"])
@permission_classes([api_open_to(policy.can_manage_plans)])
def plan_publish_request(request: Request, pk: int) -> Response:
    """K12: ask to publish a plan version — it goes to its approval chain (财务中心 → 销售总监 → 总裁) and
    is published when the chain completes."""
    plan = CommissionPlan.objects.filter(pk=pk).first()
    if plan is None:
        raise Http404
    data = PublishSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    plan = plan_publish(
        plan=plan, by=request_user(request), override_reason=data.validated_data["override_reason"]
    )
    return Response(_plan_row(plan), status=202 if plan.published_at is None else 200)
