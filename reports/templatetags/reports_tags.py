"""Chart containers (data through json_script, drawn by static/js/charts.js) and percentage display."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html, json_script

register = template.Library()


@register.simple_tag
def chart(charts: dict[str, Any], name: str, kind: str, title: str = "", stack: bool = False) -> str:
    """<div data-chart> plus its data as JSON; nothing at all when the page has no such chart."""
    data = (charts or {}).get(name)
    if data is None:
        return ""
    element_id = f"chart-data-{name}"
    return format_html(
        '<div class="chart" id="chart-{}" data-chart="{}" data-source="{}" data-title="{}"{}></div>{}',
        name,
        kind,
        element_id,
        title,
        format_html(' data-stack="1"') if stack else "",
        json_script(data, element_id),
    )


@register.filter
def percent(value: Decimal | None) -> str:
    """12.5 → "12.5%", a change → "+12.5%" / "-3.0%" is left to `change`; None → "—"."""
    if value is None:
        return "—"
    return f"{value}%"


@register.filter
def change(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"+{value}%" if value > 0 else f"{value}%"


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return (mapping or {}).get(key, 0)
