"""`{{ amount|cny }}` → ¥1,234.50 (two decimals, half-up to the fen); `{{ rate|pct }}` → 3% (the one rate
formatter, also called from Python)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html

from common.money import format_cny

register = template.Library()


@register.filter
def cny(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):  # money is never a float; refuse to guess its fen
        raise TypeError("money must never be a float")
    try:
        return format_cny(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""


@register.filter
def cny_signed(value: Any) -> str:
    """`{{ amount|cny_signed }}` in a table cell: the same format, a negative amount shown in red."""
    text = cny(value)
    if not text:
        return text
    try:
        negative = Decimal(value) < 0
    except (InvalidOperation, TypeError, ValueError):
        negative = False
    if negative:
        return format_html('<span class="money-negative">{}</span>', text)
    return text


@register.filter
def pct(value: Any, places: Any = None, *, points: bool = False) -> str:
    """The one rate formatter, for templates (`{{ rate|pct }}`, `{{ rate|pct:2 }}`) and Python alike.

    A rate stored as a fraction, shown as a percentage with no trailing zeros: 0.030000 -> "3%",
    0.0125 -> "1.25%"; `places` first rounds half-up to that many decimals of the percentage
    (0.123456 with 2 -> "12.35%"). With points=True the value is already in percent, as a report
    computed and rounded it, and is shown as is (12.5 -> "12.5%", 100.0 -> "100.0%").
    None or "" -> "" (a template adds `|default:"—"` where a dash reads better)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("rates are Decimal, never float")
    try:
        number = Decimal(value)
        if points:
            return f"{number:f}%"
        number *= 100
        if places is not None and places != "":
            number = number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{number.normalize():f}%"


@register.filter
def pct_points(value: Any) -> str:
    """`{{ attainment|pct_points }}`: a figure already in percent (a report's 12.5) through `pct`."""
    return pct(value, points=True)
