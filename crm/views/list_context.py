"""Issue 16: the list tools' part of a list page's context — one helper for every CRM list, so each
page only scopes and filters its rows (its own filters) and renders its cells."""

from __future__ import annotations

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


def list_tools_context(
    request: AuthedRequest,
    spec: ListSpec,
    qs: QuerySet[Any],
    lq: ListQuery,
    *,
    size: int,
    rows: QuerySet[Any] | None = None,
) -> dict[str, Any]:
    """Sorted page, total, headers for the chosen columns, saved filters and the filter choices.
    `rows`: the same rows with what the table shows joined/annotated (defaults to `qs`)."""
    for error in dict.fromkeys(lq.errors):
        messages.warning(request, error)
    raw_after = request.GET.get("after")
    if raw_after and not raw_after.isdigit():
        messages.warning(request, _("分页参数无效，已回到第一页。"))
    ordered = list_order(rows if rows is not None else qs, spec, lq)
    # the total rides on the page's own query
    page = list_page(ordered, lq, request.GET, size=size, total_of=qs, estimate_above=spec.estimate_above)
    prefs = list_preferences(user=request.user, spec=spec)  # one query: columns and saved filters
    shown = prefs.columns
    return {
        "page": page,
        "rows": page.rows,
        "next_cursor": page.next_cursor,
        "total": page.total,
        "list_query": lq,
        "spec": spec,
        "list_url": reverse(spec.page_url_name),
        "columns": [c.key for c in shown],
        "headers": list_headers(spec, lq, request.GET, shown),
        "all_columns": spec.columns,
        "params": clean_saved_query(spec, request.GET),
        "owner_choices": list(
            policy.list_owner_choices(request.user).only(
                "id", "username", "display_name", "first_name", "last_name"
            )
        ),
        "team_choices": list(policy.list_team_choices(request.user).only("id", "name")),
        "saved_filters": prefs.saved_filters,
        "may_share": policy.can_share_list_filters(request.user),
    }
