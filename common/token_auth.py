"""Issue 17: API tokens expire CRM_API_TOKEN_TTL_HOURS after they were issued. (A module of its own:
DRF imports the authentication class while it builds APIView, so this must not import DRF views.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expired(token: Token, *, now: dt.datetime | None = None) -> bool:
    ttl = dt.timedelta(hours=settings.CRM_API_TOKEN_TTL_HOURS)
    return token.created < (now or timezone.now()) - ttl


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …` valid for CRM_API_TOKEN_TTL_HOURS after it was issued."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Token]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise AuthenticationFailed(_("令牌已过期，请重新获取。"))
        _audit_token_use(user, token)
        return user, token


def _audit_token_use(user: Any, token: Token) -> None:
    """Issue 17: token use is in the audit trail — once per token per hour, not once per call."""
    from django.core.cache import cache

    from common.audit import audit_record

    if cache.add(f"audit:token-used:{token.key[:12]}", 1, timeout=3600):
        audit_record(action="token_used", actor=user, detail={"token": token.key[:6] + "…"})
