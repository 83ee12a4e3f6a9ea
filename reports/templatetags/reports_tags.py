"""Chart containers (data through json_script, drawn by static/js/charts.js) and signed changes in percent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _

from common.fen import pct

register = template.Library()


@register.simple_tag(takes_context=True)
def chart(
    context: Any,
    charts: dict[str, Any],
    name: str,
    kind: str,
    title: str = "",
    stack: bool = False,
    heading_above: bool = False,
) -> str:
    """<div data-chart> plus its data as JSON; nothing at all when the page has no such chart.

    `title` names the saved image; the chart draws it too unless `heading_above` (issue 15: the card's
    heading already names the chart, so it is not said twice).

    Under it: the chart's table as Excel (the page's filters kept; `chart_report` in the context names
    the page) and "save as image" (static/js/charts.js: ECharts getDataURL; hidden until drawn)."""
    data = (charts or {}).get(name)
    if data is None:
        return ""
    element_id = f"chart-data-{name}"
    drawn = format_html(
        '<div class="chart" id="chart-{}" data-chart="{}" data-source="{}" data-title="{}"{}></div>{}',
        name,
        kind,
        element_id,
        "" if heading_above else title,
        format_html(' data-stack="1"') if stack else "",
        json_script(data, element_id),
    )
    report = context.get("chart_report")
    if not report:
        return drawn
    params = QueryDict(context.get("query") or "", mutable=True)
    params["report"], params["chart"] = report, name
    return format_html(
        '{}<div class="chart-actions"><a class="btn btn-sm btn-outline-secondary" href="{}?{}">'
        '<i class="ti ti-file-spreadsheet" aria-hidden="true"></i> {}</a>'
        '<button type="button" class="btn btn-sm btn-outline-secondary" data-chart-save="chart-{}" '
        'data-filename="{}" hidden><i class="ti ti-photo-down" aria-hidden="true"></i> {}</button></div>',
        drawn,
        reverse("reports:chart_export"),
        params.urlencode(),
        _("导出 Excel"),
        name,
        f"{title or name}.png",
        _("保存图片"),
    )


@register.filter
def change(value: Decimal | None) -> str:
    """A change in percent (环比/同比) through the one rate formatter, signed: "+12.5%" / "-3.0%";
    None → "—". (A plain figure in percent is `{{ x|pct_points|default:"—" }}`.)"""
    if value is None:
        return "—"
    return f"+{pct(value, points=True)}" if value > 0 else pct(value, points=True)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return (mapping or {}).get(key, 0)
