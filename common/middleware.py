"""The UI is Simplified Chinese unless the user picks English in the language menu (a cookie).

Django's LocaleMiddleware would also follow the browser's Accept-Language, so a sales rep whose phone is
set to English would get an English UI they never chose. Pages follow only the user's choice; the API
(`/api/…`) still honours Accept-Language, which API clients set on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation


class LanguageChoiceMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class DomainErrorMiddleware:
    """A business rule that refuses a page request the view did not expect (e.g. W1: a working-day deadline
    in a year whose holiday schedule nobody has entered) shows its message, never a 500. The API has its
    own handler (`common.api`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from common.errors import DomainError

        if not isinstance(exception, DomainError) or request.path.startswith("/api/"):
            return None
        return render(request, "domain_error.html", {"message": exception.message}, status=exception.status)
