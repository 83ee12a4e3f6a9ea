"""003 §9.3/§9.5 pages: execution orders (执行单) — list, detail, and raising one from a signed contract."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.forms_execution import ExecutionOrderForm
from crm.models import ExecutionOrderStatus
from crm.services import execution_orders as services
from crm.services.approvals import approval_chain, latest_request_for
from crm.views.contracts import _contract_or_404
from crm.views.paging import render_document_list


@page_open_to(policy.can_open_contracts)
def execution_order_list(request: AuthedRequest) -> HttpResponse:
    qs = policy.execution_orders_visible_to(request.user).select_related("contract", "contract__customer")
    return render_document_list(
        request,
        qs,
        template="crm/execution_order_list.html",
        statuses=ExecutionOrderStatus.choices,
        search=lambda q: (
            Q(number=q)
            | Q(contract__number=q)
            | Q(contract__title__icontains=q)
            | Q(contract__customer__name__icontains=q)
        ),
    )


@page_open_to(policy.is_internal)
def execution_order_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    eo = (
        policy.execution_orders_visible_to(request.user)
        .select_related("contract", "contract__customer", "created_by")
        .filter(pk=pk)
        .first()
    )
    if eo is None:
        raise Http404
    req = latest_request_for(eo)
    return render(
        request,
        "crm/execution_order_detail.html",
        {
            "eo": eo,
            "approval": req,
            "chain": approval_chain(req) if req else [],
            "may_open_approval": req is not None and policy.can_view_approval(request.user, req),
            # 003 §9.5: the implementation orders (实施单) raised on it.
            "implementation_orders": policy.implementation_orders_visible_to(request.user)
            .filter(execution_order=eo)
            .select_related("lead"),
            "can_raise_implementation": policy.can_raise_implementation_order(request.user, eo),
        },
    )


@page_open_to(policy.is_internal)
@require_http_methods(["GET", "POST"])
def execution_order_create(request: AuthedRequest, pk: int) -> HttpResponse:
    contract = _contract_or_404(request, pk)
    if not policy.can_raise_execution_order(request.user, contract):
        raise Http404
    form = ExecutionOrderForm(
        request.POST or None, initial={"collect_amount": services.execution_order_open_amount(contract)}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            eo = services.execution_order_create(contract=contract, by=request.user, **d)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("执行单已提交审批。"))
            return redirect("crm:execution_order_detail", pk=eo.pk)
    return render(request, "crm/execution_order_form.html", {"form": form, "contract": contract})
