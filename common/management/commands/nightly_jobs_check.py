"""Exit 1 and name the nightly jobs that did not finish in time (for cron / monitoring)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.jobs import nightly_jobs_missed


class Command(BaseCommand):
    help = "Check that every nightly job (pool sweep, ledger run) finished within the allowed time."

    def handle(self, *args: Any, **opts: Any) -> None:
        missed = nightly_jobs_missed()
        if missed:
            raise CommandError("missed nightly jobs: " + ", ".join(missed))
        self.stdout.write("all nightly jobs finished in time")
