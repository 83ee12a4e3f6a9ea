"""REST API for settlements: the same services and visibility as the pages. Settlements are never
edited through the API (no PUT/PATCH/DELETE): they change only by the workflow actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from settlements import policy
from settlements.models import (
    Dispute,
    DisputeOutcome,
    ExportJob,
    Settlement,
    SettlementStatus,
    SettlementStep,
    TicketSale,
)
from settlements.selectors import dispute_list_visible_to, settlement_list_visible_to, statement_lines
from settlements.services.disputes import dispute_create, dispute_resolve
from settlements.services.generation import settlement_generate, settlement_line_defer
from settlements.services.payouts import payout_due, payout_record, payout_record_bulk
from settlements.services.tax import settlement_tax_enter, settlement_tax_import
from settlements.services.tickets import ticket_sales_of
from settlements.services.workflow import (
    BulkResult,
    inbox_for,
    settlement_transition,
    settlement_transition_bulk,
)


class SettlementSerializer(serializers.ModelSerializer):
    bank_account = serializers.CharField(source="masked_account", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    tax_method_display = serializers.CharField(source="get_tax_method_display", read_only=True)
    net_amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "month",
            "status",
            "status_display",
            "payee_user",
            "payee_partner",
            "payee_name",
            "payee_phone",
            "payee_region",
            "payee_category",
            "bank_name",
            "account_holder",
            "bank_account",
            "signed_total",
            "sold_total",
            "commission_total",
            "rebate_total",
            "reward_total",
            "adjustment_total",
            "deduction_total",
            "line_total",
            "prior_balance",
            "current_balance",
            "payout_amount",
            "ticket_signed_total",
            "ticket_sold_total",
            "ticket_deduction_total",
            "ticket_prior_balance",
            "ticket_current_balance",
            "tax_method",
            "tax_method_display",
            "tax_withheld",
            "net_amount",
            "reject_reason",
            "approved_at",
            "paid_at",
        ]
        read_only_fields = fields


class StepSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = SettlementStep
        fields = ["action", "from_status", "to_status", "actor", "acted_at", "comment"]


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    category = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    rebate = serializers.DecimalField(max_digits=16, decimal_places=2)
    description = serializers.CharField(source="description_text")  # issue 15: the reader's language
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    order = serializers.SerializerMethodField()
    component = serializers.CharField(source="commission_line.component")
    explanation = serializers.JSONField(source="commission_line.explanation")

    def get_order(self, line) -> str | None:  # type: ignore[no-untyped-def]
        order = line.commission_line.order
        return order.number if order else None


class TicketSaleSerializer(serializers.ModelSerializer):
    """K13: one attendee row of the 结算信息一览表; the ID number whole for finance only."""

    gender_display = serializers.CharField(source="get_gender_display", read_only=True)
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = TicketSale
        fields = [
            "id",
            "attendee_name",
            "gender",
            "gender_display",
            "id_number",
            "phone",
            "attended_on",
            "course_name",
            "signed_price",
            "sold_price",
            "quantity",
            "deducted_price",
            "deducted_quantity",
            "deducted_amount",
            "note",
        ]
        read_only_fields = fields

    def get_id_number(self, sale: TicketSale) -> str:
        return sale.id_number if self.context.get("unmasked") else sale.masked_id_number


class TransitionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=["submit", "confirm", "approve", "reject"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)
    expected_status = serializers.ChoiceField(choices=SettlementStatus.choices, required=False)


class BulkTransitionInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=500)
    action = serializers.ChoiceField(choices=["confirm", "approve"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class DeferInput(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField(max_length=300)


class PayoutInput(serializers.Serializer):
    paid_on = serializers.DateField()
    bank_reference = serializers.CharField(max_length=80)


class BulkPayoutInput(PayoutInput):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=1000)


class TaxInput(serializers.Serializer):
    tax_withheld = serializers.CharField()


class TaxImportInput(serializers.Serializer):
    month = serializers.DateField()
    rows = serializers.ListField(child=serializers.DictField())


class MonthInput(serializers.Serializer):
    month = serializers.DateField(input_formats=["%Y-%m", "%Y-%m-%d"])

    def validate_month(self, value: dt.date) -> dt.date:
        from common.timeutil import date_in_sane_range, sane_range_message

        if not date_in_sane_range(value):  # issue 17: settlement month 9999-12
            raise serializers.ValidationError(sane_range_message())
        return value


class SettlementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="payee_name", lookup_expr="icontains")
    status = django_filters.ChoiceFilter(choices=SettlementStatus.choices)
    month = django_filters.DateFilter(input_formats=["%Y-%m", "%Y-%m-%d"])

    class Meta:
        model = Settlement
        fields = ["q", "status", "month"]


def _bulk_body(result: BulkResult) -> dict:
    return {"done": result.done, "refused": {str(k): v for k, v in result.refused.items()}}


class SettlementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_settlements)]
    serializer_class = SettlementSerializer
    filterset_class = SettlementFilter
    queryset = Settlement.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return policy.settlements_visible_to(request_user(self.request))

    def _obj(self) -> Settlement:
        return self.get_object()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The settlement; K11: when lines were forfeited after approval, what the payout still pays
        and the forfeited lines with their reason (the trail)."""
        s = self._obj()
        data = dict(SettlementSerializer(s).data)
        due = payout_due(s)
        data["payout_due"] = {
            "gross": f"{due.gross:.2f}",
            "tax_withheld": f"{due.tax:.2f}",
            "net": f"{due.net:.2f}",
            "forfeited": f"{due.forfeited:.2f}",
            "forfeited_lines": [
                {
                    "line": x.pk,
                    "amount": f"{x.commission_line.amount:.2f}",
                    "reason": x.commission_line.reason,
                }
                for x in due.forfeited_lines
                if x.commission_line
            ],
        }
        return Response(data)

    @extend_schema(responses=LineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request: Request, pk: str | None = None) -> Response:
        s = self._obj()
        return Response(LineSerializer(statement_lines(settlement=s), many=True).data)

    @extend_schema(responses=TicketSaleSerializer(many=True))
    @action(detail=True, methods=["get"])
    def tickets(self, request: Request, pk: str | None = None) -> Response:
        """K13: the partner's attendees this month with their ticket deductions."""
        s = self._obj()
        unmasked = policy.can_see_unmasked_bank_account(request_user(request))
        return Response(
            TicketSaleSerializer(ticket_sales_of(s), many=True, context={"unmasked": unmasked}).data
        )

    @extend_schema(responses=StepSerializer(many=True))
    @action(detail=True, methods=["get"])
    def steps(self, request: Request, pk: str | None = None) -> Response:
        s = self._obj()
        return Response(
            StepSerializer(s.steps.select_related("actor").order_by("acted_at", "id"), many=True).data
        )

    @extend_schema(request=TransitionInput, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        s = self._obj()
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        s = settlement_transition(
            settlement=s,
            action=d["action"],
            by=request_user(request),
            comment=d.get("comment", ""),
            expected_status=d.get("expected_status"),
        )
        return Response(SettlementSerializer(s).data)

    @extend_schema(request=DeferInput, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def defer(self, request: Request, pk: str | None = None) -> Response:
        """S1: hold a line back to next month (finance, drafts only)."""
        s = self._obj()
        data = DeferInput(data=request.data)
        data.is_valid(raise_exception=True)
        line = s.lines.filter(pk=data.validated_data["line"]).first()
        if line is None:
            raise Http404
        s = settlement_line_defer(line=line, by=request_user(request), reason=data.validated_data["reason"])
        return Response(SettlementSerializer(s).data)

    @extend_schema(request=TaxInput, responses=SettlementSerializer)
    @action(detail=True, methods=["post"])
    def tax(self, request: Request, pk: str | None = None) -> Response:
        """001 第8条: finance enters the payroll's income tax for an employee's settlement."""
        s = self._obj()
        data = TaxInput(data=request.data)
        data.is_valid(raise_exception=True)
        s = settlement_tax_enter(
            settlement=s, amount=data.validated_data["tax_withheld"], by=request_user(request)
        )
        return Response(SettlementSerializer(s).data)

    @extend_schema(request=TaxImportInput)
    @action(detail=False, methods=["post"], url_path="tax-import")
    def tax_import(self, request: Request) -> Response:
        """001 第8条: the payroll's tax for a month, [{"username", "tax_withheld"}, …], all or nothing."""
        data = TaxImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        rows = [(str(r.get("username", "")), r.get("tax_withheld", "")) for r in d["rows"]]
        n = settlement_tax_import(month=d["month"].replace(day=1), rows=rows, by=request_user(request))
        return Response({"updated": n})

    @extend_schema(request=BulkTransitionInput)
    @action(detail=False, methods=["post"], url_path="bulk-transition")
    def bulk_transition(self, request: Request) -> Response:
        data = BulkTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        visible = set(self.get_queryset().filter(pk__in=d["ids"]).values_list("id", flat=True))
        result = settlement_transition_bulk(
            settlement_ids=visible, action=d["action"], by=request_user(request), comment=d.get("comment", "")
        )
        for pk in set(d["ids"]) - visible:
            result.refused[pk] = str(_("未找到。"))
        return Response(_bulk_body(result))

    @action(detail=False, methods=["get"])
    def inbox(self, request: Request) -> Response:
        rows = inbox_for(user=request_user(request))
        return Response(SettlementSerializer(rows, many=True).data)

    @extend_schema(request=PayoutInput)
    @action(detail=True, methods=["post"])
    def payout(self, request: Request, pk: str | None = None) -> Response:
        if not policy.can_pay(request_user(request)):
            raise Http404
        s = self._obj()
        data = PayoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        p = payout_record(settlement=s, by=request_user(request), **data.validated_data)
        return Response(
            {"id": p.pk, "paid_on": p.paid_on, "bank_reference": p.bank_reference, "amount": p.amount}
        )

    @extend_schema(request=BulkPayoutInput)
    @action(detail=False, methods=["post"], url_path="bulk-payout")
    def bulk_payout(self, request: Request) -> Response:
        data = BulkPayoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        visible = set(self.get_queryset().filter(pk__in=d["ids"]).values_list("id", flat=True))
        result = payout_record_bulk(
            settlement_ids=visible,
            by=request_user(request),
            paid_on=d["paid_on"],
            bank_reference=d["bank_reference"],
        )
        return Response(_bulk_body(result))

    @extend_schema(request=MonthInput)
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        user = request_user(request)
        if not policy.can_generate(user):
            raise DomainError(_("只有财务中心可以生成结算单。"), code="not_allowed", status=403)
        data = MonthInput(data=request.data)
        data.is_valid(raise_exception=True)
        r = settlement_generate(month=data.validated_data["month"], by=user)
        return Response(
            {
                "month": r.month,
                "created": r.created,
                "lines_added": r.lines_added,
                "skipped": r.skipped_payees,
            },
            status=status.HTTP_201_CREATED,
        )


class DisputeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dispute
        fields = [
            "id",
            "settlement",
            "line",
            "raised_by",
            "reason",
            "status",
            "answer",
            "answered_by",
            "answered_at",
            "outcome",
            "adjustment_amount",
            "adjustment_line",
        ]
        read_only_fields = fields


class DisputeInput(serializers.Serializer):
    line = serializers.IntegerField()
    reason = serializers.CharField(max_length=1000)


class ResolveInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DisputeOutcome.choices)
    answer = serializers.CharField(max_length=1000)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_settlements)]
    serializer_class = DisputeSerializer
    queryset = Dispute.objects.none()
    filterset_fields = ["status", "settlement"]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return dispute_list_visible_to(user=request_user(self.request))

    @extend_schema(request=DisputeInput, responses=DisputeSerializer)
    def create(self, request: Request) -> Response:
        data = DisputeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        from settlements.models import SettlementLine

        line = (
            SettlementLine.objects.filter(
                pk=data.validated_data["line"],
                settlement__in=settlement_list_visible_to(user=user).values("id"),
            )
            .select_related("settlement")
            .first()
        )
        if line is None:
            raise Http404
        d = dispute_create(line=line, by=user, reason=data.validated_data["reason"])
        return Response(DisputeSerializer(d).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveInput, responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        dispute = self.get_object()
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        dispute = dispute_resolve(
            dispute=dispute,
            by=request_user(request),
            outcome=d["outcome"],
            answer=d["answer"],
            amount=d.get("amount"),
        )
        return Response(DisputeSerializer(dispute).data)


class ExportJobSerializer(serializers.ModelSerializer):
    # Issue 17: the download link goes through the view that checks the requester and expiry.
    file = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "month", "status", "progress", "error", "file"]
        read_only_fields = fields

    def get_file(self, obj: ExportJob) -> str | None:
        from django.urls import reverse

        return reverse("settlements:export_download", args=[obj.pk]) if obj.file else None


class ExportJobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_export)]
    serializer_class = ExportJobSerializer
    queryset = ExportJob.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return ExportJob.objects.filter(requested_by=request_user(self.request))

    @extend_schema(request=MonthInput, responses=ExportJobSerializer)
    def create(self, request: Request) -> Response:
        user = request_user(request)
        data = MonthInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = ExportJob.objects.create(
            month=data.validated_data["month"].replace(day=1),
            requested_by=user,
            unmasked=policy.can_see_unmasked_bank_account(user),
        )
        from settlements.tasks import run_export_job

        transaction.on_commit(lambda: run_export_job.delay(job.pk))
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
