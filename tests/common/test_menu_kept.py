"""Issue 16 "Fast at scale": what a user may open in the role menu is worked out once and kept (common.menu),
keyed by the policy's inputs. A change of role, of a setting the policy reads or of a partner link shows in
the very next menu; the badges are still counted on every request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from common.menu import nav_for
from crm.models import ReviewStatus, Role, User
from tests.factories import CustomerFactory, UserFactory
from tests.settlements.factories import partner as make_partner

pytestmark = pytest.mark.django_db


def _menu(user, path: str = "/") -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The menu as a new request sees it (the user read afresh, as the session middleware does)."""
    request = RequestFactory().get(path)
    request.user = User.objects.get(pk=user.pk)
    return {group.key: [str(item.label) for item in group.items] for group in nav_for(request)}


def test_a_kept_menu_asks_the_policy_once_and_still_counts_the_badges(org):
    # Given a manager whose menu was built once
    first = _menu(org.manager_a)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=org.manager_a.pk)
    CustomerFactory(owner=org.rep_a1, review_status=ReviewStatus.PENDING)
    # When the next request builds it again
    with CaptureQueriesContext(connection) as ctx:
        groups = nav_for(request)
    # Then the same entries, without asking the policy again (no partner-link query), and the badge is fresh
    assert {g.key: [str(i.label) for i in g.items] for g in groups} == first
    assert not [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "partners_partner"')]
    centre = next(i for g in groups for i in g.items if i.url_name == "crm:approval_inbox")
    assert centre.badge == 1


def test_a_role_change_shows_in_the_next_menu(org):
    # Given a rep's menu (no system group)
    rep = org.rep_a1
    assert "system" not in _menu(rep)
    # When the rep is made an admin; then the next menu has the system group
    rep.groups.add(Group.objects.get_or_create(name=Role.ADMIN)[0])
    assert _menu(rep)["system"] == ["组织架构", "权限矩阵", "合伙人"]
    # And when the role is taken away again, it is gone at once
    rep.groups.remove(Group.objects.get(name=Role.ADMIN))
    assert "system" not in _menu(rep)


def test_a_policy_setting_change_shows_in_the_next_menu(org, settings):
    # Given reps write work reports (REPORTS_WORKLOG_AUTHOR_ROLES)
    assert "工作报告" in _menu(org.rep_a1)["reports"]
    # When the setting no longer names reps; then the entry is gone from the next menu, and back after
    settings.REPORTS_WORKLOG_AUTHOR_ROLES = ["account_executive"]
    assert "工作报告" not in _menu(org.rep_a1)["reports"]
    settings.REPORTS_WORKLOG_AUTHOR_ROLES = ["rep", "account_executive"]
    assert "工作报告" in _menu(org.rep_a1)["reports"]


def test_a_partner_link_shows_in_the_next_menu(org):
    # Given a partner login not yet linked to a partner: no portal
    login = UserFactory(username="partner_later", roles=[Role.PARTNER])
    assert "合伙人门户" not in _menu(login).get("partner", [])
    # When the partner is linked to the login; then the portal is in the next menu
    partner = make_partner(user=login, region=org.region)
    assert _menu(login)["partner"][0] == "合伙人门户"
    # And when the partner is deactivated, it is gone at once
    partner.is_active = False
    partner.save()
    assert "合伙人门户" not in _menu(login).get("partner", [])
