"""Read an exported workbook back with openpyxl and evaluate its (simple) formulas exactly.

openpyxl hands numbers back as Python numbers; they are turned into Decimal through their shortest
repr (exact for money amounts, < 15 significant digits) before any arithmetic — no float sums."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl.utils import column_index_from_string, range_boundaries

_REF = re.compile(r"^([A-Z]+)(\d+)$")


def money(value) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    return Decimal(str(value))


def evaluate(ws, coord: str) -> Decimal:
    value = ws[coord].value
    if isinstance(value, str) and value.startswith("="):
        return _expr(ws, value[1:])
    return money(value)


def _expr(ws, text: str) -> Decimal:
    text = text.strip()
    m = re.fullmatch(r"SUM\(([A-Z]+\d+):([A-Z]+\d+)\)", text)
    if m:
        min_col, min_row, max_col, max_row = range_boundaries(f"{m.group(1)}:{m.group(2)}")
        total = Decimal("0")
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                total += evaluate(ws, ws.cell(row=row, column=col).coordinate)
        return total
    m = re.fullmatch(r"MAX\((.+),(.+)\)", text)
    if m:
        return max(_expr(ws, m.group(1)), _expr(ws, m.group(2)))
    m = re.fullmatch(r"([A-Z]+\d+)-([A-Z]+\d+)", text)
    if m:
        return evaluate(ws, m.group(1)) - evaluate(ws, m.group(2))
    if "+" in text:
        return sum((_expr(ws, part) for part in text.split("+")), Decimal("0"))
    if _REF.match(text):
        col, row = _REF.match(text).groups()
        column_index_from_string(col)
        return evaluate(ws, text)
    return Decimal(text)


def find_row(ws, label: str, column: int = 1) -> int:
    for row in ws.iter_rows(min_col=column, max_col=column):
        if row[0].value == label:
            return row[0].row
    raise AssertionError(f"{label} not found in {ws.title}")
