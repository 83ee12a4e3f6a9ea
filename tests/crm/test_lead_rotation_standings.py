"""003 §12.4 applied by the lead rotation (L1): the last published month's top sellers are dealt to first,
a seller at the bottom in K consecutive published months gets no lead until a month breaks the streak, and
a rule whose sellers are all excluded still deals (never an unassigned lead)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from common.errors import DomainError
from crm.models import Lead, LeadAssignmentRule, RotationMonth, RotationStanding
from crm.selectors_rotation import rotation_standings
from crm.services import leads as lead_services
from crm.services.rotation import rotation_standings_publish

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (dt.date(2026, m, 1) for m in (1, 2, 3, 4))


@pytest.fixture
def rule(org):  # type: ignore[no-untyped-def]
    rule = LeadAssignmentRule.objects.create(region=org.region)
    rule.users.set([org.rep_a1, org.rep_a2, org.rep_b1])
    return rule


def deal(org, n):  # type: ignore[no-untyped-def]
    got = []
    for _ in range(n):
        lead = lead_services.lead_create(
            by=org.manager_a,
            company=f"线索公司{Lead.objects.count()}",
            source="call",
            contact_person="李先生",
            region=org.region,
        )
        got.append(lead.assigned_to.username)
    return got


def test_without_standings_the_rotation_is_plain_round_robin(org, rule):  # type: ignore[no-untyped-def]
    assert org.rep_a1.pk < org.rep_a2.pk < org.rep_b1.pk
    assert deal(org, 4) == [
        org.rep_a1.username,
        org.rep_a2.username,
        org.rep_b1.username,
        org.rep_a1.username,
    ]


def test_last_months_top_seller_is_dealt_to_first_in_each_round(org, rule):  # type: ignore[no-untyped-def]
    rotation_standings_publish(month=MAR, top=[org.rep_b1.pk], bottom=[org.rep_a1.pk])
    a1, a2, b1 = org.rep_a1.username, org.rep_a2.username, org.rep_b1.username
    assert deal(org, 6) == [b1, a1, a2, b1, a1, a2]  # bottom once: still dealt to


@override_settings(LEAD_ROTATION_TOP_PRIORITY=False)
def test_priority_can_be_switched_off(org, rule):  # type: ignore[no-untyped-def]
    rotation_standings_publish(month=MAR, top=[org.rep_b1.pk], bottom=[])
    assert deal(org, 2) == [org.rep_a1.username, org.rep_a2.username]


def test_bottom_three_consecutive_months_gets_no_lead(org, rule):  # type: ignore[no-untyped-def]
    for month in (JAN, FEB, MAR):
        rotation_standings_publish(month=month, top=[org.rep_a1.pk], bottom=[org.rep_b1.pk])
    a1, a2 = org.rep_a1.username, org.rep_a2.username
    assert deal(org, 4) == [a1, a2, a1, a2]
    assert rotation_standings().excluded == [org.rep_b1.pk]
    assert rotation_standings().strike_months == [MAR, FEB, JAN]

    rotation_standings_publish(month=APR, top=[], bottom=[org.rep_a2.pk])  # the streak breaks: B is back
    assert rotation_standings().excluded == []
    assert org.rep_b1.username in deal(org, 3)


def test_bottom_only_twice_still_gets_leads(org, rule):  # type: ignore[no-untyped-def]
    rotation_standings_publish(month=JAN, top=[], bottom=[org.rep_a2.pk])
    rotation_standings_publish(month=FEB, top=[], bottom=[org.rep_b1.pk])
    rotation_standings_publish(month=MAR, top=[], bottom=[org.rep_b1.pk])
    assert rotation_standings().excluded == []
    assert deal(org, 3) == [org.rep_a1.username, org.rep_a2.username, org.rep_b1.username]


def test_a_month_never_published_breaks_the_streak(org, rule):  # type: ignore[no-untyped-def]
    for month in (JAN, MAR, APR):  # February missing: not three consecutive months
        rotation_standings_publish(month=month, top=[], bottom=[org.rep_b1.pk])
    assert rotation_standings().excluded == []


def test_everyone_excluded_falls_back_to_the_normal_rotation(org, rule):  # type: ignore[no-untyped-def]
    everyone = [org.rep_a1.pk, org.rep_a2.pk, org.rep_b1.pk]
    for month in (JAN, FEB, MAR):
        rotation_standings_publish(month=month, top=[], bottom=everyone)
    assert deal(org, 3) == [org.rep_a1.username, org.rep_a2.username, org.rep_b1.username]
    assert not Lead.objects.filter(assigned_to__isnull=True).exists()


@override_settings(LEAD_ROTATION_BOTTOM_STRIKES=2)
def test_strikes_is_a_setting(org, rule):  # type: ignore[no-untyped-def]
    for month in (FEB, MAR):
        rotation_standings_publish(month=month, top=[], bottom=[org.rep_b1.pk])
    assert deal(org, 3) == [org.rep_a1.username, org.rep_a2.username, org.rep_a1.username]


def test_publishing_a_month_again_replaces_its_standings(org):  # type: ignore[no-untyped-def]
    rotation_standings_publish(month=dt.date(2026, 3, 17), top=[org.rep_a1.pk], bottom=[org.rep_b1.pk])
    rotation_standings_publish(month=MAR, top=[org.rep_a2.pk], bottom=[org.rep_b1.pk])
    assert RotationMonth.objects.get().month == MAR
    assert list(RotationStanding.objects.values_list("user_id", "kind", "position")) == [
        (org.rep_b1.pk, "bottom", 1),
        (org.rep_a2.pk, "top", 1),
    ]
    with pytest.raises(DomainError):
        rotation_standings_publish(month=MAR, top=[org.rep_a1.pk], bottom=[org.rep_a1.pk])
    assert RotationStanding.objects.count() == 2  # refused: nothing changed


def test_admin_shows_a_published_month_read_only(org, client):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    row = rotation_standings_publish(month=MAR, top=[org.rep_a1.pk], bottom=[org.rep_b1.pk])
    client.force_login(admin_user)
    html = client.get(f"/admin/crm/rotationmonth/{row.pk}/change/").content.decode()
    assert str(org.rep_a1) in html and str(org.rep_b1) in html
    assert client.get("/admin/crm/rotationmonth/add/").status_code == 403
