"""Issue 16: each list's rows as its URL filters them — the list's own filters (search, status, stage,
role), then the tools' owner / team / dates — within what the user may see (C11). One function per list,
used by its page and by its Excel export (crm.views.list_export), so both always hold the same rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet

from common.auth import AuthedRequest
from crm import policy
from crm.lists import CONTACT_LIST, CONTRACT_LIST, LEAD_LIST, OPPORTUNITY_LIST, ORDER_LIST, QUOTE_LIST
from crm.pipeline_forms import LeadFilterForm
from crm.selectors import contact_list_for, matching_or_customer_named
from crm.services.receivables import orders_with_money
from crm.views.list_context import ListRows, list_rows_of
from crm.views.paging import document_filter


def contract_rows(request: AuthedRequest) -> ListRows:
    qs, q, status = document_filter(request, policy.contracts_visible_to(request.user))
    return list_rows_of(request, CONTRACT_LIST, qs, {"q": q, "status": status}, "customer", "owner")


def quote_rows(request: AuthedRequest) -> ListRows:
    qs, q, status = document_filter(request, policy.quotes_visible_to(request.user))
    return list_rows_of(request, QUOTE_LIST, qs, {"q": q, "status": status}, "customer", "owner")


def order_rows(request: AuthedRequest) -> ListRows:
    # an order has no title: its number or its customer's name
    qs, q, status = document_filter(request, policy.orders_visible_to(request.user), titled=False)
    found = list_rows_of(request, ORDER_LIST, qs, {"q": q, "status": status})
    found.shown = orders_with_money(found.qs).select_related("customer", "owner")
    return found


def lead_rows(request: AuthedRequest) -> ListRows:
    form = LeadFilterForm(request.GET or None)
    qs = policy.leads_visible_to(request.user)
    if form.is_valid():
        if form.cleaned_data["q"]:
            q = form.cleaned_data["q"].strip()
            qs = qs.filter(Q(company__icontains=q) | Q(phone=q))
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
    return list_rows_of(request, LEAD_LIST, qs, {"form": form}, "assigned_to", "region", "industry")


def opportunity_filter(request: AuthedRequest) -> tuple[QuerySet[Any], str, str]:
    """The pipeline's own filters (the kanban and the list): a search and a stage."""
    qs = policy.opportunities_visible_to(request.user).select_related("customer", "owner")
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = matching_or_customer_named(qs, Q(name__icontains=q), q)
    stage = request.GET.get("stage") or ""
    if stage:
        qs = qs.filter(stage=stage)
    return qs, q, stage


def opportunity_rows(request: AuthedRequest) -> ListRows:
    qs, q, stage = opportunity_filter(request)
    return list_rows_of(request, OPPORTUNITY_LIST, qs, {"q": q, "stage": stage})


def contact_rows(request: AuthedRequest) -> ListRows:
    q = (request.GET.get("q") or "").strip()
    role = request.GET.get("role") or ""
    qs = contact_list_for(request.user, q=q, role=role)
    return list_rows_of(request, CONTACT_LIST, qs, {"q": q, "role": role}, "customer__owner")


LIST_ROWS: dict[str, Callable[[AuthedRequest], ListRows]] = {
    "contracts": contract_rows,
    "orders": order_rows,
    "quotes": quote_rows,
    "leads": lead_rows,
    "opportunities": opportunity_rows,
    "contacts": contact_rows,
}
