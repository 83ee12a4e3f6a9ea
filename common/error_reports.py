"""Issue 17: the debug error page and error e-mails never show a secret.

Django already hides settings whose *name* looks secret (PASSWORD, TOKEN, KEY…); connection URLs such
as DATABASE_URL and CELERY_BROKER_URL carry their password inside the value, so they slip through.
This filter masks those settings by name and any ``scheme://user:password@host`` anywhere in settings,
environment-derived values and request data.
"""

from __future__ import annotations

import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

# user:password@ in any URL (the password part is what matters).
URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@", re.I
)
MASK = "********************"


def mask_url_passwords(text: str) -> str:
    return URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)


class SecretUrlExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|BROKER_URL|RESULT_BACKEND",
        flags=re.I,
    )

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if type(cleansed) is str:  # (lazy objects that pretend to be str are left alone)
            return mask_url_passwords(cleansed)
        return cleansed

    def get_safe_request_meta(self, request: Any) -> dict[str, Any]:
        meta = super().get_safe_request_meta(request)
        return {k: mask_url_passwords(v) if type(v) is str else v for k, v in meta.items()}
