"""Issue 16: the contacts list — the contacts of the customers the user sees (C11), with the list tools
(sort, owner / team / dates, total, saved filters, columns)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from common.access import page_open_to
from common.auth import AuthedRequest
from crm import policy
from crm.models import ContactRole
from crm.views.list_context import list_tools_context
from crm.views.list_rows import contact_rows
from crm.views.paging import PAGE_SIZE


@page_open_to(policy.can_open_customers)
def contact_list(request: AuthedRequest) -> HttpResponse:
    found = contact_rows(request)
    tools = list_tools_context(request, found, size=PAGE_SIZE)
    return render(request, "crm/contact_list.html", {**tools, **found.context, "roles": ContactRole.choices})
