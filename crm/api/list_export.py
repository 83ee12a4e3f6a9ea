"""Issue 16: a list API's Excel export — `GET /api/<list>/export/` with the list's own filters and the
tools' `sort`, `owner`, `team`, `date_from`, `date_to`: the rows the list answers, in the columns the user
chose on the page, as the page's 导出 Excel gives them (crm.services.list_export: scope, words, money to
the fen, the export log). Contacts, leads and opportunities: managers only (crm.policy.can_export_list)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from common.api import ListToolsMixin
from common.auth import request_user
from common.exports import xlsx_download
from common.list_preferences import list_preferences
from crm import policy
from crm.services import list_export as services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ListExportMixin:
    """For a list viewset with `list_spec` and `ListToolsMixin`; its `get_queryset` applies the list tools
    for the `export` action as for `list`."""

    list_spec: Any
    list_ordering: tuple[str, ...] | None

    get_queryset: Callable[[], Any]  # the viewset's

    @extend_schema(
        responses={(200, XLSX): OpenApiTypes.BINARY},
        description="The list as Excel, with the same filters as the list (logged).",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> HttpResponseBase:
        user, spec = request_user(request), self.list_spec
        if not policy.can_export_list(user, spec.key):
            raise NotFound  # as the page: a list one may not export is not there
        rows = self.get_queryset().order_by(*(self.list_ordering or ("-id",)))
        export = services.list_export(
            user=user,
            list_key=spec.key,
            rows=rows,
            columns=list_preferences(user=user, spec=spec).columns,
            filters=request.GET.urlencode(),
        )
        return xlsx_download(
            export.rows, filename=f"{spec.key}.xlsx", sheet=str(spec.title), formats=export.formats
        )


class ListedRowsViewSet(
    ListExportMixin,
    ListToolsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A CRM list API with the list page's tools and export: list, read one, create (contracts, quotes,
    leads; opportunities add update)."""
