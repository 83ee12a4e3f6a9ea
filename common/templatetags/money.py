"""`{{ amount|cny }}` → ¥1,234.50 (two decimals, half-up to the fen); `{{ rate|pct }}` → 3% (the one rate
formatter, also called from Python)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html

from common.fen import pct
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


# The one rate formatter lives beside format_cny in common.fen (pure: the calculator imports it without
# the ORM); here it is the templates' filter: `{{ rate|pct }}`, `{{ rate|pct:2 }}`.
register.filter("pct", pct)


@register.filter
def pct_points(value: Any) -> str:
    """`{{ attainment|pct_points }}`: a figure already in percent (a report's 12.5) through `pct`."""
    return pct(value, points=True)
