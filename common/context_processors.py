"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from common.menu import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`nav_groups`: the signed-in user's role menu (see common.menu). Computed lazily, once per render."""
    cache: list[Any] = []

    def groups() -> list[Any]:
        if not cache:
            cache.append(nav_for(request))
        return cache[0]

    return {"nav_groups": groups}
