"""Issue 16: the contacts list — the contacts of the customers the user sees (C11), with the list tools
(sort, owner / team / dates, total, saved filters, columns)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from common.access import page_open_to
from common.auth import AuthedRequest
from crm import policy
from crm.lists import CONTACT_LIST
from crm.models import ContactRole
from crm.selectors import contact_list_for
from crm.views.list_context import list_query_for, list_tools_context
from crm.views.paging import PAGE_SIZE


@page_open_to(policy.can_open_customers)
def contact_list(request: AuthedRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()
    role = request.GET.get("role") or ""
    qs = contact_list_for(request.user, q=q, role=role)
    qs, lq = list_query_for(request, CONTACT_LIST, qs)
    tools = list_tools_context(
        request, CONTACT_LIST, qs, lq, size=PAGE_SIZE, rows=qs.select_related("customer__owner")
    )
    return render(
        request, "crm/contact_list.html", {**tools, "q": q, "role": role, "roles": ContactRole.choices}
    )
