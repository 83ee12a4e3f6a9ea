"""Q4/Q5 pages: order list, new order from a signed contract, order page with invoiced / received /
outstanding and finance's payment, refund and invoice entry."""

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
from crm.models import Category, Order, OrderLine, OrderStatus, Product
from crm.pipeline_forms import (
    BoardResolutionForm,
    MoneyInForm,
    OrderLineCostForm,
    OrderLineFormSet,
    WriteOffForm,
)
from crm.services import catalog
from crm.services import orders as services
from crm.services import payments as payment_services
from crm.services.approvals import approval_chain, latest_request_for
from crm.services.receivables import orders_with_money, writeoff_eligibility
from crm.views.list_context import list_tools_context
from crm.views.list_rows import order_rows
from crm.views.paging import PAGE_SIZE


def _lines_with_labels(order: Order) -> list[OrderLine]:
    """The order's lines, each with its category in words (categories are data, looked up once)."""
    labels = {c.code: c.label for c in Category.objects.all()}
    lines = list(order.lines.all())
    for ln in lines:
        ln.category_label = labels.get(ln.category, ln.category)  # type: ignore[attr-defined]
    return lines


def _order_or_404(request: AuthedRequest, pk: int) -> Order:
    qs = orders_with_money(policy.orders_visible_to(request.user)).select_related(
        "customer", "owner", "contract"
    )
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@page_open_to(policy.can_open_orders)
def order_list(request: AuthedRequest) -> HttpResponse:
    # Issue 16: the list tools (sort, owner / team / booking dates, total, saved filters, columns, export).
    found = order_rows(request)
    tools = list_tools_context(request, found, size=PAGE_SIZE)
    return render(request, "crm/order_list.html", {**tools, **found.context, "statuses": OrderStatus.choices})


@page_open_to(policy.can_open_contracts)
@require_http_methods(["GET", "POST"])
def order_create(request: AuthedRequest, contract_pk: int) -> HttpResponse:
    contract = (
        policy.contracts_visible_to(request.user).filter(pk=contract_pk).select_related("customer").first()
    )
    if contract is None:
        raise Http404
    quote_lines = list(contract.quote.lines.select_related("catalog_product")) if contract.quote else []  # type: ignore[attr-defined]
    if quote_lines:  # the contract's quote: its products at the quoted prices, quantities to choose
        initial = [
            {"product": ql.catalog_product.code, "quantity": ql.quantity}
            for ql in quote_lines
            if ql.catalog_product
        ]
        products = [(ql.catalog_product, ql.quoted_price) for ql in quote_lines if ql.catalog_product]
    else:
        initial = []
        products = [
            (p, None)
            for p, price in catalog.products_with_price(Product.objects.filter(active=True).order_by("code"))
            if price is not None
        ]
    lines = OrderLineFormSet(request.POST or None, prefix="lines", initial=initial)
    error = None
    if request.method == "POST" and lines.is_valid():
        try:
            order = services.order_create(
                by=request.user,
                contract=contract,
                lines=[f.cleaned_data for f in lines.forms if f.cleaned_data],
            )
        except DomainError as exc:
            error = str(exc.message)
        else:
            if order.status == OrderStatus.PENDING_APPROVAL:
                messages.warning(request, _("订单需要审批（低于最低价或超出合同余额），已提交审批。"))
            else:
                messages.success(request, _("订单已下单。"))
            return redirect("crm:order_detail", pk=order.pk)
    return render(
        request,
        "crm/order_form.html",
        {
            "contract": contract,
            "lines": lines,
            "error": error,
            "products": products,
            "from_quote": bool(quote_lines),
            "remaining": services.contract_remaining(contract),
        },
    )


@page_open_to(policy.can_open_orders)
@require_http_methods(["GET", "POST"])
def order_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    form = MoneyInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if d["kind"] == "payment":
                payment_services.payment_record(
                    order=order,
                    amount=d["amount"],
                    by=request.user,
                    received_on=d["on"],
                    reference=d["reference"],
                )
            elif d["kind"] == "refund":
                payment_services.refund_record(
                    order=order,
                    amount=d["amount"],
                    reason=d["reason"],
                    by=request.user,
                    received_on=d["on"],
                    reference=d["reference"],
                )
            else:
                payment_services.invoice_record(
                    order=order, amount=d["amount"], by=request.user, issued_on=d["on"], number=d["reference"]
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记。"))
            return redirect("crm:order_detail", pk=order.pk)
    req = latest_request_for(order)
    return render(
        request,
        "crm/order_detail.html",
        {
            "order": order,
            "lines": _lines_with_labels(order),
            "cost_form": OrderLineCostForm() if policy.can_record_money_in(request.user) else None,
            "payments": order.payments.select_related("recorded_by"),
            "invoices": order.invoices.all(),  # type: ignore[attr-defined]
            "writeoffs": order.writeoffs.all(),
            "form": form,
            "may_record_money_in": policy.can_record_money_in(request.user),
            "may_open_contract": order.contract is not None
            and policy.can_view_contract(request.user, order.contract),
            "approval": req,
            "chain": approval_chain(req) if req else [],
            "may_open_approval": req is not None and policy.can_view_approval(request.user, req),
            "writeoff_form": WriteOffForm(),
            "writeoff_check": writeoff_eligibility(order=order, by=request.user)
            if order.status == OrderStatus.BOOKED
            else None,
            "resolution_form": BoardResolutionForm(),
        },
    )


@page_open_to(policy.can_open_orders)
@require_POST
def order_writeoff(request: AuthedRequest, pk: int) -> HttpResponse:
    from crm.services.receivables import writeoff_propose

    order = _order_or_404(request, pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写核销金额和原因。"))
    else:
        try:
            writeoff_propose(order=order, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("坏账核销申请已提交财务审批。"))
    return redirect("crm:order_detail", pk=order.pk)


@page_open_to(policy.can_record_money_decisions)
@require_POST
def order_writeoff_resolution(request: AuthedRequest, pk: int, writeoff_pk: int) -> HttpResponse:
    """002 §8.3: finance records the board's resolution on a proposed write-off."""
    from crm.services.receivables import writeoff_board_resolution_record

    order = _order_or_404(request, pk)
    writeoff = order.writeoffs.filter(pk=writeoff_pk).first()
    if writeoff is None:
        raise Http404
    form = BoardResolutionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            writeoff_board_resolution_record(writeoff=writeoff, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("董事会决议已登记，可以审批核销。"))
    else:
        messages.error(request, _("请检查董事会决议的编号、日期和附件。"))
    return redirect("crm:order_detail", pk=order.pk)


@page_open_to(policy.can_record_money_in)
@require_POST
def order_line_costs(request: AuthedRequest, pk: int) -> HttpResponse:
    """Finance: a line's unit cost, tax and logistics (K7), the same service as the API."""
    order = _order_or_404(request, pk)
    form = OrderLineCostForm(request.POST)
    line = (
        order.lines.filter(pk=request.POST.get("line") or 0).first()
        if str(request.POST.get("line", "")).isdigit()
        else None
    )
    if line is None or not form.is_valid():
        messages.error(request, _("请填写有效的成本。"))
        return redirect("crm:order_detail", pk=order.pk)
    try:
        services.order_line_costs_set(line=line, by=request.user, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("成本已登记。"))
    return redirect("crm:order_detail", pk=order.pk)
