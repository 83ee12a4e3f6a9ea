"""Guards that ask a policy function before a view runs (the policy itself lives in each app's
`policy.py`; `common` imports no domain app, so the check is passed in)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404
from rest_framework.permissions import BasePermission


def page_open_to(check: Callable[[Any], bool]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page a role may not open is a 404 (as a row it may not see): signed-out users go to the login
    page first."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not check(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def api_open_to(check: Callable[[Any], bool]) -> type[BasePermission]:
    """A DRF permission class from a policy function: a route a role may not use answers 404, the same as
    the page (signed-out callers get 401/403 from authentication first)."""

    class PolicyPermission(BasePermission):
        def has_permission(self, request: Any, view: Any) -> bool:
            if not (request.user and request.user.is_authenticated):
                return False
            if not check(request.user):
                raise Http404
            return True

    PolicyPermission.__name__ = f"OpenTo_{getattr(check, '__name__', 'policy')}"
    return PolicyPermission
