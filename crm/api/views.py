"""REST API for the customer book: the same services and visibility rules as the pages."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.auth import request_user
from crm.api.serializers import (
    ContactSerializer,
    CustomerListSerializer,
    CustomerSerializer,
    FollowUpSerializer,
    OutingSerializer,
    ReviewSerializer,
)
from crm.models import Customer, CustomerStatus, Grade, Outing
from crm.selectors import customer_filter, customer_list_visible_to
from crm.services import customers as services


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="search")
    grade = django_filters.ChoiceFilter(choices=Grade.choices)
    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices)
    review_status = django_filters.CharFilter()

    class Meta:
        model = Customer
        fields = ["q", "grade", "status", "region", "industry", "review_status"]

    def filter_q(self, qs, name, value):  # type: ignore[no-untyped-def]
        return customer_filter(qs, q=value)


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = CustomerFilter
    queryset = Customer.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = customer_list_visible_to(user=request_user(self.request))
        if self.action == "list":
            qs = qs.select_related("owner", "region", "industry")
        return qs

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "list":
            return CustomerListSerializer
        return {
            "followups": FollowUpSerializer,
            "contacts": ContactSerializer,
            "review": ReviewSerializer,
        }.get(self.action, CustomerSerializer)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.customer_create(
            by=request_user(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.customer_update(
            customer=serializer.instance, by=request_user(self.request), **serializer.validated_data
        )

    @extend_schema(request=FollowUpSerializer, responses=FollowUpSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def followups(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        if request.method == "POST":
            ser = FollowUpSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            followup = services.followup_create(
                customer=customer, by=request_user(request), **ser.validated_data
            )
            return Response(FollowUpSerializer(followup).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(customer.followups.all())
        return self.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(request=ContactSerializer, responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def contacts(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        if request.method == "POST":
            ser = ContactSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            contact = services.contact_create(
                customer=customer, by=request_user(request), **ser.validated_data
            )
            return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)
        return Response(ContactSerializer(customer.contacts.all(), many=True).data)

    @extend_schema(request=ReviewSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        ser = ReviewSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        customer = services.customer_review_transition(
            customer=customer,
            by=request_user(request),
            to=ser.validated_data["decision"],
            reason=ser.validated_data["reason"],
        )
        return Response(CustomerSerializer(customer).data)


class OutingViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = OutingSerializer
    queryset = Outing.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Outing.objects.filter(user=request_user(self.request)).select_related("customer")

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.outing_register(
            by=request_user(self.request), **serializer.validated_data
        )
