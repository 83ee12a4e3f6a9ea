"""The export log: every export of business data writes one row (who, when, what, how many rows)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse

from common.models import ExportLog
from common.spreadsheet import spreadsheet_row


def export_log_record(*, user: Any, kind: str, rows: int, filters: str = "") -> ExportLog:
    return ExportLog.objects.create(user=user, kind=kind[:50], rows=rows, filters=filters[:500])


def xlsx_download(
    rows: Iterator[list[Any]],
    *,
    filename: str,
    sheet: str = "Sheet1",
    formats: Sequence[str | None] = (),
) -> FileResponse:
    """Rows as an .xlsx download in constant memory: openpyxl's write-only workbook spools rows to a
    temporary file, which is then streamed in chunks. Every text cell is formula-escaped (issue 17).
    `formats`: a number format per column for the rows after the header (money, percent)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    formatted = [(i, f) for i, f in enumerate(formats) if f]
    for n, row in enumerate(rows):
        values: list[Any] = spreadsheet_row(row)
        if n and formatted:
            for i, number_format in formatted:
                if isinstance(values[i], int | Decimal):
                    cell = WriteOnlyCell(ws, value=values[i])
                    cell.number_format = number_format
                    values[i] = cell
        ws.append(values)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 — FileResponse closes it when the download ends
    wb.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
