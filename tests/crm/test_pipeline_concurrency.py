"""PostgreSQL row locks: two approvers clicking at the same moment decide a step once; two refunds at
the same moment never exceed what was received."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from common.errors import DomainError
from crm.models import ApprovalRequest, Payment, StepStatus
from crm.services import payments as payment_services
from crm.services.approvals import approval_decide
from tests.crm.pipeline_world import build_world
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fns):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(fns))
    results: list[object] = []

    def run(fn):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results.append(fn())
        except DomainError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_assistants_decide_the_same_step_once(org):  # type: ignore[no-untyped-def]
    w = build_world(org)
    second = UserFactory(username="assistant2", roles=["presidents_assistant"])
    req = w.approval
    results = _race(
        [
            lambda: approval_decide(request=req, by=org.assistant, approve=True, reason="A"),
            lambda: approval_decide(request=req, by=second, approve=False, reason="B"),
        ]
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    step = ApprovalRequest.objects.get(pk=req.pk).steps.get()
    assert step.status in (StepStatus.APPROVED, StepStatus.REJECTED)


def test_concurrent_refunds_never_exceed_received(org):  # type: ignore[no-untyped-def]
    w = build_world(org)  # 50.00 received
    results = _race(
        [
            lambda: payment_services.refund_record(
                order=w.order, amount="30.00", reason="退货", by=org.finance
            ),
            lambda: payment_services.refund_record(
                order=w.order, amount="30.00", reason="退货", by=org.finance
            ),
        ]
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert sum(p.amount for p in Payment.objects.filter(order=w.order)) == Decimal("20.00")
