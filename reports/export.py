"""A5 monthly sales report as an Excel workbook: openpyxl's write-only mode (rows are written as they
are read from the database, constant memory), streamed to the browser from a temporary file."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CNY_FORMAT = '"¥"#,##0.00;[Red]-"¥"#,##0.00'
QTY_FORMAT = "#,##0.##"


def sales_workbook(rows: Iterable[dict[str, Any]], *, title: str) -> IO[bytes]:
    """Columns: 姓名, 日期, 订单号, 客户, 产品, 数量, 单价, 金额 — and a total row (a SUM formula)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_("月度销售报表"))
    for col, width in zip("ABCDEFGH", (12, 12, 18, 30, 24, 10, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    head = WriteOnlyCell(ws, value=title)
    head.font = Font(bold=True, size=14)
    ws.append([head])
    headers = [_("姓名"), _("日期"), _("订单号"), _("客户"), _("产品"), _("数量"), _("单价"), _("金额")]
    cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)
    n = 0
    for r in rows:
        qty = WriteOnlyCell(ws, value=r["quantity"])
        qty.number_format = QTY_FORMAT
        price = WriteOnlyCell(ws, value=r["unit_price"])
        price.number_format = CNY_FORMAT
        amount = WriteOnlyCell(ws, value=r["amount"])
        amount.number_format = CNY_FORMAT
        ws.append([r["name"], r["date"], r["order"], r["customer"], r["product"], qty, price, amount])
        n += 1
    total = WriteOnlyCell(ws, value=f"=SUM(H3:H{n + 2})" if n else 0)
    total.number_format = CNY_FORMAT
    total.font = Font(bold=True)
    label = WriteOnlyCell(ws, value=_("合计"))
    label.font = Font(bold=True)
    ws.append([label, None, None, None, None, None, None, total])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(out)
    out.seek(0)
    return out
