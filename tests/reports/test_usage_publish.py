"""A2 (003 §12.4) when a month closes: the ranking's top and bottom are published to crm (the job on the
1st, the command by hand), safe to run twice, and the A2 page says in words what the rotation applies."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from crm.models import RotationMonth, RotationStanding
from crm.services.rotation import rotation_standings_publish
from reports.filters import add_months
from reports.tasks import A2_PUBLISH_TASK, a2_publish
from reports.usage_publish import month_closed
from tests.reports.world import LAST_MONTH, new_customers, opportunity, org_with_stages

pytestmark = pytest.mark.django_db


def standings():  # type: ignore[no-untyped-def]
    return [
        (s.month.month.month, s.user.username, s.kind, s.position)
        for s in RotationStanding.objects.select_related("month", "user").order_by("kind", "position")
    ]


@override_settings(
    REPORTS_USAGE_MIN_NEW_CUSTOMERS=2, REPORTS_USAGE_MIN_NEW_OPPORTUNITIES=1, REPORTS_USAGE_TOP_N=1
)
def test_the_job_publishes_the_closed_months_top_and_bottom_once():  # type: ignore[no-untyped-def]
    """Last month: rep_b1 3 customers + 1 opportunity (top), rep_a1 2 customers (below the minimum),
    rep_a2 nothing (bottom). Run twice: the same one month, the same two standings."""
    org = org_with_stages()
    new_customers(org.rep_b1, 3, on=LAST_MONTH)
    opportunity(org.rep_b1, "lead", "1.00", registered=LAST_MONTH)
    new_customers(org.rep_a1, 2, on=LAST_MONTH)

    assert a2_publish(month=LAST_MONTH.isoformat()) == f"{LAST_MONTH:%Y-%m}"
    assert a2_publish(month=LAST_MONTH.isoformat()) == f"{LAST_MONTH:%Y-%m}"
    assert RotationMonth.objects.count() == 1
    assert standings() == [(LAST_MONTH.month, "rep_a2", "bottom", 1), (LAST_MONTH.month, "rep_b1", "top", 1)]


def test_the_job_runs_on_the_first_for_the_month_that_closed():  # type: ignore[no-untyped-def]
    from django_celery_beat.models import PeriodicTask

    assert month_closed(dt.date(2026, 1, 1)) == dt.date(2025, 12, 1)
    job = PeriodicTask.objects.get(task=A2_PUBLISH_TASK)
    assert (job.crontab.day_of_month, job.crontab.hour, job.crontab.minute) == ("1", "0", "30")


def test_the_command_publishes_a_given_month_and_refuses_a_bad_one():  # type: ignore[no-untyped-def]
    org_with_stages()
    out = io.StringIO()
    call_command("a2_publish", "--month", "2026-03", stdout=out)
    assert RotationMonth.objects.get().month == dt.date(2026, 3, 1)
    assert out.getvalue().startswith("已公布 2026-03 的 CRM 使用排名")
    with pytest.raises(CommandError, match="月份格式应为"):
        call_command("a2_publish", "--month", "2026-13")
    assert RotationMonth.objects.count() == 1


def test_the_a2_page_says_who_has_priority_and_who_lost_assignment(client_for):  # type: ignore[no-untyped-def]
    org = org_with_stages()
    client = client_for(org.rep_a1)
    assert "还没有公布过排名，线索按正常轮转分配。" in client.get(reverse("reports:usage")).content.decode()

    first = add_months(LAST_MONTH, -2)
    for i in range(3):
        rotation_standings_publish(month=add_months(first, i), top=[org.rep_a1.pk], bottom=[org.rep_b1.pk])
    html = client.get(reverse("reports:usage")).content.decode()
    months = ", ".join(f"{add_months(first, i):%Y-%m}" for i in range(3))
    assert f"线索轮转按 {LAST_MONTH:%Y-%m} 公布的排名执行" in html
    assert f"优先分配：{org.rep_a1}（上月前列），每轮线索先分给他们。" in html
    assert (
        f"暂停分配：{org.rep_b1}（连续 3 个月排在末位：{months}），下一次公布的排名不在末位即恢复分配。"
        in html
    )

    client.cookies["django_language"] = "en"
    html = client.get(reverse("reports:usage"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Lead assignment paused: {org.rep_b1}" in html
