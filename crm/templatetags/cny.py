"""`{{ amount|cny }}` → ¥1,234.50 — exact to the fen, never a float on the way."""

from __future__ import annotations

from decimal import Decimal

from django import template

from common.money import format_cny

register = template.Library()


@register.filter(name="cny")
def cny(value: Decimal | None) -> str:
    return format_cny(value) if value is not None else "—"
