"""Recompute every dashboard rollup from the raw rows (after a bulk load, a restore or a migration)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from reports.rollups import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the reports rollups (per-person figures per month/quarter/year and the snapshots)."

    def handle(self, *args: Any, **opts: Any) -> None:
        t0 = time.perf_counter()
        done = rollup_rebuild()
        self.stdout.write(
            f"报表汇总已重建 rollups rebuilt: {done['periods']} periods, {done['rows']} rows, "
            f"{time.perf_counter() - t0:.1f} s"
        )
