"""Issue 17, accounts: brute-force lockout on the login form and /api/token/, expiring tokens that die
with a password change and logout, password change/reset pages, idle sessions, check --deploy."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
PASSWORD = "pass12345"  # tests.factories.UserFactory


def _login(client, username, password, ip="10.1.1.1"):  # type: ignore[no-untyped-def]
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_form_locks_the_account_after_the_limit_even_with_the_right_password(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    statuses = [_login(client, "rep_a1", "wrong-password").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the 5th failure locks
    response = _login(client, "rep_a1", PASSWORD, ip="10.9.9.9")  # another address: the account is locked
    assert response.status_code == 429
    assert "已被暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # an admin unlocks the account; the right password then works
    call_command("axes_reset_username", "rep_a1")
    assert _login(client, "rep_a1", PASSWORD, ip="10.9.9.9").status_code == 302


def test_login_form_locks_an_address_that_tries_many_accounts(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for name in ["rep_a1", "rep_a2", "rep_b1", "mgr_a", "mgr_b"]:
        _login(client, name, "wrong-password", ip="10.2.2.2")
    response = _login(client, "finance", PASSWORD, ip="10.2.2.2")
    assert response.status_code == 429
    assert _login(client, "finance", PASSWORD, ip="10.3.3.3").status_code == 302


def test_failed_logins_are_visible_to_admins_who_can_unlock(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "rep_a1", "nope")
    client.force_login(org.admin)
    page = client.get("/admin/axes/accessattempt/")
    assert page.status_code == 200 and "rep_a1" in page.content.decode()
    assert AccessAttempt.objects.filter(username="rep_a1").exists()


def test_api_token_endpoint_locks_out_too(org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    api = APIClient(REMOTE_ADDR="10.4.4.4")
    statuses = [
        api.post("/api/token/", {"username": "rep_a1", "password": "x"}).status_code for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]
    response = api.post("/api/token/", {"username": "rep_a1", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out" and "锁定" in response.json()["detail"]


def test_token_expires_after_the_configured_hours(org, settings):
    settings.CRM_API_TOKEN_TTL_HOURS = 24
    api = APIClient()
    key = api.post("/api/token/", {"username": "rep_a1", "password": PASSWORD}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/customers/").status_code == 200
    Token.objects.filter(key=key).update(created=Token.objects.get(key=key).created - dt.timedelta(hours=25))
    response = api.get("/api/customers/")
    assert response.status_code in (401, 403)  # 403: session auth is the API's first scheme
    assert "令牌已过期" in response.content.decode()
    # asking again gives a fresh token
    fresh = APIClient().post("/api/token/", {"username": "rep_a1", "password": PASSWORD}).json()["token"]
    assert fresh != key


def test_token_dies_with_a_password_change_and_with_logout(org, client):
    token = Token.objects.create(user=org.rep_a1)
    org.rep_a1.set_password("A-new-Passw0rd-2026")
    org.rep_a1.save()
    assert not Token.objects.filter(key=token.key).exists()
    token = Token.objects.create(user=org.rep_a1)
    client.force_login(org.rep_a1)
    client.post("/accounts/logout/")
    assert not Token.objects.filter(key=token.key).exists()


def test_password_change_and_reset_pages(org, client):
    assert client.get("/accounts/password_reset/").status_code == 200
    client.force_login(org.rep_a1)
    assert client.get("/accounts/password_change/").status_code == 200
    weak = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200  # refused by the validators, the form is shown again
    ok = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "Qinghai-Lake-2026",
            "new_password2": "Qinghai-Lake-2026",
        },
    )
    assert ok.status_code == 302
    org.rep_a1.refresh_from_db()
    assert org.rep_a1.check_password("Qinghai-Lake-2026")


def test_session_ends_after_the_idle_timeout(org, client):
    response = _login(client, "rep_a1", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.CRM_SESSION_IDLE_MINUTES * 60
    # activity renews it (an idle, not an absolute, timeout) — at most once a minute
    session = client.session
    session["_idle_seen"] = 0
    session.save()
    again = client.get("/customers/")
    assert (
        int(again.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.CRM_SESSION_IDLE_MINUTES * 60
    )
    assert settings.SESSION_COOKIE_NAME not in client.get("/customers/").cookies


def test_check_deploy_on_production_settings_is_clean(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 30 + "-production-like-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/8",
        "DJANGO_ALLOWED_HOSTS": "crm.example.com",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' plugin, never in production
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            "--settings=config.settings.production",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
