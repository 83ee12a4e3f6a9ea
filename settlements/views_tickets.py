"""K13 ticket entry page (finance): the partners' own tickets and the attendees they bring, recorded
here instead of the admin. Each POST calls one service; a refusal keeps the input and says why."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from settlements import policy
from settlements.forms_tickets import TicketFilterForm, TicketSaleForm, TicketStockForm
from settlements.selectors_tickets import ticket_sales_recorded, ticket_stock_recorded
from settlements.services.ticket_entry import ticket_sale_record, ticket_stock_record

PAGE_SIZE = 25


@page_open_to(policy.can_record_tickets)
def ticket_entry(request: AuthedRequest) -> HttpResponse:
    stock_form = TicketStockForm(prefix="stock")
    sale_form = TicketSaleForm(prefix="sale")
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind == "stock":
            stock_form = TicketStockForm(request.POST, prefix="stock")
            if stock_form.is_valid():
                try:
                    ticket_stock_record(by=request.user, **stock_form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(stock_form, exc)
                else:
                    messages.success(request, _("已登记合伙人所属门票。"))
                    return redirect("settlements:tickets")
        elif kind == "sale":
            sale_form = TicketSaleForm(request.POST, prefix="sale")
            if sale_form.is_valid():
                try:
                    ticket_sale_record(by=request.user, **sale_form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(sale_form, exc)
                else:
                    messages.success(request, _("已登记参会门票，本月草稿结算单已更新票额抵扣。"))
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
            "stock_form": stock_form,
            "sale_form": sale_form,
            "sales": sales.get_page(request.GET.get("page")),
            "stock": stock.get_page(request.GET.get("stock_page")),
            "params": params.urlencode(),
            "unmasked": policy.can_see_unmasked_bank_account(request.user),
        },
    )
