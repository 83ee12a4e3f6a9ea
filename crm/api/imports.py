"""Issue 16/17 API: imports as background jobs. POST a file (multipart: kind, file) → 202 with the job;
GET the job for its progress and, once finished, the row-by-row report."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from crm import policy
from crm.models import ImportJob, ImportKind
from crm.services import imports as services


class ImportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    report = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "filename",
            "status",
            "percent",
            "total_rows",
            "processed_rows",
            "created_count",
            "duplicate_count",
            "error_count",
            "error",
            "created_at",
            "finished_at",
            "report",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_report(self, obj: ImportJob) -> list[dict[str, object]]:
        """[{line, outcome, outcome_label, message, object_id, case_id}] once the job has finished."""
        return services.import_report_rows(obj) if obj.finished else []


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField()


def start_job_response(request: Request, *, kind: str, upload: object) -> Response:
    job = services.import_job_start(
        by=request_user(request),
        kind=kind,
        filename=upload.name,  # type: ignore[attr-defined]
        content=upload.read(),  # type: ignore[attr-defined]
    )
    job.refresh_from_db()  # eager (tests) or quick: it may have finished already
    return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_imports)]
    serializer_class = ImportJobSerializer
    queryset = ImportJob.objects.none()
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return policy.import_jobs_visible_to(request_user(self.request))

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportJobSerializer})
    def create(self, request: Request) -> Response:
        ser = ImportUploadSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return start_job_response(request, kind=ser.validated_data["kind"], upload=ser.validated_data["file"])
