"""Shared DRF pieces: the exception handler that speaks DomainError, and cheap keyset pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": str(exc.message), "code": exc.code}
        if exc.field:
            body["field"] = exc.field
            body[exc.field] = [str(exc.message)]
        body.update({k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | bool | None)})
        return Response(body, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        return Response({"detail": str(_("未找到。"))}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)


class KeysetPagination(CursorPagination):
    """Cursor (keyset) pagination on the primary key: the same cost on page 1 and page 10,000,
    and no COUNT(*) over the whole table."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):  # type: ignore[no-untyped-def]
        """A tampered or stale cursor is bad input (400 with a message), not a missing page."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise DomainError(
                _("分页游标无效，请从第一页重新开始。"), code="invalid_cursor", field="cursor"
            ) from None


def _select_related_paths(select_related: Any) -> list[str]:
    """`select_related("customer__owner")` as the prefetch paths it stands for (a dict of dicts)."""
    if not isinstance(select_related, dict):
        return []
    paths: list[str] = []
    for name, below in select_related.items():
        deeper = _select_related_paths(below)
        paths += [f"{name}__{p}" for p in deeper] if deeper else [name]
    return paths


class ListToolsPagination(KeysetPagination):
    """Keyset pages in the order the list tools chose (`view.list_ordering`); with `with_total=true`
    also the list's total (estimated on very large PostgreSQL tables, see common.listtools.list_total).
    The total is asked for, not given by default: a client walking the pages does not pay a COUNT each."""

    total: Any = None

    def get_ordering(self, request, queryset, view):  # type: ignore[no-untyped-def]
        return getattr(view, "list_ordering", None) or super().get_ordering(request, queryset, view)

    def paginate_queryset(self, queryset, request, view=None):  # type: ignore[no-untyped-def]
        from common.listtools import list_total_from, with_list_total

        wanted = str(request.query_params.get("with_total", "")).lower() in ("1", "true", "yes")
        self.total = None
        if not wanted:
            return self._page(queryset, request, view)
        # issue 16: the total rides on the page's own query (one column), not a second round trip
        spec = getattr(view, "list_spec", None)
        above = spec.estimate_above if spec is not None else None
        page = self._page(with_list_total(queryset, queryset, estimate_above=above), request, view)
        self.total = list_total_from(
            page or [], queryset, first_page=self.cursor is None, estimate_above=above
        )
        return page

    def _page(self, queryset, request, view):  # type: ignore[no-untyped-def]
        """Sorted by a column, the page is read without its joins and they are fetched for its rows after:
        a database joins before it sorts, so one query joined every row of a team's 20,000 opportunities
        to its customer to send 50 (1M bench: 0.7–0.9 s; bench/pipeline_lists.py)."""
        related = _select_related_paths(queryset.query.select_related)
        if tuple(self.get_ordering(request, queryset, view)) == ("-id",) or not related:
            return super().paginate_queryset(queryset, request, view)
        page = super().paginate_queryset(queryset.select_related(None), request, view)
        prefetch_related_objects(page or [], *related)
        return page

    def get_paginated_response(self, data):  # type: ignore[no-untyped-def]
        response = super().get_paginated_response(data)
        if self.total is not None:
            response.data["total"] = self.total.value
            response.data["total_estimated"] = self.total.estimated
        return response

    def get_paginated_response_schema(self, schema):  # type: ignore[no-untyped-def]
        out = super().get_paginated_response_schema(schema)
        out["properties"]["total"] = {"type": "integer"}
        out["properties"]["total_estimated"] = {"type": "boolean"}
        return out


class ListToolsMixin:
    """A list API with the list page's tools: `sort`, `owner`, `team`, `date_from`, `date_to` (bad values
    are a 400 with the reason), cursor pages in that order and the total. The view sets `list_spec`
    and passes its scoped queryset through `list_tools()` for the list action."""

    list_spec: Any = None  # common.listtools.ListSpec
    list_ordering: tuple[str, ...] | None = None
    pagination_class: Any = ListToolsPagination
    request: Any

    def list_tools(self, qs: Any) -> Any:
        from common.listtools import api_ordering, list_filter, list_query_parse

        lq = list_query_parse(self.list_spec, self.request.query_params, api=True)
        if lq.errors:
            raise DomainError(lq.errors[0], code="invalid_list_query")
        self.list_ordering = api_ordering(self.list_spec, lq)
        return list_filter(qs, self.list_spec, lq)
