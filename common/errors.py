"""The app-wide error type: services raise it, views and the API turn it into a message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused the request. `message` is translated text for the user.

    `field` names the form field it belongs to (None: the whole form); `code` is stable for the API;
    `status` is the HTTP status the API answers with (400 by default, 409 for conflicts).
    """

    def __init__(
        self,
        message: Any,
        *,
        code: str = "invalid",
        field: str | None = None,
        status: int = 400,
        **extra: Any,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.field = field
        self.status = status
        self.extra = extra


class NotFound(DomainError):
    def __init__(self, message: Any, **kw: Any) -> None:
        kw.setdefault("code", "not_found")
        kw.setdefault("status", 404)
        super().__init__(message, **kw)


class Conflict(DomainError):
    def __init__(self, message: Any, **kw: Any) -> None:
        kw.setdefault("code", "conflict")
        kw.setdefault("status", 409)
        super().__init__(message, **kw)
