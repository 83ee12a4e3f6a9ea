"""Keyset paging for the pipeline list pages (no COUNT(*), same cost on every page)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.selectors import keyset_page

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


def document_filter(request: HttpRequest, qs: QuerySet) -> tuple[QuerySet, str, str]:
    """Quote and contract lists: search by title, customer or exact number, filter by status."""
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(customer__name__icontains=q) | Q(number=q))
    status = request.GET.get("status") or ""
    if status:
        qs = qs.filter(status=status)
    return qs, q, status


def render_document_list(
    request: HttpRequest, qs: QuerySet, *, template: str, statuses: list[tuple[str, Any]]
) -> HttpResponse:
    """Quote and contract lists: search by title, customer or exact number, filter by status, keyset pages."""
    qs, q, status = document_filter(request, qs)
    return render(
        request, template, {"q": q, "status": status, "statuses": statuses, **page_context(request, qs)}
    )
