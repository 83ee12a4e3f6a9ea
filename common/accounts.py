"""Issue 17, accounts: brute-force lockout (django-axes) with a clear message, API tokens that expire
and die with a password change or logout, and a throttled token endpoint.

Settings (config/settings/base.py): AXES_FAILURE_LIMIT / AXES_COOLOFF_TIME (lockout per account and
per address), CRM_API_TOKEN_TTL_HOURS, CRM_SESSION_IDLE_MINUTES, REST_FRAMEWORK throttle rate "login".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from common.token_auth import token_expired


def lockout_message() -> str:
    hours = settings.AXES_COOLOFF_TIME
    return _(
        "登录失败次数过多，该账号或该地址已被暂时锁定（%(hours)s 小时后自动解除）。"
        "如需立即解锁，请联系系统管理员。"
    ) % {"hours": hours}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: 429 with the message in the user's language (JSON for the API)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message(), "code": "locked_out"}, status=429)
    from django.contrib.auth.forms import AuthenticationForm

    context = {"lockout": lockout_message(), "form": AuthenticationForm(request)}
    return render(request, "registration/login.html", context, status=429)


class LoginRateThrottle(AnonRateThrottle):
    """Per address, on top of the per-account lockout: a script cannot hammer the token endpoint."""

    scope = "login"


class ObtainExpiringAuthToken(ObtainAuthToken):
    """POST username + password → a token; an expired token is replaced by a fresh one. A locked-out
    account or address gets 429 with the lockout message (django-axes counts the failures)."""

    throttle_classes = [LoginRateThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {"username": request.data.get("username", "")}
        if not AxesProxyHandler.is_allowed(request._request, credentials):
            return Response({"detail": lockout_message(), "code": "locked_out"}, status=429)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(
                request._request, credentials
            ):
                return Response({"detail": lockout_message(), "code": "locked_out"}, status=429)
            return Response(
                {"detail": _("用户名或密码不正确。"), "code": "invalid_credentials"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        user = serializer.validated_data["user"]
        token, _created = Token.objects.get_or_create(user=user)
        if token_expired(token):
            token.delete()
            token = Token.objects.create(user=user)
        from common.audit import audit_record

        audit_record(action="token_issued", actor=user, request=request._request)
        return Response(
            {
                "token": token.key,
                "expires_at": token.created + dt.timedelta(hours=settings.CRM_API_TOKEN_TTL_HOURS),
            }
        )


def revoke_tokens_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        Token.objects.filter(user=user).delete()


def revoke_tokens_on_password_change(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save of the user model: a new password hash ends every API token of that user."""
    if not instance.pk:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        Token.objects.filter(user_id=instance.pk).delete()


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_login_failed
    from django.db.models.signals import pre_save

    from common import audit

    user_logged_out.connect(revoke_tokens_on_logout, dispatch_uid="crm_revoke_tokens_on_logout")
    # Issue 17: the audit trail of sign-ins.
    user_logged_in.connect(audit.on_login, dispatch_uid="crm_audit_login")
    user_logged_in.connect(mark_session_active, dispatch_uid="crm_session_active_on_login")
    user_login_failed.connect(audit.on_login_failed, dispatch_uid="crm_audit_login_failed")
    user_logged_out.connect(audit.on_logout, dispatch_uid="crm_audit_logout")
    audit.install_admin_audit()
    pre_save.connect(
        revoke_tokens_on_password_change,
        sender=get_user_model(),
        dispatch_uid="crm_revoke_tokens_on_password_change",
    )


IDLE_MARK = "_idle_seen"
IDLE_REFRESH_SECONDS = 60


class SessionIdleTimeoutMiddleware:
    """The idle timeout (CRM_SESSION_IDLE_MINUTES = SESSION_COOKIE_AGE): an active session's expiry
    moves forward, at most once a minute, so a page view costs no session write most of the time; a
    session unused for the timeout expires."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and getattr(request, "user", None) and request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            if now - int(session.get(IDLE_MARK, 0)) >= IDLE_REFRESH_SECONDS:
                session[IDLE_MARK] = now  # modified → saved with a fresh expiry
        return self.get_response(request)


def mark_session_active(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[IDLE_MARK] = int(timezone.now().timestamp())
