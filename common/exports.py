"""The export log: every export of business data writes one row (who, when, what, how many rows)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

from django.http import FileResponse

from common.models import ExportLog
from common.spreadsheet import spreadsheet_row


def export_log_record(*, user: Any, kind: str, rows: int, filters: str = "") -> ExportLog:
    return ExportLog.objects.create(user=user, kind=kind[:50], rows=rows, filters=filters[:500])


def xlsx_download(rows: Iterator[list[Any]], *, filename: str, sheet: str = "Sheet1") -> FileResponse:
    """Rows as an .xlsx download in constant memory: openpyxl's write-only workbook spools rows to a
    temporary file, which is then streamed in chunks. Every text cell is formula-escaped (issue 17)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    for row in rows:
        ws.append(spreadsheet_row(row))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it when the download ends
    wb.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
