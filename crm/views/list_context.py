"""Issue 16: the list tools' part of a list page's context — one helper for every CRM list, so each
page only scopes and filters its rows (its own filters) and renders its cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from common.auth import AuthedRequest
from common.list_preferences import list_preferences
from common.listtools import (
    ListQuery,
    ListSpec,
    clean_saved_query,
    list_filter,
    list_headers,
    list_order,
    list_page,
    list_query_parse,
)
from crm import policy


def list_query_for(
    request: AuthedRequest, spec: ListSpec, qs: QuerySet[Any]
) -> tuple[QuerySet[Any], ListQuery]:
    """The tools' filters (owner / team / dates) on rows already scoped and narrowed by the page."""
    lq = list_query_parse(spec, request.GET)
    return list_filter(qs, spec, lq), lq


@dataclass
class ListRows:
    """A list's rows as its URL filters them (crm.views.list_rows): what its page and its export show."""

    spec: ListSpec
    qs: QuerySet[Any]  # the filtered rows (the total counts these)
    lq: ListQuery
    shown: QuerySet[Any]  # the same rows with what the table shows joined or summed
    context: dict[str, Any] = field(default_factory=dict)  # the list's own filter values, for its page
    exported: bool = True  # the Excel export of crm.views.list_export (the customer list has its own)


def list_rows_of(
    request: AuthedRequest, spec: ListSpec, qs: QuerySet[Any], context: dict[str, Any], *joins: str
) -> ListRows:
    """The tools' filters on rows the list scoped and narrowed; `joins`: what its table shows."""
    qs, lq = list_query_for(request, spec, qs)
    return ListRows(spec, qs, lq, qs.select_related(*joins) if joins else qs, context)


def list_tools_context(request: AuthedRequest, found: ListRows, *, size: int) -> dict[str, Any]:
    """Sorted page, total, headers for the chosen columns, saved filters, the filter choices and the
    export link."""
    spec, qs, lq = found.spec, found.qs, found.lq
    for error in dict.fromkeys(lq.errors):
        messages.warning(request, error)
    raw_after = request.GET.get("after")
    if raw_after and not raw_after.isdigit():
        messages.warning(request, _("分页参数无效，已回到第一页。"))
    ordered = list_order(found.shown, spec, lq)
    # the total rides on the page's own query
    page = list_page(ordered, lq, request.GET, size=size, total_of=qs, estimate_above=spec.estimate_above)
    prefs = list_preferences(user=request.user, spec=spec)  # one query: columns and saved filters
    shown = prefs.columns
    params = clean_saved_query(spec, request.GET)
    export_url = None
    if found.exported and policy.can_export_list(request.user, spec.key):
        export_url = reverse("crm:list_export", args=[spec.key]) + ("?" + params if params else "")
    return {
        "page": page,
        "rows": page.rows,
        "next_cursor": page.next_cursor,
        "total": page.total,
        "list_query": lq,
        "spec": spec,
        "list_url": spec.list_url,
        "columns": [c.key for c in shown],
        "headers": list_headers(spec, lq, request.GET, shown),
        "all_columns": spec.columns,
        "params": params,
        "export_url": export_url,
        "owner_choices": list(
            policy.list_owner_choices(request.user).only(
                "id", "username", "display_name", "first_name", "last_name"
            )
        ),
        "team_choices": list(policy.list_team_choices(request.user).only("id", "name")),
        "saved_filters": prefs.saved_filters,
        "may_share": policy.can_share_list_filters(request.user),
    }
