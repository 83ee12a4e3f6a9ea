"""C9/C10 under real concurrency on PostgreSQL (row locks; several connections via threads)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from common.errors import Conflict
from common.models import Notification
from crm.models import (
    Customer,
    FollowUp,
    OwnershipChange,
    OwnershipReason,
    PoolClaim,
    PoolRelease,
    PoolThreshold,
    PoolWarning,
    Role,
)
from crm.services import pool_sql
from crm.services.customers import followup_create
from crm.services.pool import pool_claim, pool_sweep
from tests.crm.pool_helpers import TODAY, silent_customer
from tests.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(fns):
    """Start all at once (barrier), collect (result, exception) per thread."""
    barrier = threading.Barrier(len(fns))
    out: list = [None] * len(fns)

    def wrap(i, fn):
        try:
            barrier.wait()
            out[i] = (fn(), None)
        except Exception as exc:  # collected and asserted on below
            out[i] = (None, exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_concurrent_claims_exactly_one_winner(org):
    reps = [
        UserFactory(username=f"racer{i}", display_name=f"抢客{i}", roles=[Role.REP], department=org.dept_a)
        for i in range(6)
    ]
    c = CustomerFactory(owner=None, owned_since=None)
    results = run_threads([lambda r=r: pool_claim(customer=c.pk, by=r) for r in reps])
    winners = [res for res, exc in results if exc is None]
    losers = [exc for res, exc in results if exc is not None]
    assert len(winners) == 1
    assert len(losers) == 5 and all(isinstance(e, Conflict) for e in losers), losers
    c.refresh_from_db()
    assert c.owner_id == winners[0].owner_id
    assert PoolClaim.objects.filter(customer=c).count() == 1
    assert OwnershipChange.objects.filter(customer=c, reason=OwnershipReason.CLAIMED).count() == 1


def test_one_rep_claiming_many_at_once_respects_daily_limit(org):
    from tests.crm.pool_helpers import set_policy

    set_policy(daily_claim_limit=2)
    rep = org.rep_a1
    pool = [CustomerFactory(owner=None, owned_since=None) for _ in range(5)]
    results = run_threads([lambda c=c: pool_claim(customer=c.pk, by=rep) for c in pool])
    assert sum(1 for res, exc in results if exc is None) == 2
    assert Customer.objects.filter(owner=rep).count() == 2
    assert all(exc.code == "claim_daily_limit" for res, exc in results if exc is not None)


def test_followup_committed_between_candidate_selection_and_release_wins(org, monkeypatch):
    rep = org.rep_a1
    kept = silent_customer(rep, days=61)
    gone = silent_customer(rep, days=61)
    original = pool_sql.insert_release_candidates

    def candidates_then_followup(**kw):
        n = original(**kw)
        assert n == 2  # both were candidates when chosen

        def log_followup():
            followup_create(
                customer=Customer.objects.get(pk=kept.pk), by=rep, topic="电话回访", channel="phone_regular"
            )
            connection.close()

        t = threading.Thread(target=log_followup)
        t.start()
        t.join(30)
        return n

    monkeypatch.setattr(pool_sql, "insert_release_candidates", candidates_then_followup)
    result = pool_sweep()
    assert result.released == 1
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert kept.owner == rep and gone.owner is None
    assert FollowUp.objects.filter(customer=kept).count() == 1
    assert not PoolRelease.objects.filter(customer=kept).exists()
    assert not OwnershipChange.objects.filter(customer=kept, reason=OwnershipReason.RELEASED).exists()
    assert not Notification.objects.filter(text__contains=kept.name).exists()


def test_followup_holding_the_row_while_sweep_runs_wins(org):
    rep = org.rep_a1
    c = silent_customer(rep, days=61)
    locked = threading.Event()

    def slow_followup():
        try:
            with transaction.atomic():
                followup_create(
                    customer=Customer.objects.get(pk=c.pk), by=rep, topic="上门拜访", channel="visit_old"
                )
                locked.set()  # the customer row is now locked by our UPDATE of last_contacted_at
                time.sleep(1.0)  # let the sweep reach its release UPDATE and wait on our lock
        finally:
            connection.close()

    t = threading.Thread(target=slow_followup)
    t.start()
    assert locked.wait(30)
    result = pool_sweep()
    t.join(30)
    c.refresh_from_db()
    assert result.released == 0
    assert c.owner == rep
    assert FollowUp.objects.filter(customer=c).count() == 1
    assert not PoolRelease.objects.filter(customer=c).exists()


def test_two_sweeps_at_once_release_and_warn_once(org):
    rep = org.rep_a1
    r = silent_customer(rep, days=70)
    w = silent_customer(rep, days=40)
    results = run_threads([lambda: pool_sweep(today=TODAY)] * 3)
    assert all(exc is None for _, exc in results), results
    assert sum(res.released for res, _ in results) == 1
    assert sum(res.warned for res, _ in results) == 1
    assert PoolRelease.objects.filter(customer=r).count() == 1
    assert OwnershipChange.objects.filter(customer=r, reason=OwnershipReason.RELEASED).count() == 1
    assert PoolWarning.objects.filter(customer=w, threshold=PoolThreshold.WARN).count() == 1
    assert Notification.objects.filter(user=rep).count() == 2
