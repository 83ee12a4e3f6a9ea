"""`make run`: the web server plus a Celery worker and Celery beat, supervised together.

With the default broker (kombu's filesystem transport in ./var/broker) nothing else has to be installed;
with CELERY_BROKER_URL=redis://… the same processes use Redis. Beat runs in exactly one process (here).
Ctrl-C or SIGTERM stops all three cleanly: each child runs in its own process group, gets SIGTERM, and
whatever is still alive after a grace period (the worker's pool processes included) is killed, so no
worker is ever left behind. If any child dies, the others are stopped too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

GRACE_SECONDS = 10.0


class Command(BaseCommand):
    help = "Serve the app for local use, with a Celery worker and beat (Ctrl-C stops everything)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--addr", default=os.environ.get("RUNDEV_ADDR", "127.0.0.1:8000"))
        parser.add_argument("--no-celery", action="store_true", help="only the web server")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        from config.celery import ensure_broker_folders

        ensure_broker_folders()
        (settings.VAR_DIR / "run").mkdir(parents=True, exist_ok=True)
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        celery = [python, "-m", "celery", "-A", "config"]
        commands = {"web": [python, manage, "runserver", opts["addr"], "--noreload"]}
        if not opts["no_celery"]:
            commands["worker"] = [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--hostname=dev-worker@%h",
                "--without-gossip",
                "--without-mingle",
            ]
            commands["beat"] = [
                *celery,
                "beat",
                "--loglevel=INFO",
                f"--pidfile={settings.VAR_DIR / 'run' / 'celerybeat.pid'}",
            ]
        children: dict[str, subprocess.Popen] = {}
        stopping = {"signal": 0}

        def on_signal(signum, frame):  # type: ignore[no-untyped-def]
            stopping["signal"] = signum

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGHUP, on_signal)
        try:
            for name, cmd in commands.items():
                # Own session/process group: the terminal's Ctrl-C reaches only us, and we stop the
                # children in order (a second SIGINT would turn the worker's warm shutdown into a cold one).
                children[name] = subprocess.Popen(cmd, cwd=settings.BASE_DIR, start_new_session=True)
                self.stdout.write(
                    f"[rundev] started {name} (pid {children[name].pid}): {' '.join(cmd[1:4])}…"
                )
            self.stdout.write(f"[rundev] http://{opts['addr']}/  —  Ctrl-C stops everything")
            while not stopping["signal"]:
                dead = [n for n, p in children.items() if p.poll() is not None]
                if dead:
                    self.stderr.write(f"[rundev] {', '.join(dead)} exited; stopping the others")
                    break
                time.sleep(0.3)
        finally:
            self._stop_all(children)
        return None

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        for proc in children.values():
            # The main process only: the worker then stops its own pool processes (warm shutdown).
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for proc in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        for name, proc in children.items():
            # Anything left in the child's group (a stuck child, the worker's pool processes) is killed.
            self._signal_group(proc, signal.SIGKILL)
            if proc.poll() is None:
                proc.wait(timeout=5)
            self.stdout.write(f"[rundev] {name} stopped (exit {proc.returncode})")

    @staticmethod
    def _signal_group(proc: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
