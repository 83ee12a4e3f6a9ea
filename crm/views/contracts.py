"""Q3 pages: contract list, new contract (optionally from an approved quote), detail with status moves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.forms_sales_tools import EvenPaymentPlanForm
from crm.models import Contract, ContractStatus, QuoteStatus
from crm.pipeline_forms import ContractForm, ContractTransitionForm
from crm.services import contracts as services
from crm.services import orders as order_services
from crm.services import payment_plans as plan_services
from crm.services.approvals import approval_chain, approval_submitted_text, latest_request_for
from crm.views.list_context import list_tools_context
from crm.views.list_rows import contract_rows
from crm.views.paging import PAGE_SIZE
from crm.views.status_history import status_history


def _contract_or_404(request: AuthedRequest, pk: int) -> Contract:
    obj = (
        policy.contracts_visible_to(request.user)
        .filter(pk=pk)
        .select_related("customer", "owner", "quote")
        .first()
    )
    if obj is None:
        raise Http404
    return obj


@page_open_to(policy.can_open_contracts)
def contract_list(request: AuthedRequest) -> HttpResponse:
    # Issue 16: the list tools (sort, owner / team / dates, total, saved filters, columns, export).
    found = contract_rows(request)
    tools = list_tools_context(request, found, size=PAGE_SIZE)
    return render(
        request, "crm/contract_list.html", {**tools, **found.context, "statuses": ContractStatus.choices}
    )


@page_open_to(policy.can_open_contracts)
@require_http_methods(["GET", "POST"])
def contract_create(request: AuthedRequest) -> HttpResponse:
    customers = policy.customers_visible_to(request.user).only("id", "name").order_by("name")
    quotes = policy.quotes_visible_to(request.user).filter(
        owner=request.user, status__in=[QuoteStatus.APPROVED, QuoteStatus.SENT]
    )
    from_quote = (
        quotes.filter(pk=int(request.GET["quote"])).first()
        if request.GET.get("quote", "").isdigit()
        else None
    )
    form = ContractForm(
        request.POST or None,
        customers=customers,
        quotes=quotes,
        initial={
            "customer": request.GET.get("customer"),
            "quote": request.GET.get("quote"),
            "title": from_quote.title if from_quote else "",
            "standard_template": True,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            contract = services.contract_create(
                by=request.user,
                customer=d["customer"],
                title=d["title"],
                amount=d["amount"],
                standard_template=d["standard_template"],
                quote=d["quote"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("合同草稿已创建。"))
            return redirect("crm:contract_detail", pk=contract.pk)
    return render(request, "crm/contract_form.html", {"form": form})


@page_open_to(policy.is_internal)
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _contract_or_404(request, pk))


# Issue 15: a button says what it does (a verb), not the status it leads to.
MOVE_VERBS: dict[str, Any] = {  # lazy labels
    ContractStatus.IN_REVIEW: gettext_lazy("提交审批"),
    ContractStatus.SIGNED: gettext_lazy("确认签约"),
    ContractStatus.IN_DELIVERY: gettext_lazy("开始执行"),
    ContractStatus.COMPLETED: gettext_lazy("完成合同"),
    ContractStatus.TERMINATED: gettext_lazy("终止合同"),
}


def _detail(
    request: AuthedRequest, contract: Contract, plan_form: EvenPaymentPlanForm | None = None
) -> HttpResponse:
    req = latest_request_for(contract)
    moves = [
        (to, MOVE_VERBS.get(to) or dict(ContractStatus.choices)[to])
        for (frm, to), who in services.CONTRACT_TRANSITIONS.items()
        if frm == contract.status and policy.can_move_contract(request.user, contract, who)
    ]
    return render(
        request,
        "crm/contract_detail.html",
        {
            "contract": contract,
            "ratio": services.contract_price_ratio(contract),
            "approval": req,
            "chain": approval_chain(req) if req else [],
            "may_open_approval": req is not None and policy.can_view_approval(request.user, req),
            "history": status_history(contract.history.select_related("changed_by"), ContractStatus),  # type: ignore[attr-defined]
            "orders": contract.orders.all(),
            # The lines carried over from the approved quote (they price the contract's orders).
            "quote": contract.quote,
            "lines": contract.quote.lines.select_related("catalog_product") if contract.quote else [],  # type: ignore[attr-defined]
            "remaining": order_services.contract_remaining(contract),
            "moves": moves,
            "can_order": contract.status in (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
            and policy.is_on_owner_side(request.user, contract.owner_id),
            # Issue 16: the payment plan (回款计划), plan vs actual.
            "plan": plan_services.contract_plan_vs_actual(contract),
            "can_plan": policy.can_edit_payment_plan(request.user, contract),
            "plan_form": plan_form or EvenPaymentPlanForm(),
            # 003 §9.3: the contract's execution orders (执行单) with their approval state.
            "execution_orders": contract.execution_orders.all(),  # type: ignore[attr-defined]
            "can_raise_execution_order": contract.status
            in (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
            and policy.can_raise_execution_order(request.user, contract),
        },
    )


@page_open_to(policy.is_internal)
@require_POST
def contract_payment_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    """Issue 16: (re)make the plan in equal instalments; bad input shows on the contract page."""
    contract = _contract_or_404(request, pk)
    if not policy.can_edit_payment_plan(request.user, contract):
        raise Http404
    form = EvenPaymentPlanForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            plan_services.payment_plan_generate_even(
                contract=contract,
                by=request.user,
                count=d["count"],
                first_due=d["first_due"],
                every_months=d["every_months"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("回款计划已生成。"))
            return redirect("crm:contract_detail", pk=contract.pk)
    return _detail(request, contract, plan_form=form)


@page_open_to(policy.is_internal)
@require_POST
def contract_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    form = ContractTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("无效的操作。"))
    else:
        try:
            services.contract_transition(
                contract=contract,
                to=form.cleaned_data["to"],
                by=request.user,
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            submitted = (
                approval_submitted_text(contract)
                if form.cleaned_data["to"] == ContractStatus.IN_REVIEW
                else ""
            )
            messages.success(request, submitted or _("合同状态已更新。"))
    return redirect("crm:contract_detail", pk=contract.pk)
