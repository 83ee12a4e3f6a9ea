"""Issue 17: a nightly sweep or ledger run that did not happen (worker killed) is flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from common.jobs import nightly_jobs_missed
from common.models import JobSuccess, Notification
from common.tasks import nightly_jobs_check
from crm.tasks import pool_sweep

pytestmark = pytest.mark.django_db


def test_a_night_without_the_ledger_run_is_flagged_to_admins(org):
    pool_sweep()  # the sweep ran tonight; the ledger run did not
    assert nightly_jobs_missed() == ["commissions.ledger_run_open_months"]
    with pytest.raises(CommandError, match=r"commissions\.ledger_run_open_months"):
        call_command("nightly_jobs_check")
    assert nightly_jobs_check() == ["commissions.ledger_run_open_months"]
    note = Notification.objects.get(user=org.admin)
    assert "commissions.ledger_run_open_months" in note.text


def test_a_run_older_than_the_limit_counts_as_missed(org):
    for name in ("crm.pool_sweep", "commissions.ledger_run_open_months"):
        JobSuccess.objects.create(name=name, finished_at=timezone.now() - dt.timedelta(hours=2))
    assert nightly_jobs_missed() == []
    call_command("nightly_jobs_check")  # no error
    later = timezone.now() + dt.timedelta(hours=25)
    assert nightly_jobs_missed(now=later) == ["crm.pool_sweep", "commissions.ledger_run_open_months"]
