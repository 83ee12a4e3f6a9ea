"""C10 pool API (list, claim, assign) and notifications: the same selectors and services as the pages."""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.models import Notification
from common.notifications import notifications_mark_read, notifications_unread_count
from common.timeutil import local_date
from crm import policy
from crm.api.serializers import CustomerSerializer
from crm.models import Customer, Grade, User
from crm.selectors_pool import (
    pool_assign_candidates,
    pool_customer_for_claim,
    pool_customer_list,
)
from crm.services import pool as services


class PoolCustomerSerializer(serializers.ModelSerializer):
    """C11: company and grade, never phone numbers or contacts."""

    region_name = serializers.CharField(source="region.name", default=None, read_only=True)
    industry_name = serializers.CharField(source="industry.name", default=None, read_only=True)
    released_at = serializers.DateTimeField(read_only=True)
    days_in_pool = serializers.SerializerMethodField()
    previous_owner_team = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "grade",
            "region",
            "region_name",
            "industry",
            "industry_name",
            "released_at",
            "days_in_pool",
            "previous_owner_team",
        ]

    def get_days_in_pool(self, obj: Customer) -> int | None:
        released = getattr(obj, "released_at", None)
        return (timezone.localdate() - local_date(released)).days if released else None


class PoolAssignSerializer(serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class PoolFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="search")
    grade = django_filters.ChoiceFilter(choices=Grade.choices)

    class Meta:
        model = Customer
        fields = ["q", "grade", "region", "industry"]

    def filter_q(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs.filter(name__icontains=value.strip()) if value.strip() else qs


class PoolViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_pool)]
    serializer_class = PoolCustomerSerializer
    filterset_class = PoolFilter
    queryset = Customer.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return pool_customer_list(user=request_user(self.request))

    def _pool_customer(self, pk: str | None) -> Customer:
        try:
            number = int(pk or 0)
        except ValueError:
            raise Http404 from None
        return pool_customer_for_claim(user=request_user(self.request), pk=number)

    @extend_schema(request=None, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str | None = None) -> Response:
        customer = services.pool_claim(customer=self._pool_customer(pk), by=request_user(request))
        return Response(CustomerSerializer(customer).data, status=status.HTTP_200_OK)

    @extend_schema(request=PoolAssignSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        user = request_user(request)
        customer = self._pool_customer(pk)
        if not policy.can_assign_from_pool(user):
            raise Http404
        ser = PoolAssignSerializer(data=request.data)
        ser.fields["to_user"].queryset = pool_assign_candidates(manager=user)  # type: ignore[attr-defined]
        ser.is_valid(raise_exception=True)
        customer = services.pool_assign(customer=customer, to_user=ser.validated_data["to_user"], by=user)
        return Response(CustomerSerializer(customer).data)


class NotificationSerializer(serializers.ModelSerializer):
    read = serializers.BooleanField(read_only=True)
    text = serializers.CharField(source="message", read_only=True)  # issue 15: in the reader's language

    class Meta:
        model = Notification
        fields = ["id", "text", "link", "created_at", "read", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, allow_null=True)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = Notification.objects.filter(user=request_user(self.request))
        if self.request.query_params.get("unread") in ("1", "true"):
            qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(responses={200: {"type": "object", "properties": {"unread": {"type": "integer"}}}})
    @action(detail=False, methods=["get"])
    def unread(self, request: Request) -> Response:
        return Response({"unread": notifications_unread_count(user=request_user(request))})

    @extend_schema(request=MarkReadSerializer, responses={200: {"type": "object"}})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        ser = MarkReadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        n = notifications_mark_read(user=request_user(request), ids=ser.validated_data.get("ids"))
        return Response({"marked": n})
