"""`{{ amount|cny }}` → ¥1,234.50 (two decimals, half-up to the fen)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

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
