"""Shared fixtures. Service-dependent markers: `postgres`, `browser`, `redis` — skipped with a reason on
a laptop without them, but a failure in CI (CI=true), where they must always run."""

from __future__ import annotations

import os
import shutil
import socket

import pytest
from django.db import connection

from tests import factories

IN_CI = os.environ.get("CI", "").lower() == "true"


def _redis_up() -> bool:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        return False
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if marker == "browser" and not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"):
        return "needs Debian's chromium (apt-get install -y chromium)"
    if marker == "redis" and not _redis_up():
        return "needs Redis (set CELERY_BROKER_URL=redis://127.0.0.1:6379/15)"
    return None


@pytest.fixture(autouse=True)
def _service_markers(request: pytest.FixtureRequest) -> None:
    for marker in ("postgres", "browser", "redis"):
        if request.node.get_closest_marker(marker):
            reason = _missing(marker)
            if reason:
                if IN_CI:
                    pytest.fail(f"CI must run this test: {reason}")
                pytest.skip(reason)


@pytest.fixture(autouse=True)
def _close_connections_left_by_the_browser(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A browser test's `with sync_playwright():` block runs in a context of its own, and Django keeps a
    connection per context: an ORM call inside the block (`Opportunity.objects.get(…)` after a drag)
    opens a second connection that nothing closes. On PostgreSQL it kept the test database busy at the
    end of the run ("being accessed by other users"). Close every connection this thread opened during
    a live-server test, except the test's own (the live server's threads close theirs per request)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    import threading

    from django.db import connections
    from django.db.backends.signals import connection_created

    opened = []
    me = threading.get_ident()

    def remember(sender, connection, **kwargs):  # type: ignore[no-untyped-def]
        if threading.get_ident() == me:
            opened.append(connection)

    connection_created.connect(remember, weak=False, dispatch_uid="tests.browser_connections")
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid="tests.browser_connections")
        own = set(connections.all(initialized_only=True))
        for conn in opened:
            if conn not in own:
                conn.close()


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """Each test starts in the default language (a request in English must not leak into the next test)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org(db):  # type: ignore[no-untyped-def]
    """A small company: one region with a manager, two teams with managers and reps, and the top roles."""
    return factories.build_org()


@pytest.fixture
def rep(org):  # type: ignore[no-untyped-def]
    return org.rep_a1


@pytest.fixture
def other_rep(org):  # type: ignore[no-untyped-def]
    return org.rep_b1


@pytest.fixture
def manager(org):  # type: ignore[no-untyped-def]
    return org.manager_a


@pytest.fixture
def client_for(client):  # type: ignore[no-untyped-def]
    def login(user):  # type: ignore[no-untyped-def]
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_for():  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    def make(user=None):  # type: ignore[no-untyped-def]
        c = APIClient()
        if user is not None:
            c.force_authenticate(user)
        return c

    return make
