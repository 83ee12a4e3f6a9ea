"""002 §6 API: the customer rebates finance pays (GET ?state=approved|paid&q=), with what each is due.
Paying is `POST /api/crm/concessions/<id>/pay/` (the same service as the page)."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets

from common.access import api_open_to
from crm import policy
from crm.models import Concession
from crm.services.rebate_payments import customer_rebate_due, customer_rebates_for_payment


class RebatePaymentSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    due = serializers.SerializerMethodField()

    class Meta:
        model = Concession
        fields = [
            "id",
            "customer",
            "customer_name",
            "ratio",
            "base_amount",
            "due",
            "status",
            "paid_amount",
            "paid_on",
            "payment_form_no",
        ]
        read_only_fields = fields

    def get_due(self, c: Concession) -> str:
        return f"{customer_rebate_due(c):.2f}"


class RebatePaymentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_rebate_payments)]
    serializer_class = RebatePaymentSerializer

    def get_queryset(self) -> QuerySet[Concession]:
        params = self.request.query_params
        return customer_rebates_for_payment(q=params.get("q", ""), state=params.get("state", "approved"))
