"""REST API for the customer book: the same services and visibility rules (C11) as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.api import ListToolsMixin
from common.auth import request_user
from common.errors import DomainError
from common.timeutil import parse_day, sane_range_message
from crm import policy
from crm.api.serializers import (
    AssignSerializer,
    ContactSerializer,
    CustomerListSerializer,
    CustomerSerializer,
    DepartmentSerializer,
    FollowUpSerializer,
    IndustrySerializer,
    OutingSerializer,
    PoolReleaseResultSerializer,
    PoolReleaseSerializer,
    RegionSerializer,
    ReviewSerializer,
    TimelineItemSerializer,
    UserLiteSerializer,
)
from crm.lists import CUSTOMER_LIST
from crm.models import (
    Customer,
    CustomerStatus,
    Department,
    Grade,
    Industry,
    Outing,
    Region,
    ReviewStatus,
    User,
)
from crm.roles import is_external
from crm.selectors import (
    customer_filter,
    customer_list_rows,
    customer_review_queue,
    outings_on,
    timeline_for,
)
from crm.services import customers as services
from crm.services import pool_release as release_services


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="search: name fragment or phone", max_length=100)
    grade = django_filters.ChoiceFilter(choices=Grade.choices)
    status = django_filters.ChoiceFilter(choices=CustomerStatus.choices)
    review_status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = Customer
        fields = ["q", "grade", "status", "region", "industry", "review_status"]

    def filter_q(self, qs, name, value):  # type: ignore[no-untyped-def]
        return customer_filter(qs, q=value)


LIST_TOOL_PARAMETERS = [
    OpenApiParameter("sort", str, description="name, grade, status or created; '-' first for descending"),
    OpenApiParameter("owner", int, description="owner's user id"),
    OpenApiParameter("team", int, description="department id (with its sub-departments)"),
    OpenApiParameter("date_from", str, description="created on or after (YYYY-MM-DD)"),
    OpenApiParameter("date_to", str, description="created on or before (YYYY-MM-DD)"),
    OpenApiParameter("with_total", bool, description="add total / total_estimated to the page"),
]


class CustomerViewSet(
    ListToolsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers the caller may see (C11): list (keyset-paginated, no COUNT), detail, create (C2/C5),
    update (C3 grade history), and per customer: contacts, follow-ups (C7), timeline, review (C5), assign."""

    permission_classes = [api_open_to(policy.can_open_customers)]

    filterset_class = CustomerFilter
    queryset = Customer.objects.none()
    list_spec = CUSTOMER_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.customers_visible_to(request_user(self.request))
        if self.action in ("list", "export"):
            # Issue 16: the list page's tools — sort, owner / team / date filters — on the API too.
            qs = self.list_tools(qs)
        return customer_list_rows(qs) if self.action == "list" else qs.select_related("owner")

    @extend_schema(parameters=LIST_TOOL_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Customers the caller may see, filtered and sorted like the list page, with the total."""
        return super().list(request, *args, **kwargs)

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action in ("list", "review_queue"):
            return CustomerListSerializer
        return {
            "followups": FollowUpSerializer,
            "contacts": ContactSerializer,
            "review": ReviewSerializer,
            "assign": AssignSerializer,
            "timeline": TimelineItemSerializer,
        }.get(self.action, CustomerSerializer)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        data = dict(serializer.validated_data)
        data.pop("grade_reason", None)
        serializer.instance = services.customer_create(by=request_user(self.request), **data)

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        data = dict(serializer.validated_data)
        reason = data.pop("grade_reason", "")
        serializer.instance = services.customer_update(
            customer=serializer.instance, by=request_user(self.request), reason=reason, **data
        )

    @extend_schema(responses=CustomerListSerializer(many=True))
    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"], permission_classes=[api_open_to(policy.can_export_customers)])
    def export(self, request: Request) -> HttpResponseBase:
        """The customer list as CSV, or Excel with file=xlsx (managers only; every export is logged), with
        the list's filters."""
        from crm.services.customer_export import customer_export
        from crm.views.customers import export_response

        qs = self.filter_queryset(self.get_queryset())
        rows = customer_export(user=request_user(request), qs=qs, filters=request.GET.urlencode())
        return export_response(rows, fmt=request.GET.get("file", "csv"))

    @extend_schema(request=PoolReleaseSerializer, responses=PoolReleaseResultSerializer)
    @action(
        detail=False,
        methods=["post"],
        url_path="release-to-pool",
        filterset_class=None,
        permission_classes=[api_open_to(policy.can_release_to_pool)],
    )
    def release_to_pool(self, request: Request) -> Response:
        """C9 by hand: a manager releases customers of their team to the public pool with a reason; each
        customer the rules refuse is listed with the reason (the others are released)."""
        ser = PoolReleaseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        result = release_services.customers_release_to_pool(
            customer_ids=ser.validated_data["customer_ids"],
            reason=ser.validated_data["reason"],
            by=request_user(request),
        )
        return Response(
            {
                "released": [c.pk for c in result.done],
                "refused": [{"customer": name, "reason": reason} for name, reason in result.refused],
            }
        )

    @action(detail=False, methods=["get"], url_path="review-queue", filterset_class=None)
    def review_queue(self, request: Request) -> Response:
        """C5: new customers waiting for the caller's decision."""
        page = self.paginate_queryset(customer_review_queue(user=request_user(request)).order_by("-id"))
        return self.get_paginated_response(CustomerListSerializer(page, many=True).data)

    @extend_schema(request=FollowUpSerializer, responses=FollowUpSerializer(many=True))
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def followups(self, request: Request, pk: str | None = None) -> Response:
        customer = self.get_object()
        if request.method == "POST":
            ser = FollowUpSerializer(data=request.data, customer=customer)
            ser.is_valid(raise_exception=True)
            followup = services.followup_create(
                customer=customer, by=request_user(request), **ser.validated_data
            )
            return Response(FollowUpSerializer(followup).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(customer.followups.select_related("author").order_by("-id"))
        return self.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(request=ContactSerializer, responses=ContactSerializer(many=True))
    @action(detail=True, methods=["get", "post"], filterset_class=None)
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

    @extend_schema(responses=TimelineItemSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def timeline(self, request: Request, pk: str | None = None) -> Response:
        """Follow-ups, grade changes (C3), owner changes (P1), outings and the review, newest first."""
        customer = self.get_object()
        return Response(
            TimelineItemSerializer([_timeline_row(i) for i in timeline_for(customer)], many=True).data
        )

    @extend_schema(request=ReviewSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
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

    @extend_schema(request=AssignSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """A manager gives the customer to a member of their team (P1 keeps the change)."""
        customer = self.get_object()
        ser = AssignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        customer = services.customer_assign(
            customer=customer,
            to_user=ser.validated_data["to_user"],
            by=request_user(request),
            note=ser.validated_data["note"],
        )
        return Response(CustomerSerializer(customer).data)


def _timeline_row(item: dict[str, Any]) -> dict[str, Any]:
    obj, kind = item["obj"], item["kind"]
    if kind == "followup":
        text, by = f"{obj.get_channel_display()} {obj.topic}", obj.author
    elif kind == "grade":
        text = f"{obj.from_grade or '—'} → {obj.to_grade}" + (f"（{obj.reason}）" if obj.reason else "")
        by = obj.changed_by
    elif kind == "owner":
        # As on the customer page: the reason, and the note in the reader's language (issue 15).
        to, reason, note = obj.to_user or _("公海"), obj.get_reason_display(), obj.note_text
        detail = (
            _("%(name)s（%(reason)s：%(note)s）") % {"name": to, "reason": reason, "note": note}
            if note
            else _("%(name)s（%(detail)s）") % {"name": to, "detail": reason}
        )
        text = f"{obj.from_user or '—'} → {detail}"
        by = obj.changed_by
    elif kind == "outing":
        text, by = obj.purpose, obj.user
    else:
        text, by = f"{obj.get_review_status_display()} {obj.review_reason}".strip(), obj.reviewed_by
    return {"at": item["at"], "kind": kind, "text": text, "by": str(by) if by else None}


class OutingViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """C8: register an outing (a real customer, never "外出"); list mine, or with `?scope=team` (managers)
    my team's for `?day=YYYY-MM-DD` (default today)."""

    permission_classes = [api_open_to(policy.can_open_pipeline)]

    serializer_class = OutingSerializer
    queryset = Outing.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["mine", "team"]),
            OpenApiParameter("day", dt.date),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        raw_day = self.request.query_params.get("day")
        if raw_day is None and self.request.query_params.get("scope") != "team":
            return Outing.objects.filter(user=user).select_related("customer", "user")
        day = parse_day(raw_day) if raw_day else timezone.localdate()
        if day is None:  # issue 17: malformed or out of range (9999-12-31) is a 400, not a 500
            raise DomainError(
                _("日期格式应为 YYYY-MM-DD。") + sane_range_message(), code="invalid_date", field="day"
            )
        team = self.request.query_params.get("scope") == "team" and policy.is_manager(user)
        return outings_on(user=user, day=day, team=team)

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.outing_register(
            by=request_user(self.request), **serializer.validated_data
        )


class CompanyStaffOnly(IsAuthenticated):
    """The org directory is for the company's own people, not for partners (issue 17)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return super().has_permission(request, view) and not is_external(request_user(request))


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Org (read-only; admins edit it in the Django admin)."""

    permission_classes = [api_open_to(policy.is_internal)]

    queryset = Region.objects.all()
    serializer_class = RegionSerializer


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [api_open_to(policy.is_internal)]
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    filterset_fields = ["region", "parent"]


class IndustryViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [api_open_to(policy.is_internal)]
    queryset = Industry.objects.all()
    serializer_class = IndustrySerializer


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [api_open_to(policy.is_internal)]
    queryset = User.objects.filter(is_active=True)
    serializer_class = UserLiteSerializer
    filterset_fields = ["department", "manager"]
