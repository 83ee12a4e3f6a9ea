"""003 §9.3 API: execution orders (执行单) — list (scoped by crm.policy), detail, create on a contract."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from crm import policy
from crm.models import ExecutionOrder, ExecutionOrderStatus
from crm.services import execution_orders as services


class ExecutionOrderSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="contract_id")
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    collect_amount = serializers.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        model = ExecutionOrder
        fields = [
            "id",
            "number",
            "contract",
            "contract_number",
            "deliverables",
            "ship_on",
            "implement_on",
            "collect_amount",
            "collect_on",
            "note",
            "status",
            "status_label",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["number", "status", "created_by", "created_at"]
        extra_kwargs = {"note": {"required": False, "allow_blank": True}}


class ExecutionOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [api_open_to(policy.is_internal)]
    serializer_class = ExecutionOrderSerializer
    queryset = ExecutionOrder.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.execution_orders_visible_to(request_user(self.request)).select_related("contract")
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(number=q) | Q(contract__number=q) | Q(contract__title__icontains=q))
        st = self.request.query_params.get("status")
        if st in ExecutionOrderStatus.values:
            qs = qs.filter(status=st)
        contract = self.request.query_params.get("contract")
        if contract and contract.isdigit():
            qs = qs.filter(contract_id=int(contract))
        return qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = serializer.validated_data
        contract = policy.contracts_visible_to(user).filter(pk=d["contract_id"]).first()
        if contract is None:
            raise DomainError(_("合同不存在。"), code="not_found", field="contract")
        serializer.instance = services.execution_order_create(
            contract=contract,
            by=user,
            deliverables=d["deliverables"],
            ship_on=d["ship_on"],
            implement_on=d.get("implement_on"),
            collect_amount=d["collect_amount"],
            collect_on=d["collect_on"],
            note=d.get("note", ""),
        )
