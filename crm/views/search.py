"""Issue 16: the header's global search, grouped by kind."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from common.access import page_open_to
from common.auth import AuthedRequest
from crm import policy
from crm.search import MIN_QUERY, global_search


@page_open_to(policy.can_search)
def search(request: AuthedRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    scope = policy.search_scope(request.user)
    groups = global_search(scope=scope, q=q) if scope is not None else []
    return render(
        request,
        "crm/search.html",
        {
            "q": q,
            "groups": groups,
            "too_short": 0 < len(q) < MIN_QUERY,
            "found": any(g.hits for g in groups),
            "min_query": MIN_QUERY,
        },
    )
