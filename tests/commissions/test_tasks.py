"""The nightly job: registered on post_migrate, safe to run twice."""

from __future__ import annotations

from decimal import Decimal as D

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from commissions import tasks
from commissions.models import CommissionLine
from commissions.signals import TASK_NAME
from crm.models import ProductCategory, Role
from tests.commissions.factories import install_plan
from tests.factories import make_order


def test_periodic_task_is_registered(db):
    task = PeriodicTask.objects.get(name=TASK_NAME)
    assert task.task == "commissions.tasks.ledger_run_open_months"


def test_nightly_job_runs_this_month_and_is_idempotent(org):
    install_plan("sales_progressive", role=Role.REP)
    make_order(
        owner=org.rep_a1, lines=[(ProductCategory.REGULAR, D("1"), D("1000"))], booked_at=timezone.now()
    )
    tasks.ledger_run_open_months()
    first = list(CommissionLine.objects.values_list("source_key", "amount", "status"))
    tasks.ledger_run_open_months()
    assert list(CommissionLine.objects.values_list("source_key", "amount", "status")) == first
    assert sum(x[1] for x in first) == D("30.00")
