"""Q3 pages: contract list, new contract (optionally from an approved quote), detail with status moves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm.models import Contract, ContractStatus, QuoteStatus
from crm.pipeline_forms import ContractForm, ContractTransitionForm
from crm.pipeline_selectors import contracts_visible_to, quotes_visible_to
from crm.selectors import customer_list_visible_to, team_member_ids
from crm.services import contracts as services
from crm.services.approvals import approval_chain, latest_request_for
from crm.views.paging import render_document_list


def _contract_or_404(request: AuthedRequest, pk: int) -> Contract:
    obj = (
        contracts_visible_to(user=request.user)
        .filter(pk=pk)
        .select_related("customer", "owner", "quote")
        .first()
    )
    if obj is None:
        raise Http404
    return obj


@login_required
def contract_list(request: AuthedRequest) -> HttpResponse:
    qs = contracts_visible_to(user=request.user).select_related("customer", "owner")
    return render_document_list(
        request, qs, template="crm/contract_list.html", statuses=ContractStatus.choices
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: AuthedRequest) -> HttpResponse:
    customers = customer_list_visible_to(user=request.user).only("id", "name").order_by("name")
    quotes = quotes_visible_to(user=request.user).filter(
        owner=request.user, status__in=[QuoteStatus.APPROVED, QuoteStatus.SENT]
    )
    form = ContractForm(
        request.POST or None,
        customers=customers,
        quotes=quotes,
        initial={
            "customer": request.GET.get("customer"),
            "quote": request.GET.get("quote"),
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
                list_amount=d["list_amount"],
                standard_template=d["standard_template"],
                quote=d["quote"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("合同草稿已创建。"))
            return redirect("crm:contract_detail", pk=contract.pk)
    return render(request, "crm/contract_form.html", {"form": form})


@login_required
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    req = latest_request_for(contract)
    members = team_member_ids(request.user)
    is_owner_side = contract.owner_id in members
    moves = [
        (to, label)
        for (frm, to), who in services.CONTRACT_TRANSITIONS.items()
        if frm == contract.status
        and who != "system"
        and (
            (who == "owner" and is_owner_side)
            or (
                who == "manager"
                and ((contract.owner_id != request.user.pk and is_owner_side) or request.user.sees_everything)
            )
        )
        for label in [dict(ContractStatus.choices)[to]]
    ]
    return render(
        request,
        "crm/contract_detail.html",
        {
            "contract": contract,
            "ratio": services.contract_price_ratio(contract),
            "approval": req,
            "chain": approval_chain(req) if req else [],
            "history": contract.history.select_related("changed_by"),  # type: ignore[attr-defined]
            "orders": contract.orders.all(),
            "moves": moves,
            "can_order": contract.status in (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
            and is_owner_side,
        },
    )


@login_required
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
            messages.success(request, _("合同状态已更新。"))
    return redirect("crm:contract_detail", pk=contract.pk)
