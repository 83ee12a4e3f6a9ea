"""Q4/Q5/Q6 API: orders with invoiced / received / outstanding, finance's payments, refunds and
invoices, bad-debt proposals, and the receivables aging lists."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.api import ListToolsMixin
from common.auth import request_user
from common.errors import DomainError
from common.timeutil import local_today
from crm import policy as crm_policy
from crm.api.list_export import ListExportMixin
from crm.lists import ORDER_LIST
from crm.models import Order, OrderLine, OrderStatus, Payment
from crm.selectors import documents_matching
from crm.services import orders as services
from crm.services import payments as payment_services
from crm.services import receivables as receivable_services

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


class OrderLineSerializer(serializers.ModelSerializer):
    """In: `product` (a catalogue product's id or code) and `quantity`; `unit_price` only under a
    contract without a quote. Category, list price, floor and unit cost are read-only (price book)."""

    product = serializers.CharField(max_length=200)
    catalog_product = serializers.IntegerField(source="catalog_product_id", read_only=True)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)

    class Meta:
        model = OrderLine
        fields = [
            "product",
            "catalog_product",
            "category",
            "quantity",
            "list_price",
            "unit_price",
            "floor_price",
            "unit_cost",
            "tax",
            "logistics",
            "amount",
        ]
        read_only_fields = ["category", "list_price", "floor_price", "unit_cost", "amount"]
        # K7: tax and logistics of a sourced line reduce its margin; optional (0 when not given).
        extra_kwargs = {"tax": {"required": False}, "logistics": {"required": False}}


class OrderSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    invoiced = serializers.DecimalField(source="invoiced_sum", read_only=True, **MONEY)
    received = serializers.DecimalField(source="received_sum", read_only=True, **MONEY)
    written_off = serializers.DecimalField(source="written_off_sum", read_only=True, **MONEY)
    outstanding = serializers.DecimalField(source="outstanding_sum", read_only=True, **MONEY)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "contract",
            "customer",
            "customer_name",
            "owner",
            "status",
            "booked_at",
            "due_on",
            "below_floor_rate",
            "total",
            "invoiced",
            "received",
            "written_off",
            "outstanding",
        ]


class OrderDetailSerializer(OrderSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "lines"]


class OrderCreateSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    lines = OrderLineSerializer(many=True, required=False)


class MoneyInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[("payment", _lazy("回款")), ("refund", _lazy("退款")), ("invoice", _lazy("开票"))]
    )
    amount = serializers.DecimalField(**MONEY)
    on = serializers.DateField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "order", "kind", "amount", "received_on", "reference", "reason", "recorded_by"]


class LineCostSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    unit_cost = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(required=False, allow_null=True, **MONEY)
    logistics = serializers.DecimalField(required=False, allow_null=True, **MONEY)


class WriteOffProposeSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**MONEY)
    reason = serializers.CharField(max_length=200)


class BoardResolutionSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    resolved_on = serializers.DateField(required=False, allow_null=True, default=None)
    file = serializers.FileField(required=False, allow_null=True, default=None)


class OrderViewSet(
    ListExportMixin, ListToolsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [api_open_to(crm_policy.can_open_orders)]
    queryset = Order.objects.none()
    list_spec = ORDER_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        scope = crm_policy.orders_visible_to(request_user(self.request))
        q = (self.request.query_params.get("q") or "").strip()
        if q:  # searched before the money is annotated: the search's UNION reads ids only
            scope = documents_matching(scope, q, titled=False)
        qs = receivable_services.orders_with_money(scope).select_related("customer")
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines")
        st = self.request.query_params.get("status")
        if st in OrderStatus.values:
            qs = qs.filter(status=st)
        # Issue 16: sort, owner / team / booking-date filters and the total, as on the list page.
        return self.list_tools(qs) if self.action in ("list", "export") else qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer

    @extend_schema(request=OrderCreateSerializer, responses=OrderDetailSerializer)
    def create(self, request: Request) -> Response:
        user = request_user(request)
        ser = OrderCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        contract = crm_policy.contracts_visible_to(user).filter(pk=ser.validated_data["contract"]).first()
        if contract is None:
            raise DomainError(_("合同不存在。"), field="contract")
        order = services.order_create(
            by=user, contract=contract, lines=[dict(x) for x in ser.validated_data.get("lines", [])]
        )
        order = self.get_queryset().get(pk=order.pk)
        return Response(OrderDetailSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MoneyInSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def money(self, request: Request, pk: str | None = None) -> Response:
        """Finance: a payment, a refund (positive amount + reason; stored negative) or an invoice."""
        order = self.get_object()
        ser = MoneyInSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        user = request_user(request)
        if d["kind"] == "payment":
            payment = payment_services.payment_record(
                order=order,
                amount=d["amount"],
                by=user,
                received_on=d["on"],
                reference=d["reference"],
                idempotency_key=request.headers.get("Idempotency-Key", ""),
            )
            if getattr(payment, "replayed", False):  # a retry: the same answer, nothing booked twice
                return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data)
        elif d["kind"] == "refund":
            payment_services.refund_record(
                order=order,
                amount=d["amount"],
                reason=d["reason"],
                by=user,
                received_on=d["on"],
                reference=d["reference"],
            )
        else:
            payment_services.invoice_record(
                order=order, amount=d["amount"], by=user, issued_on=d["on"], number=d["reference"]
            )
        return Response(
            OrderSerializer(self.get_queryset().get(pk=order.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=LineCostSerializer, responses=OrderLineSerializer)
    @action(detail=True, methods=["post"], url_path="line-costs")
    def line_costs(self, request: Request, pk: str | None = None) -> Response:
        """Finance: a line's unit cost, tax and logistics (K7) — never the rep's."""
        order = self.get_object()
        ser = LineCostSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        line = order.lines.filter(pk=d.pop("line")).first()
        if line is None:
            raise DomainError(_("订单中没有这一行。"), field="line")
        line = services.order_line_costs_set(line=line, by=request_user(request), **d)
        return Response(OrderLineSerializer(line).data)

    @extend_schema(responses=PaymentSerializer(many=True))
    @action(detail=True, methods=["get"])
    def payments(self, request: Request, pk: str | None = None) -> Response:
        return Response(PaymentSerializer(self.get_object().payments.all(), many=True).data)

    @extend_schema(request=WriteOffProposeSerializer)
    @action(detail=True, methods=["post"])
    def writeoff(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()  # a row the caller may not see is a 404, whatever the body
        ser = WriteOffProposeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        wo = receivable_services.writeoff_propose(order=obj, by=request_user(request), **ser.validated_data)
        return Response(
            {"id": wo.pk, "order": wo.order_id, "amount": str(wo.amount), "status": wo.status},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=BoardResolutionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"writeoffs/(?P<writeoff_id>[0-9]+)/resolution",
        permission_classes=[api_open_to(crm_policy.can_record_money_decisions)],
    )
    def writeoff_resolution(self, request: Request, pk: str | None = None, writeoff_id: str = "") -> Response:
        """002 §8.3: finance records the board's resolution (number, date, file; multipart) on a write-off."""
        order = self.get_object()
        writeoff = order.writeoffs.filter(pk=int(writeoff_id)).first()
        if writeoff is None:
            raise DomainError(_("坏账核销申请不存在。"), code="not_found", status=404)
        ser = BoardResolutionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        wo = receivable_services.writeoff_board_resolution_record(
            writeoff=writeoff, by=request_user(request), **ser.validated_data
        )
        return Response(
            {
                "id": wo.pk,
                "status": wo.status,
                "board_resolution_no": wo.board_resolution_no,
                "board_resolution_on": str(wo.board_resolution_on),
            },
            status=status.HTTP_200_OK,
        )


class ReceivableSerializer(OrderSerializer):
    due = serializers.SerializerMethodField()
    bucket = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "due", "bucket"]

    def get_due(self, obj: Order) -> str:
        return str(receivable_services.order_due_date(obj, policy=self.context["policy"]))

    def get_bucket(self, obj: Order) -> str:
        due = receivable_services.order_due_date(obj, policy=self.context["policy"])
        return receivable_services.aging_bucket(
            due=due, today=self.context["today"], policy=self.context["policy"]
        )


class ReceivableViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """?list=overdue|watch|meeting|bad_debt (default watch: > 2 months overdue)."""

    permission_classes = [api_open_to(crm_policy.can_open_receivables)]

    serializer_class = ReceivableSerializer
    queryset = Order.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        policy = receivable_services.pipeline_policy()
        months = {
            "overdue": 0,
            "watch": policy.watch_months,
            "meeting": policy.meeting_months,
            "bad_debt": policy.bad_debt_months,
        }.get(self.request.query_params.get("list") or "watch", policy.watch_months)
        return receivable_services.receivables_overdue(
            crm_policy.receivables_visible_to(request_user(self.request)), months=months
        ).select_related("customer")

    def get_serializer_context(self):  # type: ignore[no-untyped-def]
        ctx = super().get_serializer_context()
        ctx["policy"] = receivable_services.pipeline_policy()
        ctx["today"] = local_today()
        return ctx
