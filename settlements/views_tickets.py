"""K13 ticket entry page (finance): the partners' own tickets and the attendees they bring, recorded
here instead of the admin. Each POST calls one service; a refusal keeps the input and says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _lazy

from common.access import page_open_to
from common.auth import AuthedRequest
from common.forms import form_saved
from settlements import policy
from settlements.forms_tickets import TicketFilterForm, TicketSaleForm, TicketStockForm
from settlements.selectors_tickets import ticket_sales_recorded, ticket_stock_recorded
from settlements.services.ticket_entry import ticket_sale_record, ticket_stock_record

PAGE_SIZE = 25


# The two entry forms: which form, which service records it, and what the page says once it has.
ENTRIES: dict[str, tuple[type[BaseForm], Callable[..., Any], Any]] = {
    "stock": (TicketStockForm, ticket_stock_record, _lazy("已登记合伙人所属门票。")),
    "sale": (TicketSaleForm, ticket_sale_record, _lazy("已登记参会门票，本月草稿结算单已更新票额抵扣。")),
}


@page_open_to(policy.can_record_tickets)
def ticket_entry(request: AuthedRequest) -> HttpResponse:
    entry_forms = {kind: form_class(prefix=kind) for kind, (form_class, _record, _done) in ENTRIES.items()}
    kind = request.POST.get("kind", "") if request.method == "POST" else ""
    if kind in ENTRIES:
        form_class, record, done = ENTRIES[kind]
        entry_forms[kind] = form_class(request.POST, prefix=kind)
        if form_saved(request, entry_forms[kind], lambda data: record(by=request.user, **data), str(done)):
            return redirect("settlements:tickets")
    filters = TicketFilterForm(request.GET or None)
    criteria: dict[str, Any] = {}
    if filters.is_valid():
        criteria = {"q": filters.cleaned_data["q"], "month": filters.cleaned_data["month"]}
    sales = Paginator(ticket_sales_recorded(**criteria).order_by("-month", "-attended_on", "-id"), PAGE_SIZE)
    stock = Paginator(ticket_stock_recorded(**criteria).order_by("-acquired_on", "-id"), PAGE_SIZE)
    params = request.GET.copy()
    for key in ("page", "stock_page"):
        params.pop(key, None)
    return render(
        request,
        "settlements/ticket_entry.html",
        {
            "filters": filters,
            "stock_form": entry_forms["stock"],
            "sale_form": entry_forms["sale"],
            "sales": sales.get_page(request.GET.get("page")),
            "stock": stock.get_page(request.GET.get("stock_page")),
            "params": params.urlencode(),
            "unmasked": policy.can_see_unmasked_bank_account(request.user),
        },
    )
