"""Issue 16: the global search as JSON — the same selector and scope as the page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import api_open_to
from common.auth import request_user
from crm import policy
from crm.search import global_search

_Hit = inline_serializer(
    "SearchHit",
    {"label": serializers.CharField(), "detail": serializers.CharField(), "url": serializers.CharField()},
)
_Group = inline_serializer(
    "SearchGroup",
    {
        "kind": serializers.CharField(),
        "title": serializers.CharField(),
        "more": serializers.BooleanField(),
        "hits": _Hit,
    },
)


class SearchView(APIView):
    permission_classes = [api_open_to(policy.can_search)]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="name, phone or number (at least 2 characters)")],
        responses=inline_serializer("SearchResult", {"q": serializers.CharField(), "groups": _Group}),
    )
    def get(self, request: Request) -> Response:
        q = (request.query_params.get("q") or "").strip()
        scope = policy.search_scope(request_user(request))
        groups = global_search(scope=scope, q=q) if scope is not None else []
        return Response(
            {
                "q": q,
                "groups": [
                    {
                        "kind": g.kind,
                        "title": g.title,
                        "more": g.more,
                        "hits": [{"label": h.label, "detail": h.detail, "url": h.url} for h in g.hits],
                    }
                    for g in groups
                ],
            }
        )
