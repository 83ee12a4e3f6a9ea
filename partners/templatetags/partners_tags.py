from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value: Decimal | None) -> str:
    """0.333333 -> "33.3333%" (shares are exact fractions; no float)."""
    if value is None or value == "":
        return "—"
    pct = (Decimal(value) * 100).quantize(Decimal("0.0001")).normalize()
    return f"{pct:f}%"
