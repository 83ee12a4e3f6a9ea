"""Issue 16: tasks (待办) in the API — the same scope, services and rules as the pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.timeutil import local_today
from crm import policy
from crm.api.pipeline_common import visible_customer
from crm.models import Task
from crm.selectors_tasks import STATES, tasks_filtered
from crm.services import tasks as services


class TaskSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", required=False, allow_null=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True, default="")
    owner_name = serializers.CharField(source="owner.__str__", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "due_on",
            "remind_at",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "followup",
            "done_at",
            "overdue",
        ]
        read_only_fields = ["owner", "followup", "done_at"]

    def get_overdue(self, obj: Task) -> bool:
        return obj.done_at is None and obj.due_on < local_today()


class TaskViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    permission_classes = [api_open_to(policy.can_open_tasks)]
    serializer_class = TaskSerializer
    queryset = Task.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=list(STATES), description="default: open"),
            OpenApiParameter("scope", str, enum=["mine", "team"], description="team: a manager's team too"),
            OpenApiParameter("q", str, description="title or customer name"),
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        return super().list(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        qs = policy.tasks_visible_to(user)
        if self.action != "list":
            return qs.select_related("owner", "customer")
        params = self.request.query_params
        if params.get("scope") != "team":
            qs = qs.filter(owner=user)
        state = params.get("state") or "open"
        return tasks_filtered(
            qs=qs,
            today=local_today(),
            state=state if state in STATES else "open",
            q=(params.get("q") or "").strip()[:100],
        )

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = dict(serializer.validated_data)
        customer_id = d.pop("customer_id", None)
        customer = visible_customer(user=user, pk=customer_id) if customer_id else None
        serializer.instance = services.task_create(
            by=user, title=d["title"], due_on=d["due_on"], remind_at=d.get("remind_at"), customer=customer
        )

    def _set(self, request: Request, done: bool) -> Response:
        task = services.task_set_done(task=self.get_object(), by=request_user(request), done=done)
        return Response(TaskSerializer(task).data, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: str | None = None) -> Response:
        return self._set(request, True)

    @extend_schema(request=None, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str | None = None) -> Response:
        return self._set(request, False)
