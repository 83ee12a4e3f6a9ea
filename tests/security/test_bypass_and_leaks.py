"""Issue 17, high: business-logic bypasses and leaks, each reproduced from the outside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from crm.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_cannot_add_change_or_delete_a_ledger_line(org, client):
    # given the superuser in the Django admin
    client.force_login(org.admin)
    # when they open "add commission line"
    response = client.get("/admin/commissions/commissionline/add/")
    # then it is refused: lines come only from the engine or an approved adjustment
    assert response.status_code == 403
    listing = client.get("/admin/commissions/commissionline/")
    assert listing.status_code == 200
    assert b"/admin/commissions/commissionline/add/" not in listing.content


@pytest.mark.parametrize("url", ["/api/org/users/", "/api/org/departments/", "/api/org/regions/"])
def test_partner_cannot_list_company_users_and_departments(org, api_for, url):
    partner_user = UserFactory(username="partner1")
    partner_user.groups.add(Group.objects.get_or_create(name=Role.PARTNER)[0])
    # refused by the crm policy (partners see only their portal): 404, as for any row one may not see
    assert api_for(partner_user).get(url).status_code in (403, 404)
    # a rep of the company still can
    body = api_for(org.rep_a1).get(url).json()
    assert body["results"]


def _debug_page_for(request):  # type: ignore[no-untyped-def]
    # (a frame of its own: the traceback shows this frame's source and locals, which hold no secret)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        return ExceptionReporter(request, type(exc), exc, exc.__traceback__).get_traceback_html()


def test_debug_error_page_masks_database_and_broker_passwords(settings):
    db, broker, other = "db" + "secret", "broker" + "secret", "url" + "secret"
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = f"redis://:{broker}@10.0.0.5:6379/0"
    request = RequestFactory().get(
        "/boom/",
        DATABASE_URL=f"postgres://crm:{db}@db.internal:5432/crm",
        CELERY_BROKER_URL=f"redis://:{broker}@10.0.0.5:6379/0",
        SENTRY_LIKE=f"https://user:{other}@example.com/1",
    )
    html = _debug_page_for(request)
    assert db not in html
    assert broker not in html
    assert other not in html
    assert "example.com" in html  # the rest of the URL stays readable


@pytest.mark.parametrize("password", ["12345678", "password", "rep_a1_crm"])
def test_weak_passwords_are_refused(org, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=org.rep_a1)


def test_a_reasonable_password_is_accepted(org):
    validate_password("Lanzhou-Noodles-42", user=org.rep_a1)
