"""Issue 15 trust bug: "N 天未联系" contradicted the last-contact date beside it, and "最久未联系" was topped
by "0 天". One definition of the C9 release clock (crm.contact_clock), labelled for what it is, read by
the badges, the customer page, "my day" and the release job alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm.contact_clock import CLOCK_SQL, clock_expression, clock_start
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture
def two(org):  # type: ignore[no-untyped-def]
    """A: followed up 40 days ago, owned for 200 days. B: last followed up 100 days ago by its previous
    owner, handed over to rep_a1 today."""
    a = CustomerFactory(
        owner=org.rep_a1, name="甲客户", last_contacted_at=_days_ago(40), owned_since=_days_ago(200)
    )
    b = CustomerFactory(
        owner=org.rep_a1, name="乙客户", last_contacted_at=_days_ago(100), owned_since=timezone.now()
    )
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(created_at=_days_ago(300))
    return Customer.objects.get(pk=a.pk), Customer.objects.get(pk=b.pk)


def test_my_day_longest_silent_is_ordered_by_the_clock_it_shows(org, two, client_for) -> None:  # type: ignore[no-untyped-def]
    html = client_for(org.rep_a1).get(reverse("crm:my_day")).content.decode()
    section = html[html.index('id="silent"') :]
    section = section[: section.index("</section>")]
    assert section.index("甲客户") < section.index("乙客户")  # 40 days before 0 days
    assert "40 天未联系" in section
    assert "接手 0 天未跟进" in section  # labelled for what it is: the hand-over, not the last contact


def test_customer_page_does_not_contradict_the_last_contact_date(org, two, client_for) -> None:  # type: ignore[no-untyped-def]
    _a, b = two
    html = client_for(org.rep_a1).get(reverse("crm:customer_detail", args=[b.pk])).content.decode()
    assert "（100 天前）" in html  # beside the last-contact date: days since that date
    assert "接手 0 天未跟进" in html  # the release clock, said as what it is


def test_the_job_sql_the_orm_and_the_badges_read_the_same_clock(org, two) -> None:  # type: ignore[no-untyped-def]
    for c in two:
        with connection.cursor() as cur:
            cur.execute(f"SELECT {CLOCK_SQL} FROM {Customer._meta.db_table} c WHERE c.id = %s", [c.pk])
            raw = cur.fetchone()[0]
        orm = Customer.objects.annotate(clock=clock_expression()).get(pk=c.pk).clock
        if isinstance(raw, str):  # SQLite hands back text
            raw = (
                dt.datetime.fromisoformat(raw).replace(tzinfo=dt.UTC)
                if "+" not in raw
                else dt.datetime.fromisoformat(raw)
            )
        if raw.tzinfo is None:
            raw = raw.replace(tzinfo=dt.UTC)
        assert raw == orm == clock_start(c), c.name
