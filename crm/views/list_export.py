"""Issue 16: any CRM list as Excel — the list's filters, sort and chosen columns, within what the user
may see (crm.views.list_rows: the same rows as the page), streamed from a spooled file in constant
memory and logged (crm.services.list_export)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.exports import xlsx_download
from common.list_preferences import list_preferences
from common.listtools import clean_saved_query, list_order
from crm import policy
from crm.services import list_export as services
from crm.views.list_rows import LIST_ROWS


@page_open_to(policy.can_use_list_tools)
def list_export(request: AuthedRequest, key: str) -> HttpResponseBase:
    rows_of = LIST_ROWS.get(key)
    if rows_of is None or not policy.can_export_list(request.user, key):
        raise Http404  # as the customer list's export: a list one may not export is not there
    found = rows_of(request)
    spec = found.spec
    query = clean_saved_query(spec, request.GET)
    try:
        export = services.list_export(
            user=request.user,
            list_key=key,
            rows=list_order(found.shown, spec, found.lq),
            columns=list_preferences(user=request.user, spec=spec).columns,
            filters=query,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(reverse(spec.page_url_name) + ("?" + query if query else ""))
    return xlsx_download(export.rows, filename=f"{key}.xlsx", sheet=str(spec.title), formats=export.formats)
