"""C9 through a real Celery worker and a real Redis broker (not task_always_eager): the beat-scheduled
task name is sent to the broker, a worker picks it up and the database shows the release."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from crm.models import PoolRelease
from crm.tasks import POOL_SWEEP_TASK
from tests.crm.pool_helpers import TODAY, silent_customer

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_pool_sweep_task_runs_in_a_real_worker_against_redis(org):
    import config.celery

    rep = org.rep_a1
    customer = silent_customer(rep, days=61)
    queue = f"pool-test-{uuid.uuid4().hex[:8]}"  # our own queue: no stray messages either way
    app = Celery("pool-test", broker=os.environ["CELERY_BROKER_URL"], set_as_current=False)
    app.conf.update(
        task_always_eager=False, task_default_queue=queue, broker_connection_retry_on_startup=False
    )
    import crm.tasks  # noqa: F401  (registers the shared task on every app, this one included)

    app.finalize()
    assert POOL_SWEEP_TASK in app.tasks
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            app.send_task(POOL_SWEEP_TASK, args=[TODAY.isoformat()], queue=queue)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not PoolRelease.objects.filter(customer=customer).exists():
                time.sleep(0.2)
    finally:
        config.celery.app.set_current()
        config.celery.app.set_default()
    customer.refresh_from_db()
    assert customer.owner is None
    assert PoolRelease.objects.get(customer=customer).previous_owner == rep
