"""`{{ amount|cny }}` → ¥30,000.00 (half-up to the fen, the same everywhere)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from common.fen import format_cny

register = template.Library()


@register.filter
def cny(value: Decimal | None) -> str:
    return format_cny(value)
