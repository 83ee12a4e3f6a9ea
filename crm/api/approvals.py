"""Q2 API: requests visible to me, my inbox ("待我审批"), a request's chain, one-call decide, and
customer rebate / make-good requests."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from crm import policy
from crm.api.pipeline_common import visible_customer
from crm.approvals_centre import TAB_KINDS
from crm.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from crm.models.pipeline import Concession, ConcessionKind
from crm.services import approvals as services


class ApprovalRequestSerializer(serializers.ModelSerializer):
    requested_by_name = serializers.CharField(source="requested_by.__str__", read_only=True)
    rule_name = serializers.CharField(source="rule.label", read_only=True)
    title = serializers.CharField(source="heading", read_only=True)  # issue 15: in the reader's language

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "ratio",
            "amount",
            "rule",
            "rule_name",
            "requested_by",
            "requested_by_name",
            "current_order",
            "created_at",
            "decided_at",
        ]


class ApprovalDetailSerializer(ApprovalRequestSerializer):
    chain = serializers.SerializerMethodField()

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "chain"]

    def get_chain(self, obj: ApprovalRequest) -> list[dict]:
        return services.approval_chain(obj)


class DecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    rate = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_approvals)]
    queryset = ApprovalRequest.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.approvals_visible_to(request_user(self.request)).select_related("requested_by", "rule")
        kind = self.request.query_params.get("kind")
        if kind in ApprovalKind.values:
            qs = qs.filter(kind=kind)
        st = self.request.query_params.get("status")
        if st in ApprovalStatus.values:
            qs = qs.filter(status=st)
        return qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return ApprovalDetailSerializer if self.action == "retrieve" else ApprovalRequestSerializer

    @extend_schema(
        responses=ApprovalRequestSerializer(many=True),
        parameters=[
            OpenApiParameter("kind", str, enum=ApprovalKind.values),
            OpenApiParameter("tab", str, enum=list(TAB_KINDS)),
        ],
    )
    @action(detail=False, methods=["get"])
    def inbox(self, request: Request) -> Response:
        """待我审批 — the same list as the approvals centre: requests whose current step I may decide,
        oldest first; `?kind=quote_discount` (a kind) or `?tab=quotes` (a centre tab) narrows it."""
        steps = services.approvals_waiting_for(user=request_user(request))
        ids = steps.values("request_id")
        qs = ApprovalRequest.objects.filter(pk__in=ids).select_related("requested_by", "rule")
        kind = request.query_params.get("kind")
        tab = request.query_params.get("tab")
        if kind:
            qs = qs.filter(kind=kind) if kind in ApprovalKind.values else qs.none()
        if tab:
            qs = qs.filter(kind__in=TAB_KINDS[tab]) if tab in TAB_KINDS else qs.none()
        qs = qs.order_by("created_at", "id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ApprovalRequestSerializer(page, many=True).data)

    @extend_schema(request=DecideSerializer, responses=ApprovalDetailSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        req = self.get_object()
        ser = DecideSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        req = services.approval_decide(
            request=req,
            by=request_user(request),
            approve=ser.validated_data["approve"],
            reason=ser.validated_data["reason"],
            rate=ser.validated_data["rate"],
        )
        return Response(ApprovalDetailSerializer(req).data)


class ConcessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ConcessionKind.choices)
    customer = serializers.IntegerField()
    ratio = serializers.DecimalField(max_digits=9, decimal_places=6)
    base_amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, default=None)
    reason = serializers.CharField(max_length=300)
    status = serializers.CharField(read_only=True)


class RebatePaySerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    paid_on = serializers.DateField(required=False, allow_null=True, default=None)
    payment_form_no = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class ConcessionViewSet(viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_pipeline)]
    serializer_class = ConcessionSerializer
    queryset = Concession.objects.none()  # for the schema only: every action asks the services

    @extend_schema(request=RebatePaySerializer)
    @action(
        detail=True, methods=["post"], permission_classes=[api_open_to(policy.can_record_money_decisions)]
    )
    def pay(self, request: Request, pk: str | None = None) -> Response:
        """002 §6: finance pays an approved customer rebate, in full, with its 劳务费申请单 number."""
        ser = RebatePaySerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        c = services.customer_rebate_pay(
            concession_id=int(pk or 0), by=request_user(request), **ser.validated_data
        )
        return Response({"id": c.pk, "status": c.status, "paid_amount": str(c.paid_amount)})

    def create(self, request: Request) -> Response:
        ser = ConcessionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request_user(request)
        c = services.concession_request(
            kind=d["kind"],
            customer=visible_customer(user=user, pk=d["customer"]),
            ratio=d["ratio"],
            reason=d["reason"],
            base_amount=d["base_amount"],
            by=user,
        )
        return Response(
            {
                "id": c.pk,
                "kind": c.kind,
                "customer": c.customer_id,
                "ratio": str(c.ratio),
                "status": c.status,
            },
            status=status.HTTP_201_CREATED,
        )
