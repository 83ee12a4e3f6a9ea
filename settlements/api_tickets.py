"""K13 ticket entry API (finance): the same services, rules and visibility as the ticket page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from partners.models import Partner
from settlements import policy
from settlements.api import TicketSaleSerializer
from settlements.models import Gender, PartnerTicketStock, TicketSale
from settlements.selectors_tickets import ticket_sales_recorded, ticket_stock_recorded
from settlements.services.ticket_entry import ticket_sale_record, ticket_stock_record


def _month(request: Request) -> dt.date | None:
    raw = request.query_params.get("month", "")
    if not raw:
        return None
    try:
        return dt.datetime.strptime(raw, "%Y-%m").date()
    except ValueError:
        raise DomainError(_("月份格式应为 YYYY-MM。"), field="month") from None


class TicketStockSerializer(serializers.ModelSerializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.filter(is_active=True))
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = PartnerTicketStock
        fields = [
            "id",
            "partner",
            "partner_name",
            "course_name",
            "ticket_price",
            "quantity",
            "acquired_on",
            "note",
        ]
        extra_kwargs = {"note": {"required": False}}


class TicketSaleInput(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.filter(is_active=True))
    month = serializers.DateField(required=False, allow_null=True, default=None)
    attendee_name = serializers.CharField(max_length=80)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    attended_on = serializers.DateField()
    course_name = serializers.CharField(max_length=100)
    signed_price = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    sold_price = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    quantity = serializers.IntegerField(min_value=1, max_value=100000, default=1)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TicketEntrySaleSerializer(TicketSaleSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta(TicketSaleSerializer.Meta):
        fields = ["partner", "partner_name", "month", *TicketSaleSerializer.Meta.fields]
        read_only_fields = fields


class TicketStockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """K13: the tickets partners own (票价 × 票数量). GET lists (?q=, ?month=YYYY-MM); POST records."""

    permission_classes = [api_open_to(policy.can_record_tickets)]
    serializer_class = TicketStockSerializer

    def get_queryset(self) -> QuerySet[PartnerTicketStock]:
        return ticket_stock_recorded(q=self.request.query_params.get("q", ""), month=_month(self.request))

    def create(self, request: Request) -> Response:
        ser = TicketStockSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        stock = ticket_stock_record(by=request_user(request), **ser.validated_data)
        return Response(TicketStockSerializer(stock).data, status=status.HTTP_201_CREATED)


class TicketSaleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """K13: the attendees partners bring (结算信息一览表 rows). GET lists; POST records one (the deduction
    columns are computed, never sent)."""

    permission_classes = [api_open_to(policy.can_record_tickets)]
    serializer_class = TicketEntrySaleSerializer

    def get_queryset(self) -> QuerySet[TicketSale]:
        return ticket_sales_recorded(q=self.request.query_params.get("q", ""), month=_month(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        unmasked = policy.can_see_unmasked_bank_account(self.request.user)
        return {**super().get_serializer_context(), "unmasked": unmasked}

    def create(self, request: Request) -> Response:
        ser = TicketSaleInput(data=request.data)
        ser.is_valid(raise_exception=True)
        sale = ticket_sale_record(by=request_user(request), **ser.validated_data)
        out = TicketEntrySaleSerializer(sale, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)
