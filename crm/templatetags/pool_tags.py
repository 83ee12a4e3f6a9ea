"""C9 badges: `{% pool_annotate customers %}` once per page (two queries at most, only when some customer is
past the warn threshold), then `{% include "crm/_pool_badge.html" with customer=c %}` per row."""

from __future__ import annotations

from typing import Any

from django import template

from crm.models import Customer, PoolPolicy
from crm.services.pool import PoolState, pool_states

register = template.Library()


@register.simple_tag(takes_context=True)
def pool_annotate(context: Any, customers: Any) -> str:
    rows = [customers] if isinstance(customers, Customer) else list(customers)
    policy = context.get("_pool_policy")
    if policy is None:
        policy = PoolPolicy.objects.prefetch_related("grade_rules").filter(pk=1).first() or PoolPolicy()
        context.dicts[0]["_pool_policy"] = policy
    states = pool_states(rows, policy=policy)
    for c in rows:
        c.pool_state = states.get(c.pk)  # type: ignore[attr-defined]
    return ""


@register.simple_tag(takes_context=True)
def pool_state_of(context: Any, customer: Any) -> PoolState | None:
    if not isinstance(customer, Customer):
        return None
    if not hasattr(customer, "pool_state"):
        pool_annotate(context, customer)
    return customer.pool_state  # type: ignore[attr-defined]


@register.inclusion_tag("crm/_pool_at_risk.html", takes_context=True)
def pool_at_risk(context: Any, user: Any, limit: int = 10) -> dict[str, Any]:
    """ "My day": my customers past the warn threshold, the closest to release first."""
    from crm.selectors_pool import pool_at_risk_for

    rows = pool_at_risk_for(user=user, limit=limit)
    pool_annotate(context, rows)
    return {"customers": [c for c in rows if c.pool_state and c.pool_state.warned]}  # type: ignore[attr-defined]
