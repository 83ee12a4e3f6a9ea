"""L2/L3 API: opportunities (visible pipeline), registration, stage moves, manager confirmation."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from crm import policy
from crm.api.list_export import ListedRowsViewSet
from crm.api.pipeline_common import visible_customer
from crm.api.serializers import FollowUpSerializer
from crm.lists import OPPORTUNITY_LIST
from crm.models import Opportunity, OpportunityAttachment, PipelineStage
from crm.selectors import matching_or_customer_named
from crm.services import opportunities as services


class OpportunitySerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    customer = serializers.IntegerField(source="customer_id")
    stage_display = serializers.SerializerMethodField()

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "name",
            "stage",
            "stage_display",
            "amount",
            "expected_sign_date",
            "competitors",
            "registered_at",
            "outcome_on",
            "closed_at",
            "close_reason",
            "close_confirmed_by",
            "close_confirmed_at",
            "closed_late",
            "late_confirm_reason",
        ]
        read_only_fields = [
            "owner",
            "stage",
            "registered_at",
            "outcome_on",
            "closed_at",
            "close_reason",
            "close_confirmed_by",
            "close_confirmed_at",
            "closed_late",
            "late_confirm_reason",
        ]

    def get_stage_display(self, obj: Opportunity) -> str:
        """Issue 15: the stage in words; the stage names are read once per response (shared context)."""
        names = self.context.get("_stage_names")
        if names is None:
            names = {s.code: s.label for s in PipelineStage.objects.all()}
            self.context["_stage_names"] = names
        return str(names.get(obj.stage, obj.stage))


class StageMoveSerializer(serializers.Serializer):
    stage = serializers.CharField(max_length=20)
    outcome_on = serializers.DateField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ConfirmCloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class StageSerializer(serializers.ModelSerializer):
    class Meta:
        model = PipelineStage
        fields = ["code", "name", "label", "position", "probability", "is_won", "is_lost"]


class AttachmentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    name = serializers.CharField(source="download_name", read_only=True)
    download = serializers.SerializerMethodField(help_text="the download link (login and access checked)")

    class Meta:
        model = OpportunityAttachment
        fields = ["id", "file", "name", "download", "uploaded_by", "created_at"]
        read_only_fields = ["uploaded_by", "created_at"]

    def get_download(self, obj: OpportunityAttachment) -> str:
        return reverse("crm:opportunity_attachment_download", args=[obj.pk])


class OpportunityViewSet(ListedRowsViewSet, mixins.UpdateModelMixin):
    permission_classes = [api_open_to(policy.can_open_pipeline)]
    serializer_class = OpportunitySerializer
    queryset = Opportunity.objects.none()
    list_spec = OPPORTUNITY_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.opportunities_visible_to(request_user(self.request)).select_related("customer", "owner")
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = matching_or_customer_named(qs, Q(name__icontains=q), q)
        stage = self.request.query_params.get("stage")
        if stage:
            qs = qs.filter(stage=stage)
        # Issue 16: sort, owner / team / date filters and the total, as on the list page.
        return self.list_tools(qs) if self.action in ("list", "export") else qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = dict(serializer.validated_data)
        customer = visible_customer(user=user, pk=d.pop("customer_id"))
        serializer.instance = services.opportunity_create(by=user, customer=customer, **d)

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        d = {
            k: v
            for k, v in serializer.validated_data.items()
            if k in ("name", "amount", "expected_sign_date", "competitors")
        }
        serializer.instance = services.opportunity_update(
            opportunity=serializer.instance, by=request_user(self.request), **d
        )

    @extend_schema(request=AttachmentSerializer, responses=AttachmentSerializer(many=True))
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        if request.method == "POST":
            att = services.opportunity_attach(
                opportunity=opp, by=request_user(request), file=request.FILES.get("file")
            )
            return Response(AttachmentSerializer(att).data, status=status.HTTP_201_CREATED)
        return Response(AttachmentSerializer(opp.attachments.all(), many=True).data)  # type: ignore[attr-defined]

    @extend_schema(request=FollowUpSerializer, responses=FollowUpSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def activities(self, request: Request, pk: str | None = None) -> Response:
        """Follow-ups linked to the opportunity; POST logs one (C7) against it."""
        from crm.services.customers import followup_create

        opp = self.get_object()
        if request.method == "POST":
            ser = FollowUpSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            data = {k: v for k, v in ser.validated_data.items() if k not in ("opportunity", "contact")}
            followup = followup_create(
                customer=opp.customer, by=request_user(request), opportunity=opp, **data
            )
            return Response(FollowUpSerializer(followup).data, status=status.HTTP_201_CREATED)
        return Response(FollowUpSerializer(opp.followups.all()[:200], many=True).data)  # type: ignore[attr-defined]

    @extend_schema(responses=StageSerializer(many=True))
    @action(detail=False, methods=["get"])
    def stages(self, request: Request) -> Response:
        return Response(StageSerializer(PipelineStage.objects.filter(active=True), many=True).data)

    @extend_schema(request=StageMoveSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        opp = self.get_object()
        ser = StageMoveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        opp = services.opportunity_transition(
            opportunity=opp,
            to=d["stage"],
            by=request_user(request),
            outcome_on=d["outcome_on"],
            reason=d["reason"],
        )
        return Response(OpportunitySerializer(opp).data)

    @extend_schema(request=ConfirmCloseSerializer, responses=OpportunitySerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        ser = ConfirmCloseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        opp = services.opportunity_confirm_close(
            opportunity=self.get_object(), by=request_user(request), reason=ser.validated_data["reason"]
        )
        return Response(OpportunitySerializer(opp).data, status=status.HTTP_200_OK)
