"""Typed access to the signed-in user (views are behind login_required / IsAuthenticated)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest

if TYPE_CHECKING:
    from crm.models import User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]


def request_user(request: Any) -> User:
    return cast("User", request.user)
