"""Customer 360 (issue 16): the context of the customer page's tabs (headers with counts, one page of
the open tab). Each tab is its own URL (crm.views.customers.customer_tab)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404
from django.utils.safestring import mark_safe

from common.auth import AuthedRequest
from crm import policy
from crm.extensions import PAYMENT_PLANS_TAB
from crm.models import Customer
from crm.payment_plan_page import contract_payment_plans
from crm.selectors_customer360 import Tab, customer_tabs, tab_querysets

DEFAULT_TAB = "contacts"


def _page_number(raw: str | None) -> int:
    try:
        return max(int(raw or 1), 1)
    except ValueError:
        return 1


def tab_context(request: AuthedRequest, customer: Customer, key: str) -> dict[str, Any]:
    """The tab headers with their counts and the open tab's page of rows (404 for an unknown tab)."""
    tabs = customer_tabs(customer=customer, user=request.user)
    active: Tab | None = next((t for t in tabs if t.key == key), None)
    if active is None:
        raise Http404
    size = settings.CRM_CUSTOMER_TAB_PAGE_SIZE
    pages = max((active.count + size - 1) // size, 1)
    page = min(_page_number(request.GET.get("page")), pages)
    offset = (page - 1) * size
    rows: list[Any] = []
    body = mark_safe("")
    if active.extension is not None:
        body = active.extension.render(customer=customer, user=request.user, offset=offset, size=size)
    elif active.count:
        rows = list(tab_querysets(customer=customer, user=request.user)[key][offset : offset + size])
        if key == PAYMENT_PLANS_TAB:
            rows = contract_payment_plans(contracts=rows)
    return {
        "tabs": tabs,
        "active_tab": active,
        "tab_rows": rows,
        "tab_body": body,
        "tab_page": page,
        "tab_pages": pages,
        "tab_prev": page - 1 if page > 1 else None,
        "tab_next": page + 1 if page < pages else None,
        "can_record_money_in": policy.can_record_money_in(request.user),
    }
