"""S1 calendar and the beat jobs: due days from the policy, overdue flags, scheduled generation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django_celery_beat.models import PeriodicTask

from settlements.models import OverdueFlag, Settlement, SettlementPolicy
from settlements.policy import month_calendar
from settlements.services.generation import settlement_generate
from settlements.services.overdue import overdue_flag_run
from settlements.services.workflow import settlement_transition
from settlements.signals import register_beat_jobs
from settlements.tasks import flag_overdue_steps, generate_due_month
from tests.settlements.factories import cline

pytestmark = pytest.mark.django_db
AUG = dt.date(2026, 8, 1)


def test_calendar_uses_the_policy_in_force_for_the_month(db):
    SettlementPolicy.objects.all().delete()
    SettlementPolicy.objects.create(effective_from=dt.date(2026, 1, 1))
    SettlementPolicy.objects.create(
        effective_from=dt.date(2026, 9, 1), collect_day=3, approval_day=8, payout_day=31
    )
    aug, sep = month_calendar(AUG), month_calendar(dt.date(2026, 9, 1))
    assert (aug.collect_due, aug.approval_due, aug.payout_confirm_due, aug.payout_date) == (
        dt.date(2026, 9, 5),
        dt.date(2026, 9, 10),
        dt.date(2026, 9, 15),
        dt.date(2026, 9, 15),
    )
    assert (sep.collect_due, sep.approval_due, sep.payout_date) == (
        dt.date(2026, 10, 3),
        dt.date(2026, 10, 8),
        dt.date(2026, 10, 31),  # day 31 clipped to the month's end where needed
    )


def test_overdue_step_is_flagged_to_the_actor_and_their_manager_once(org):
    cline(user=org.rep_a1, amount="10.00", period=AUG)
    settlement_generate(month=AUG, by=org.finance)
    s = Settlement.objects.get()
    s = settlement_transition(settlement=s, action="submit", by=org.finance)
    s = settlement_transition(settlement=s, action="confirm", by=org.finance)  # waits for sales review
    assert overdue_flag_run(today=dt.date(2026, 9, 10)) == 0  # due on the 10th: not overdue yet
    assert overdue_flag_run(today=dt.date(2026, 9, 11)) == 2
    flags = {(f.user.username, f.as_manager) for f in OverdueFlag.objects.select_related("user")}
    assert flags == {("mgr_a", False), ("rm", True)}
    assert overdue_flag_run(today=dt.date(2026, 9, 12)) == 0  # safe to run twice
    with mock.patch("settlements.services.overdue.local_today", return_value=dt.date(2026, 9, 12)):
        assert flag_overdue_steps() == 0


def test_beat_jobs_are_registered_idempotently(db):
    register_beat_jobs()
    register_beat_jobs()
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"settlements.tasks.generate_due_month", "settlements.tasks.flag_overdue_steps"} <= tasks
    assert PeriodicTask.objects.filter(task="settlements.tasks.generate_due_month").count() == 1


def test_scheduled_generation_runs_on_the_policy_day_only(org):
    cline(user=org.rep_a1, amount="10.00", period=AUG)
    with mock.patch("settlements.tasks.local_today", return_value=dt.date(2026, 9, 2)):
        assert generate_due_month() == "not today"
    assert not Settlement.objects.exists()
    with mock.patch("settlements.tasks.local_today", return_value=dt.date(2026, 9, 1)):
        generate_due_month()
        generate_due_month()  # twice: still one settlement, one line
    s = Settlement.objects.get()
    assert (s.month, s.lines.count(), s.line_total) == (AUG, 1, Decimal("10.00"))


def test_admin_is_read_only_for_settlements(org, client_for):
    cline(user=org.rep_a1, amount="10.00", period=AUG)
    settlement_generate(month=AUG, by=org.finance)
    s = Settlement.objects.get()
    c = client_for(org.admin)
    page = c.get(f"/admin/settlements/settlement/{s.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    c.post(f"/admin/settlements/settlement/{s.pk}/change/", {"line_total": "999.00"})
    assert c.post(f"/admin/settlements/settlement/{s.pk}/delete/", {"post": "yes"}).status_code == 403
    s.refresh_from_db()
    assert s.line_total == Decimal("10.00")
    assert c.get("/admin/settlements/settlementpolicy/add/").status_code == 200  # the policy is editable


def test_overdue_flags_use_app_notifications(org):
    from common.models import Notification

    cline(user=org.rep_a1, amount="10.00", period=AUG)
    settlement_generate(month=AUG, by=org.finance)  # still a draft after the 5th: finance must act
    assert overdue_flag_run(today=dt.date(2026, 9, 6)) == 1
    sent = list(Notification.objects.all())
    assert [n.user.username for n in sent] == ["finance"]
    assert sent[0].link.startswith("/settlements/") and "逾期" in sent[0].text
    assert overdue_flag_run(today=dt.date(2026, 9, 7)) == 0 and Notification.objects.count() == 1
