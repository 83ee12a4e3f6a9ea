"""Every chart on the report pages and homes exports its table to Excel: the same payload the page drew
(so the same scope and the same figures), one row per category, one column per series.

Text that came from people (names, categories) goes through `common.spreadsheet` so it can never become
a live formula; money and counts arrive as exact strings and are written as numbers."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from common.spreadsheet import spreadsheet_text
from crm.models import User
from reports import payloads, policy
from reports.filters import parse_filters

NUMBER_FORMAT = "#,##0.00"


def _number(value: Any) -> Any:
    """ "12.50" → Decimal("12.50"); anything that is not a number stays text (escaped)."""
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return spreadsheet_text(str(value))


def chart_table(chart: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The chart's data as a table: bar/line charts (categories × series), funnel/pie charts (items)."""
    if "items" in chart:
        rows = [[spreadsheet_text(str(i["name"])), _number(i["value"])] for i in chart["items"]]
        return [_("项目"), _("数值")], rows
    series = chart.get("series", [])
    headers = [_("类别"), *(str(s["name"]) for s in series)]
    rows = []
    for n, category in enumerate(chart.get("categories", [])):
        values = [_number(s["data"][n]) if n < len(s["data"]) else None for s in series]
        rows.append([spreadsheet_text(str(category)), *values])
    return headers, rows


def chart_workbook(*, title: str, headers: list[str], rows: list[list[Any]]) -> IO[bytes]:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(spreadsheet_text(title) or "chart")[:31].replace("/", "-"))
    ws.column_dimensions["A"].width = 24
    head = WriteOnlyCell(ws, value=spreadsheet_text(title))
    head.font = Font(bold=True, size=14)
    ws.append([head])
    cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=spreadsheet_text(h))
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)
    for row in rows:
        out: list[Any] = []
        for value in row:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, Decimal):
                cell.number_format = NUMBER_FORMAT
            out.append(cell)
        ws.append(out)
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - handed to FileResponse, which closes it
    wb.save(stream)
    stream.seek(0)
    return stream


Builder = Callable[[User, Any], dict[str, Any]]


def _report(build: Callable[..., dict[str, Any]]) -> Builder:
    def run(user: User, params: Any) -> dict[str, Any]:
        _form, period, dept = parse_filters(params)
        return build(user, period, dept)

    return run


def _rankings(user: User, params: Any) -> dict[str, Any]:
    _form, period, dept = parse_filters(params)
    return payloads.rankings_report(period, dept, params.get("metric") or "contract_amount")


def _usage(user: User, params: Any) -> dict[str, Any]:
    _form, period, dept = parse_filters(params)
    return payloads.usage_report(period, dept)


# report key -> (who may open it: the same rule as its page, the page's payload builder)
REPORTS: dict[str, tuple[Callable[[Any], bool], Builder]] = {
    "home": (policy.can_open_home_charts, lambda user, _params: payloads.home_payload(user)),
    "funnel": (policy.can_open_sales_reports, _report(payloads.funnel_report)),
    "trend": (policy.can_open_money_reports, _report(payloads.trend_report)),
    "activity": (policy.can_open_sales_reports, _report(payloads.activity_report)),
    "rankings": (policy.can_open_rankings, _rankings),
    "usage": (policy.can_open_rankings, _usage),
}


def chart_title(chart: str, payload: dict[str, Any]) -> str:
    """The chart's title as its page shows it (business words, never the internal key)."""
    titles = {
        "funnel": _("销售漏斗"),
        "forecast": _("签约预测"),
        "trend": _("月度合同金额与回款"),
        "activity": _("销售活动"),
        "ranking": str(payload.get("metric_label") or _("合同金额")),
        "usage": _("CRM 使用情况"),
        "pipeline": _("商机阶段金额"),
        "settlement": _("各步骤应发金额"),
        "aging": _("应收账龄"),
        "rebates": _("返利"),
    }
    return titles.get(chart, _("图表"))


class ChartClosed(Exception):
    """The report exists but is not this user's to open (the page would answer 404 too)."""


def chart_for(*, user: User, report: str, chart: str, params: Any) -> tuple[str, dict[str, Any]] | None:
    """(title, data) of the chart as the page drew it for this user; None: no such chart.
    Raises ChartClosed for a report the user may not open."""
    entry = REPORTS.get(report)
    if entry is None:
        return None
    if not entry[0](user):
        raise ChartClosed
    payload = entry[1](user, params)
    data = payload.get("charts", {}).get(chart)
    return None if data is None else (chart_title(chart, payload), data)
