"""Reads with rules: C8 visits without registration (in Asia/Shanghai days), C7 due for contact."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.models import Outing
from crm.selectors import (
    customers_due_for_contact,
    outings_on,
    visits_without_outing,
    visits_without_outing_first,
)
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


def test_latest_visits_without_outing_are_merged_per_author_in_list_order(org, django_assert_num_queries):
    """Issue 14: "my day" and the outings page pick each author's latest visits first (on PostgreSQL from
    the (author, time, id) index), then the newest of those: the same rows, in the same order, as the
    first n of the whole list — also when visits share a time (then the later-entered first)."""
    day = timezone.localdate() - dt.timedelta(days=1)
    a = [CustomerFactory(owner=org.rep_a1, name=f"甲{i}") for i in range(1, 4)]
    b = [CustomerFactory(owner=org.rep_a2, name=f"乙{i}") for i in range(1, 4)]
    for c in a:  # three visits of rep_a1 at the same minute
        FollowUpFactory(customer=c, author=org.rep_a1, channel="visit_core", occurred_at=at(day, 9))
    FollowUpFactory(customer=b[0], author=org.rep_a2, channel="visit_new", occurred_at=at(day, 11))
    FollowUpFactory(customer=b[1], author=org.rep_a2, channel="visit_old", occurred_at=at(day, 10))
    FollowUpFactory(customer=b[2], author=org.rep_a2, channel="phone_regular", occurred_at=at(day, 12))
    outing(org.rep_a2, b[1], at(day, 8), at(day, 8))  # registered before the 10:00 visit: not listed
    FollowUpFactory(
        customer=b[2],
        author=org.rep_a2,
        channel="visit_problem",
        occurred_at=at(day - dt.timedelta(days=9), 9),
    )

    def names(n: int, who=org.manager_a) -> list[str]:  # type: ignore[no-untyped-def]
        return [
            f"{f.author.username} {f.customer.name}"
            for f in visits_without_outing_first(user=who, since=day - dt.timedelta(days=7), until=day, n=n)
        ]

    a1, a2 = org.rep_a1.username, org.rep_a2.username
    assert names(3) == [f"{a2} 乙1", f"{a1} 甲3", f"{a1} 甲2"]
    assert names(10) == [f"{a2} 乙1", f"{a1} 甲3", f"{a1} 甲2", f"{a1} 甲1"]
    assert names(10, org.president) == names(10)  # sees everyone: the same four
    assert names(10, org.manager_b) == []
    whole = visits_without_outing(user=org.manager_a, since=day - dt.timedelta(days=7), until=day)
    for n in (1, 2, 3, 4, 5):
        assert visits_without_outing_first(
            user=org.manager_a, since=day - dt.timedelta(days=7), until=day, n=n
        ) == list(whole[:n])
    with django_assert_num_queries(
        1
    ):  # the authors, visits, customers in one query (team ids kept on the user)
        names(10)


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
