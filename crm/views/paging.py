"""Keyset paging for the pipeline list pages (no COUNT(*), same cost on every page)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

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
