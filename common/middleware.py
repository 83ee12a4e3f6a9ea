"""The UI is Simplified Chinese unless the user picks English in the language menu (a cookie).

Django's LocaleMiddleware would also follow the browser's Accept-Language, so a sales rep whose phone is
set to English would get an English UI they never chose. Pages follow only the user's choice; the API
(`/api/…`) still honours Accept-Language, which API clients set on purpose.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
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
