"""Reads with rules: C8 visits without registration (in Asia/Shanghai days), C7 due for contact."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.models import Outing
from crm.selectors import customers_due_for_contact, outings_on, visits_without_outing
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def outing(user, customer, planned_at, created_at):  # type: ignore[no-untyped-def]
    o = Outing.objects.create(user=user, customer=customer, planned_at=planned_at)
    Outing.objects.filter(pk=o.pk).update(created_at=created_at)
    return o


def test_visits_without_outing_uses_local_days_and_registration_before_the_visit(org):
    day = timezone.localdate() - dt.timedelta(days=1)
    c1 = CustomerFactory(owner=org.rep_a1, name="早上拜访的客户")
    c2 = CustomerFactory(owner=org.rep_a1, name="事后才登记的客户")
    c3 = CustomerFactory(owner=org.rep_a2, name="没登记的客户")
    c4 = CustomerFactory(owner=org.rep_a2, name="只打了电话的客户")
    # 00:30 Shanghai is the previous day in UTC: the registration at 00:10 the same local day counts.
    outing(org.rep_a1, c1, at(day, 0, 10), at(day - dt.timedelta(days=1), 17))
    FollowUpFactory(customer=c1, author=org.rep_a1, channel="visit_core", occurred_at=at(day, 0, 30))
    outing(org.rep_a1, c2, at(day, 9), at(day, 18))  # registered after the visit
    FollowUpFactory(customer=c2, author=org.rep_a1, channel="visit_new", occurred_at=at(day, 10))
    FollowUpFactory(customer=c3, author=org.rep_a2, channel="visit_problem", occurred_at=at(day, 15))
    FollowUpFactory(customer=c4, author=org.rep_a2, channel="phone_regular", occurred_at=at(day, 16))

    names = {f.customer.name for f in visits_without_outing(user=org.manager_a, since=day, until=day)}
    assert names == {"事后才登记的客户", "没登记的客户"}
    assert list(visits_without_outing(user=org.manager_b, since=day, until=day)) == []
    assert {f.customer.name for f in visits_without_outing(user=org.president, since=day, until=day)} == names


def test_outings_on_team_scope(org):
    today = timezone.localdate()
    c = CustomerFactory(owner=org.rep_a1)
    Outing.objects.create(user=org.rep_a1, customer=c, planned_at=at(today, 0, 5))
    Outing.objects.create(user=org.rep_a1, customer=c, planned_at=at(today - dt.timedelta(days=1), 23, 55))
    assert outings_on(user=org.manager_a, day=today, team=True).count() == 1
    assert outings_on(user=org.manager_b, day=today, team=True).count() == 0
    assert outings_on(user=org.rep_a1, day=today, team=False).count() == 1


def test_due_for_contact_follows_the_latest_plan(rep):
    today = timezone.localdate()
    due = CustomerFactory(owner=rep)
    FollowUpFactory(
        customer=due, author=rep, occurred_at=timezone.now() - dt.timedelta(days=3), next_date=today
    )
    replanned = CustomerFactory(owner=rep)
    FollowUpFactory(
        customer=replanned, author=rep, occurred_at=timezone.now() - dt.timedelta(days=9), next_date=today
    )
    FollowUpFactory(
        customer=replanned,
        author=rep,
        occurred_at=timezone.now() - dt.timedelta(days=1),
        next_date=today + dt.timedelta(days=5),
    )
    assert list(customers_due_for_contact(user=rep, today=today)) == [due]
