"""C9 badges: `{% pool_annotate customers %}` once per page (two queries at most, only when some customer is
past the warn threshold), then `{% include "crm/_pool_badge.html" with customer=c %}` per row (or
`pool_badge_html` from Python: the customer list renders its rows in Python)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
from django.utils.translation import gettext, ngettext

from crm.models import Customer
from crm.selectors_pool import pool_policy_once
from crm.services.pool import PoolState, pool_states

register = template.Library()


@register.simple_tag(takes_context=True)
def pool_annotate(context: Any, customers: Any) -> str:
    rows = [customers] if isinstance(customers, Customer) else list(customers)
    policy = context.get("_pool_policy")
    if policy is None:
        request = context.get("request")
        policy = pool_policy_once(getattr(request, "user", None))
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


def local_day(value: Any) -> str:
    """A date or datetime as the `date:"Y-m-d"` filter shows it (in the local zone); "" for none."""
    if not value:
        return ""
    return date_filter(
        localtime(value) if isinstance(value, dt.datetime) and is_aware(value) else value, "Y-m-d"
    )


def pool_badge_html(state: PoolState | None) -> SafeString:
    """The C9 badges of one customer: days without contact (from the warn threshold) and the days left
    before release (unless exempt). Empty below the warn threshold."""
    if state is None or not state.warned:
        return mark_safe("")
    days = state.days or 0
    if state.from_followup:
        text = ngettext("%(days)s 天未联系", "%(days)s 天未联系", days) % {"days": days}
    else:
        text = ngettext("接手 %(days)s 天未跟进", "接手 %(days)s 天未跟进", days) % {"days": days}
    since = local_day(state.since)
    html = format_html(
        '<span class="badge warn" title="{}">{}</span>', gettext("公海计时自 %(d)s 起") % {"d": since}, text
    )
    left = state.days_left
    if left is not None:
        when = (
            ngettext("%(days)s 天后转入公海", "%(days)s 天后转入公海", left) % {"days": left}
            if left
            else gettext("今天转入公海")
        )
        html = format_html('{} <span class="badge bad">{}</span>', html, when)
    return html


@register.simple_tag(takes_context=True)
def pool_badge(context: Any, customer: Any) -> SafeString:
    return pool_badge_html(pool_state_of(context, customer))
