"""L1 API: leads (list, create, detail), CSV/Excel import with the per-row report, convert."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from crm import policy
from crm.api.imports import ImportJobSerializer, start_job_response
from crm.api.list_export import ListedRowsViewSet
from crm.api.serializers import CustomerSerializer
from crm.lists import LEAD_LIST
from crm.models import Lead, LeadStatus, User
from crm.services import customer_bulk as bulk_services
from crm.services import leads as services


class LeadSerializer(serializers.ModelSerializer):
    assigned_to_name = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "company",
            "contact_person",
            "contact_position",
            "phone",
            "source",
            "region",
            "industry",
            "notes",
            "status",
            "assigned_to",
            "assigned_to_name",
            "assigned_at",
            "duplicate_of",
            "customer",
            "created_at",
        ]
        read_only_fields = ["status", "assigned_to", "assigned_at", "duplicate_of", "customer", "created_at"]

    def get_assigned_to_name(self, obj: Lead) -> str | None:
        return str(obj.assigned_to) if obj.assigned_to_id else None


class LeadImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class LeadAssignSerializer(serializers.Serializer):
    to_user = serializers.IntegerField()
    allow_other_industry = serializers.BooleanField(
        required=False, default=False, help_text="001 第八章: the manager allows a rep outside their industry"
    )


class LeadBulkAssignSerializer(serializers.Serializer):
    lead_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)
    to_user = serializers.IntegerField()


class LeadBulkAssignResultSerializer(serializers.Serializer):
    assigned = serializers.ListField(child=serializers.IntegerField())
    refused = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))


class LeadConvertSerializer(serializers.Serializer):
    contact_position = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class LeadViewSet(ListedRowsViewSet):
    permission_classes = [api_open_to(policy.can_open_pipeline)]
    serializer_class = LeadSerializer
    queryset = Lead.objects.none()
    list_spec = LEAD_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.leads_visible_to(request_user(self.request)).select_related("assigned_to")
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(company__icontains=q) | Q(phone=q))
        st = self.request.query_params.get("status")
        if st in LeadStatus.values:
            qs = qs.filter(status=st)
        # Issue 16: sort, assignee / team / date filters and the total, as on the list page.
        return self.list_tools(qs) if self.action in ("list", "export") else qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        serializer.instance = services.lead_create(by=request_user(self.request), **serializer.validated_data)

    @extend_schema(request=LeadImportSerializer, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        """Issue 17: a background import job (202); GET /api/imports/<id>/ for progress and the report."""
        ser = LeadImportSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return start_job_response(request, kind="lead", upload=ser.validated_data["file"])

    @extend_schema(request=LeadAssignSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        ser = LeadAssignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        to_user = User.objects.filter(pk=ser.validated_data["to_user"]).first()
        if to_user is None:
            raise DomainError(_("用户不存在。"), field="to_user")
        lead = services.lead_assign(
            lead=lead,
            to_user=to_user,
            by=request_user(request),
            allow_other_industry=ser.validated_data["allow_other_industry"],
        )
        return Response(LeadSerializer(lead).data)

    @extend_schema(request=LeadBulkAssignSerializer, responses=LeadBulkAssignResultSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request: Request) -> Response:
        """Issue 16: a manager hands leads to one member of the team, each through lead_assign; the refused
        ones are listed with the reason (the others are assigned)."""
        ser = LeadBulkAssignSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        result = bulk_services.leads_bulk_assign(
            lead_ids=ser.validated_data["lead_ids"],
            to_user_id=ser.validated_data["to_user"],
            by=request_user(request),
        )
        return Response(
            {
                "assigned": [lead.pk for lead in result.done],
                "refused": [{"lead": name, "reason": reason} for name, reason in result.refused],
            }
        )

    @extend_schema(request=LeadConvertSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request: Request, pk: str | None = None) -> Response:
        lead = self.get_object()
        ser = LeadConvertSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        customer = services.lead_convert(lead=lead, by=request_user(request), **ser.validated_data)
        return Response(CustomerSerializer(customer).data, status=status.HTTP_201_CREATED)
