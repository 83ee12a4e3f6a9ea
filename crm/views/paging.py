"""Keyset paging for the pipeline list pages (no COUNT(*), same cost on every page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.selectors import documents_matching, keyset_page

PAGE_SIZE = 50


def page_context(request: HttpRequest, qs: QuerySet, *, size: int = PAGE_SIZE) -> dict[str, Any]:
    try:
        after = int(request.GET.get("after", "") or 0) or None
    except ValueError:
        after = None
    rows, next_cursor = keyset_page(qs, after=after, size=size)
    params = request.GET.copy()
    params.pop("after", None)
    return {"rows": rows, "next_cursor": next_cursor, "after": after, "params": params.urlencode()}


def document_filter(
    request: HttpRequest, qs: QuerySet, *, search: Callable[[str], Q] | None = None, titled: bool = True
) -> tuple[QuerySet, str, str]:
    """A document list's search and status filter (an unknown status matches nothing). The search is
    `search(q)`, else a quote's or contract's title (`titled`), exact number or customer
    (`documents_matching`)."""
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(search(q)) if search is not None else documents_matching(qs, q, titled=titled)
    status = request.GET.get("status") or ""
    if status:
        qs = qs.filter(status=status)
    return qs, q, status


def render_document_list(
    request: HttpRequest,
    qs: QuerySet,
    *,
    template: str,
    statuses: list[tuple[str, Any]],
    search: Callable[[str], Q] | None = None,
) -> HttpResponse:
    """Quote, execution-order and implementation-order lists: search, status filter, keyset pages."""
    qs, q, status = document_filter(request, qs, search=search)
    return render(
        request, template, {"q": q, "status": status, "statuses": statuses, **page_context(request, qs)}
    )
