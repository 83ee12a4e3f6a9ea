"""`{{ amount|cny }}` → ¥1,234.50 (two decimals, half-up to the fen)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
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
def pct(value: Any) -> str:
    """A rate stored as a fraction, shown as a percentage: 0.030000 -> "3%", 0.0125 -> "1.25%"."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("rates are Decimal, never float")
    try:
        number = (Decimal(value) * 100).normalize()
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{number:f}%"
