"""Issue 17: `make run` (rundev) listens on 127.0.0.1 and holds no database connection per thread past
its request; Celery redelivers a task whose worker died."""

from __future__ import annotations

import importlib

from django.conf import settings

from crm.management.commands.rundev import Command


def test_rundev_listens_on_localhost_by_default(monkeypatch):
    monkeypatch.delenv("RUNDEV_ADDR", raising=False)
    parser = Command().create_parser("manage.py", "rundev")
    assert parser.parse_args([]).addr == "127.0.0.1:8000"


def test_local_settings_close_the_connection_after_each_request(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://crm@127.0.0.1:5432/crm")
    import config.settings.base as base
    import config.settings.local as local

    # production (base) keeps its persistent connections; the dev server (local) closes them
    assert importlib.reload(base).DATABASES["default"]["CONN_MAX_AGE"] == 60
    assert importlib.reload(local).DATABASES["default"]["CONN_MAX_AGE"] == 0


def test_celery_redelivers_a_killed_task():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
