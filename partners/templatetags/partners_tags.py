from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: Decimal | None) -> str:
    """0.333333 -> "33.3333%" (shares are exact fractions; no float)."""
    if value is None or value == "":
        return "—"
    pct = (Decimal(value) * 100).quantize(Decimal("0.0001")).normalize()
    return f"{pct:f}%"


@register.inclusion_tag("partners/_customer_collisions.html")
def customer_collisions(customer: Any) -> dict[str, Any]:
    """The customer page's 撞单 box: this customer's cases (open first), newest first."""
    from partners.models import CollisionCase

    cases = list(CollisionCase.objects.filter(customer=customer).order_by("-id")[:10])
    return {"cases": cases}
