"""003 §9.5 API: implementation orders (实施单) — list (scoped by crm.policy), detail with items and
progress, raise on an approved execution order, status steps, and 转为任务 for an item. The same
services as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from crm import policy
from crm.models import ImplementationItem, ImplementationOrder, ImplementationStatus, User
from crm.services import implementation_orders as services


class ImplementationItemSerializer(serializers.ModelSerializer):
    assignee = serializers.IntegerField(source="task.owner_id", read_only=True, default=None)
    assignee_name = serializers.CharField(source="task.owner", read_only=True, default="")
    due_on = serializers.DateField(source="task.due_on", read_only=True, default=None)
    done = serializers.SerializerMethodField()

    class Meta:
        model = ImplementationItem
        fields = ["id", "seq", "title", "assignee", "assignee_name", "due_on", "done"]

    def get_done(self, item: ImplementationItem) -> bool:
        return item.task is not None and item.task.done_at is not None


class ImplementationOrderSerializer(serializers.ModelSerializer):
    execution_order = serializers.IntegerField(source="execution_order_id")
    contract_number = serializers.CharField(source="contract.number", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    items = serializers.ListField(child=serializers.CharField(max_length=200), write_only=True, min_length=1)
    item_rows = ImplementationItemSerializer(source="items", many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImplementationOrder
        fields = [
            "id",
            "number",
            "execution_order",
            "contract",
            "contract_number",
            "scope",
            "site",
            "start_on",
            "finish_on",
            "lead",
            "status",
            "status_label",
            "items",
            "item_rows",
            "progress",
            "created_by",
            "created_at",
            "completed_at",
        ]
        read_only_fields = ["number", "contract", "status", "created_by", "created_at", "completed_at"]
        extra_kwargs = {"site": {"required": False, "allow_blank": True}}

    def get_progress(self, order: ImplementationOrder) -> dict[str, int]:
        items = list(order.items.all())  # type: ignore[attr-defined]
        done = sum(1 for i in items if i.task is not None and i.task.done_at is not None)
        return {"done": done, "total": len(items)}


class ImplementationTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ImplementationStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ImplementationAssignSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    due_on = serializers.DateField()


class ImplementationOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [api_open_to(policy.is_internal)]
    serializer_class = ImplementationOrderSerializer
    queryset = ImplementationOrder.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = (
            policy.implementation_orders_visible_to(request_user(self.request))
            .select_related("contract")
            .prefetch_related("items__task__owner")
        )
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(number=q) | Q(contract__number=q) | Q(scope__icontains=q))
        st = self.request.query_params.get("status")
        if st in ImplementationStatus.values:
            qs = qs.filter(status=st)
        for key in ("contract", "execution_order"):
            value = self.request.query_params.get(key)
            if value and value.isdigit():
                qs = qs.filter(**{f"{key}_id": int(value)})
        return qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = serializer.validated_data
        eo = policy.execution_orders_visible_to(user).filter(pk=d["execution_order_id"]).first()
        if eo is None:
            raise DomainError(_("执行单不存在。"), code="not_found", field="execution_order")
        serializer.instance = services.implementation_order_create(
            execution_order=eo,
            by=user,
            scope=d["scope"],
            site=d.get("site", ""),
            start_on=d["start_on"],
            finish_on=d["finish_on"],
            lead=d.get("lead"),
            items=d["items"],
        )

    def _fresh(self, pk: Any) -> Response:
        return Response(ImplementationOrderSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=ImplementationTransitionSerializer, responses=ImplementationOrderSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()  # a row the caller may not see is a 404, whatever the body
        ser = ImplementationTransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.implementation_order_transition(order=obj, by=request_user(request), **ser.validated_data)
        return self._fresh(obj.pk)

    @extend_schema(request=ImplementationAssignSerializer, responses=ImplementationOrderSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """转为任务: one item becomes a task of an implementation staff member."""
        obj = self.get_object()
        ser = ImplementationAssignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        item = obj.items.filter(pk=d["item"]).first()  # type: ignore[attr-defined]
        if item is None:
            raise DomainError(_("实施事项不存在。"), code="not_found", field="item")
        services.implementation_item_assign(
            item=item, by=request_user(request), assignee=d["assignee"], due_on=d["due_on"]
        )
        return self._fresh(obj.pk)
