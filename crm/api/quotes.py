"""Q1 API: quotes with lines; submit / send / revise through the quote workflow."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from crm import policy
from crm.api.list_export import ListedRowsViewSet
from crm.api.pipeline_common import visible_customer
from crm.lists import QUOTE_LIST
from crm.models import Quote, QuoteLine, QuoteStatus
from crm.selectors import documents_matching
from crm.services import quotes as services


class QuoteLineSerializer(serializers.ModelSerializer):
    """In: `product` is a catalogue product's id or code, with `quantity` and `quoted_price` (or
    `discount_rate`, 0.1 = 10% off list). List and floor price are read-only: the price book's."""

    product = serializers.CharField(max_length=200)
    catalog_product = serializers.IntegerField(source="catalog_product_id", read_only=True)
    quoted_price = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)
    discount_rate = serializers.DecimalField(
        max_digits=7, decimal_places=6, min_value=0, max_value=1, required=False, write_only=True
    )

    class Meta:
        model = QuoteLine
        fields = [
            "product",
            "catalog_product",
            "category",
            "quantity",
            "list_price",
            "floor_price",
            "quoted_price",
            "discount_rate",
        ]
        read_only_fields = ["category", "list_price", "floor_price"]


class QuoteSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    opportunity = serializers.IntegerField(source="opportunity_id", required=False, allow_null=True)
    lines = QuoteLineSerializer(many=True)
    price_ratio = serializers.DecimalField(max_digits=9, decimal_places=6, read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "opportunity",
            "owner",
            "title",
            "status",
            "list_total",
            "quoted_total",
            "price_ratio",
            "sent_at",
            "lines",
            "created_at",
        ]
        read_only_fields = [
            "number",
            "owner",
            "status",
            "list_total",
            "quoted_total",
            "sent_at",
            "created_at",
        ]


class QuoteListSerializer(QuoteSerializer):
    class Meta(QuoteSerializer.Meta):
        fields = [f for f in QuoteSerializer.Meta.fields if f != "lines"]


@extend_schema_serializer(component_name="QuoteTransition")
class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=QuoteStatus.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class QuoteViewSet(ListedRowsViewSet):
    permission_classes = [api_open_to(policy.can_open_pipeline)]
    queryset = Quote.objects.none()
    list_spec = QUOTE_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.quotes_visible_to(request_user(self.request)).select_related("customer")
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines")
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = documents_matching(qs, q)
        st = self.request.query_params.get("status")
        if st in QuoteStatus.values:
            qs = qs.filter(status=st)
        # Issue 16: sort, owner / team / date filters and the total, as on the list page.
        return self.list_tools(qs) if self.action in ("list", "export") else qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return QuoteListSerializer if self.action == "list" else QuoteSerializer

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = serializer.validated_data
        opp_id = d.get("opportunity_id")
        opportunity = policy.opportunities_visible_to(user).filter(pk=opp_id).first() if opp_id else None
        serializer.instance = services.quote_create(
            by=user,
            customer=visible_customer(user=user, pk=d["customer_id"]),
            title=d["title"],
            lines=[dict(x) for x in d["lines"]],
            opportunity=opportunity,
        )

    @extend_schema(request=TransitionSerializer, responses=QuoteSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()  # a row the caller may not see is a 404, whatever the body
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        quote = services.quote_transition(quote=obj, by=request_user(request), **ser.validated_data)
        return Response(QuoteSerializer(quote).data)
