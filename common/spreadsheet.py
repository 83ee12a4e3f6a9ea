"""Issue 17: text that a user typed (a customer's name, a bank name, a line's description) must never
become a live formula when finance opens an export in Excel or WPS (CSV/formula injection, OWASP).

One helper for every CSV and Excel export: text beginning with = + - @ (or a tab / carriage return,
which some spreadsheet programs skip) is written with a leading apostrophe, so it is shown as text.
Numbers, dates and the export's own formulas are not passed through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def spreadsheet_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_text(v) for v in values]
