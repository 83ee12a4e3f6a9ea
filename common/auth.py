"""Typed access to the signed-in user (views are behind login_required / IsAuthenticated).

common imports no domain app: the user is whatever settings.AUTH_USER_MODEL names. For the type checker
`_User` (django-stubs) is that model — the mypy plugin resolves it from AUTH_USER_MODEL — so views still
see its roles and helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User


class AuthedRequest(HttpRequest):
    user: User  # type: ignore[assignment]


def request_user(request: Any) -> User:
    return cast("User", request.user)
