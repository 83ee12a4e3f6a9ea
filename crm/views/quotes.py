"""Q1 pages: quote list, new quote with lines, detail with submit / send and its approval chain."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.models import Opportunity, Product, Quote, QuoteStatus
from crm.pipeline_forms import QuoteForm, QuoteLineFormSet
from crm.services import catalog
from crm.services import quotes as services
from crm.services.approvals import approval_chain, approval_submitted_text, latest_request_for
from crm.views.list_context import list_tools_context
from crm.views.list_rows import quote_rows
from crm.views.paging import PAGE_SIZE
from crm.views.status_history import status_history


def _quote_or_404(request: AuthedRequest, pk: int) -> Quote:
    quote = policy.quotes_visible_to(request.user).filter(pk=pk).select_related("customer", "owner").first()
    if quote is None:
        raise Http404
    return quote


@page_open_to(policy.can_open_pipeline)
def quote_list(request: AuthedRequest) -> HttpResponse:
    # Issue 16: the list tools (sort, owner / team / dates, total, saved filters, columns, export).
    found = quote_rows(request)
    tools = list_tools_context(request, found, size=PAGE_SIZE)
    return render(request, "crm/quote_list.html", {**tools, **found.context, "statuses": QuoteStatus.choices})


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def quote_create(request: AuthedRequest) -> HttpResponse:
    customers = policy.customers_visible_to(request.user).only("id", "name").order_by("name")
    form = QuoteForm(
        request.POST or None, customers=customers, initial={"customer": request.GET.get("customer")}
    )
    lines = QuoteLineFormSet(request.POST or None, prefix="lines")
    opportunity: Opportunity | None = None
    opp_id = request.POST.get("opportunity") or request.GET.get("opportunity")
    if opp_id and str(opp_id).isdigit():
        opportunity = policy.opportunities_visible_to(request.user).filter(pk=int(opp_id)).first()
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        try:
            quote = services.quote_create(
                by=request.user,
                customer=form.cleaned_data["customer"],
                title=form.cleaned_data["title"],
                lines=[f.cleaned_data for f in lines.forms if f.cleaned_data],
                opportunity=opportunity,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("报价单已保存为草稿。"))
            return redirect("crm:quote_detail", pk=quote.pk)
    products = [
        (p, price)
        for p, price in catalog.products_with_price(Product.objects.filter(active=True).order_by("code"))
        if price is not None
    ]
    return render(
        request,
        "crm/quote_form.html",
        {"form": form, "lines": lines, "opportunity": opportunity, "products": products},
    )


@page_open_to(policy.can_open_pipeline)
def quote_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The printable quote document (the browser's print / save as PDF uses the print stylesheet)."""
    quote = _quote_or_404(request, pk)
    return render(
        request,
        "crm/quote_print.html",
        {"quote": quote, "lines": quote.lines.select_related("catalog_product")},  # type: ignore[attr-defined]
    )


@page_open_to(policy.can_open_pipeline)
def quote_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    req = latest_request_for(quote)
    return render(
        request,
        "crm/quote_detail.html",
        {
            "quote": quote,
            "lines": quote.lines.all(),  # type: ignore[attr-defined]
            "history": status_history(quote.history.select_related("changed_by"), QuoteStatus),  # type: ignore[attr-defined]
            "approval": req,
            "chain": approval_chain(req) if req else [],
            "may_open_approval": req is not None and policy.can_view_approval(request.user, req),
            "is_owner": quote.owner_id == request.user.pk,
        },
    )


@page_open_to(policy.can_open_pipeline)
@require_POST
def quote_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    quote = _quote_or_404(request, pk)
    to = request.POST.get("to", "")
    if to not in QuoteStatus.values:
        messages.error(request, _("无效的操作。"))
        return redirect("crm:quote_detail", pk=quote.pk)
    try:
        services.quote_transition(
            quote=quote, to=to, by=request.user, comment=request.POST.get("comment", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        submitted = approval_submitted_text(quote) if to == QuoteStatus.PENDING else ""
        messages.success(request, submitted or _("报价单状态已更新。"))
    return redirect("crm:quote_detail", pk=quote.pk)
