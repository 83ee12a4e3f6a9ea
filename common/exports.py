"""The export log: every export of business data writes one row (who, when, what, how many rows)."""

from __future__ import annotations

from typing import Any

from common.models import ExportLog


def export_log_record(*, user: Any, kind: str, rows: int, filters: str = "") -> ExportLog:
    return ExportLog.objects.create(user=user, kind=kind[:50], rows=rows, filters=filters[:500])
