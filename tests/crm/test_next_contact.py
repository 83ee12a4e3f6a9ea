"""C7 "due for contact": the next contact planned by a customer's latest follow-up is kept on the customer
(`next_contact_on`, crm.services.followups) and stays right whichever way the follow-ups change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Customer, FollowUp, FollowUpChannel
from crm.selectors import customers_due_for_contact
from crm.services.followups import customers_next_contact_fill
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def log(customer: Customer, by, days_ago: int, plan: dt.date | None, topic: str = "沟通") -> FollowUp:  # type: ignore[no-untyped-def]
    return services.followup_create(
        customer=customer,
        by=by,
        occurred_at=ago(days_ago),
        channel=FollowUpChannel.PHONE_REGULAR,
        topic=topic,
        next_date=plan,
    )


def planned(customer: Customer) -> dt.date | None:
    return Customer.objects.values_list("next_contact_on", flat=True).get(pk=customer.pk)


def due_section(client, user) -> str:  # type: ignore[no-untyped-def]
    html = client(user).get(reverse("crm:my_day")).content.decode()
    return html.split('id="due"')[1].split("</section>")[0]


def test_a_new_follow_up_sets_the_plan_and_a_later_one_replaces_it(rep):
    # Given a customer whose follow-up three days ago planned a call for today
    c = CustomerFactory(owner=rep)
    log(c, rep, 3, TODAY)
    assert planned(c) == TODAY
    assert list(customers_due_for_contact(user=rep, today=TODAY)) == [c]
    # When yesterday's follow-up plans the next call in five days
    log(c, rep, 1, TODAY + dt.timedelta(days=5))
    # Then the customer is no longer due today, and is on the day of the new plan
    assert planned(c) == TODAY + dt.timedelta(days=5)
    assert list(customers_due_for_contact(user=rep, today=TODAY)) == []
    assert list(customers_due_for_contact(user=rep, today=TODAY + dt.timedelta(days=5))) == [c]
    # When today's follow-up plans nothing, nothing is planned any more
    log(c, rep, 0, None)
    assert planned(c) is None


def test_a_back_dated_follow_up_does_not_replace_the_latest_plan(rep):
    c = CustomerFactory(owner=rep)
    log(c, rep, 2, TODAY - dt.timedelta(days=1))
    # Entered late: a visit of ten days ago that had planned a call in a month
    log(c, rep, 10, TODAY + dt.timedelta(days=30))
    assert planned(c) == TODAY - dt.timedelta(days=1)
    assert list(customers_due_for_contact(user=rep, today=TODAY)) == [c]


def test_editing_a_follow_up_moves_the_plan(rep):
    c = CustomerFactory(owner=rep)
    older = log(c, rep, 6, TODAY - dt.timedelta(days=2))
    latest = log(c, rep, 1, TODAY + dt.timedelta(days=9))
    # The latest follow-up's date is corrected (as the admin saves it)
    latest.next_date = TODAY + dt.timedelta(days=3)
    latest.save()
    assert planned(c) == TODAY + dt.timedelta(days=3)
    # The older one is back-dated further: still not the latest
    older.occurred_at = ago(20)
    older.save()
    assert planned(c) == TODAY + dt.timedelta(days=3)
    # The latest turns out to have happened before the other (its time corrected): the other's plan rules
    latest.occurred_at = ago(30)
    latest.save()
    assert planned(c) == TODAY - dt.timedelta(days=2)


def test_deleting_the_latest_follow_up_falls_back_to_the_one_before(rep):
    c = CustomerFactory(owner=rep)
    log(c, rep, 5, TODAY - dt.timedelta(days=1))
    latest = log(c, rep, 1, None)
    assert planned(c) is None
    latest.delete()
    assert planned(c) == TODAY - dt.timedelta(days=1)
    FollowUp.objects.filter(customer=c).delete()  # a queryset delete, as the admin's bulk action
    assert planned(c) is None


def test_a_follow_up_moved_to_another_customer_refreshes_both(rep):
    a, b = CustomerFactory(owner=rep), CustomerFactory(owner=rep)
    moved = log(a, rep, 1, TODAY)
    log(b, rep, 4, TODAY + dt.timedelta(days=7))
    moved.customer = b
    moved.save()
    assert (planned(a), planned(b)) == (None, TODAY)


def test_the_same_time_the_last_entered_wins(rep):
    c = CustomerFactory(owner=rep)
    at = ago(1)
    FollowUpFactory(customer=c, author=rep, occurred_at=at, next_date=TODAY)
    FollowUpFactory(customer=c, author=rep, occurred_at=at, next_date=TODAY + dt.timedelta(days=2))
    assert planned(c) == TODAY + dt.timedelta(days=2)


def test_an_owner_transfer_takes_the_plan_to_the_new_owner(org, client_for):
    # Given rep_a1's customer due today
    c = CustomerFactory(owner=org.rep_a1, name="转交的公司")
    log(c, org.rep_a1, 2, TODAY)
    assert "转交的公司" in due_section(client_for, org.rep_a1)
    # When the manager gives it to rep_a2
    services.customer_assign(customer=c, to_user=org.rep_a2, by=org.manager_a)
    # Then it is due on rep_a2's day, with the plan's date, and gone from rep_a1's
    assert planned(c) == TODAY
    assert list(customers_due_for_contact(user=org.rep_a1, today=TODAY)) == []
    assert list(customers_due_for_contact(user=org.rep_a2, today=TODAY)) == [c]
    section = due_section(client_for, org.rep_a2)
    assert "转交的公司" in section and f"计划 {TODAY:%m-%d}" in section
    assert "转交的公司" not in due_section(client_for, org.rep_a1)


def test_the_admin_deleting_a_follow_up_refreshes_the_plan(org, client_for, rep):
    c = CustomerFactory(owner=rep)
    log(c, rep, 5, TODAY - dt.timedelta(days=3))
    wrong = log(c, rep, 1, TODAY + dt.timedelta(days=20), topic="记错的客户")
    client = client_for(org.admin)
    response = client.post(f"/admin/crm/followup/{wrong.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert planned(c) == TODAY - dt.timedelta(days=3)


def test_due_list_earliest_plan_first_only_mine(org, rep):
    late, early, mine_later = (CustomerFactory(owner=rep) for _ in range(3))
    log(late, rep, 1, TODAY)
    log(early, rep, 1, TODAY - dt.timedelta(days=4))
    log(mine_later, rep, 1, TODAY + dt.timedelta(days=1))
    other = CustomerFactory(owner=org.rep_b1)
    log(other, org.rep_b1, 1, TODAY - dt.timedelta(days=9))
    assert list(customers_due_for_contact(user=rep, today=TODAY)) == [early, late]


def test_bulk_loaded_follow_ups_are_filled_once(rep):
    """A bulk load (the demo, a bench) sends no signals: the fill sets every customer's plan once and
    clears a stale one."""
    a, b, stale = (CustomerFactory(owner=rep) for _ in range(3))
    FollowUp.objects.bulk_create(
        [
            FollowUp(customer=a, author=rep, occurred_at=ago(9), topic="t", next_date=TODAY),
            FollowUp(
                customer=a, author=rep, occurred_at=ago(2), topic="t", next_date=TODAY + dt.timedelta(1)
            ),
            FollowUp(customer=b, author=rep, occurred_at=ago(3), topic="t", next_date=TODAY),
            FollowUp(customer=b, author=rep, occurred_at=ago(1), topic="t", next_date=None),
        ]
    )
    Customer.objects.filter(pk=stale.pk).update(next_contact_on=TODAY)
    assert planned(a) is None
    customers_next_contact_fill()
    assert (planned(a), planned(b), planned(stale)) == (TODAY + dt.timedelta(days=1), None, None)
