"""003 §9.5 pages: implementation orders (实施单) — list, detail (items → 转为任务, progress, the contract's
payment milestones, history), raising one from an approved execution order, and its status steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
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
from crm.forms_execution import ImplementationAssignForm, ImplementationOrderForm
from crm.models import ImplementationItem, ImplementationOrder, ImplementationStatus
from crm.services import implementation_orders as services
from crm.services.payment_plans import contract_plan_vs_actual
from crm.views.paging import render_document_list

# The button words of each move (the transitions table says who may make it).
MOVE_LABELS: dict[str, Any] = {
    ImplementationStatus.IN_PROGRESS: gettext_lazy("开始实施"),
    ImplementationStatus.COMPLETED: gettext_lazy("实施完成"),
    ImplementationStatus.CANCELLED: gettext_lazy("撤回实施单"),
}


def _order_or_404(request: AuthedRequest, pk: int) -> ImplementationOrder:
    order = (
        policy.implementation_orders_visible_to(request.user)
        .select_related(
            "contract", "contract__customer", "contract__owner", "execution_order", "lead", "created_by"
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise Http404
    return order


@page_open_to(policy.can_open_contracts)
def implementation_order_list(request: AuthedRequest) -> HttpResponse:
    qs = policy.implementation_orders_visible_to(request.user).select_related(
        "contract", "contract__customer", "lead"
    )
    return render_document_list(
        request,
        qs,
        template="crm/implementation_order_list.html",
        statuses=ImplementationStatus.choices,
        search=lambda q: (
            Q(number=q)
            | Q(contract__number=q)
            | Q(scope__icontains=q)
            | Q(contract__customer__name__icontains=q)
        ),
    )


def _detail(
    request: AuthedRequest, order: ImplementationOrder, *, bad_item: int | None = None, bad_form: Any = None
) -> HttpResponse:
    user = request.user
    may_run = policy.can_run_implementation(user, order)
    staff = policy.implementation_staff()
    items = list(order.items.select_related("task", "task__owner"))  # type: ignore[attr-defined]
    open_ = order.status in services.OPEN
    rows = [
        {
            "item": item,
            "form": (
                bad_form
                if item.pk == bad_item
                else ImplementationAssignForm(staff=staff, prefix=f"i{item.pk}")
            )
            if may_run and open_ and item.task_id is None
            else None,
        }
        for item in items
    ]
    moves = [
        (to, MOVE_LABELS[to])
        for (frm, to), who in services.IMPLEMENTATION_TRANSITIONS.items()
        if frm == order.status
        and (
            policy.can_run_implementation(user, order)
            if who == "delivery"
            else policy.can_cancel_implementation(user, order)
        )
    ]
    sees_contract = policy.can_view_contract(user, order.contract)
    labels = dict(ImplementationStatus.choices)
    history = [
        {"h": h, "frm": labels.get(h.from_status, "—"), "to": labels.get(h.to_status, h.to_status)}
        for h in order.history.select_related("changed_by")  # type: ignore[attr-defined]
    ]
    done = sum(1 for i in items if i.task is not None and i.task.done_at is not None)
    return render(
        request,
        "crm/implementation_order_detail.html",
        {
            "order": order,
            "rows": rows,
            "progress": services.Progress(done=done, total=len(items)),
            "moves": moves,
            "history": history,
            "sees_contract": sees_contract,
            "sees_execution_order": policy.execution_orders_visible_to(user)
            .filter(pk=order.execution_order_id)
            .exists(),
            # Business staff follow the payment milestones (回款计划) of the contract here.
            "plan": contract_plan_vs_actual(order.contract) if sees_contract else None,
        },
        status=400 if bad_form is not None else 200,
    )


@page_open_to(policy.is_internal)
def implementation_order_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _order_or_404(request, pk))


@page_open_to(policy.is_internal)
@require_http_methods(["GET", "POST"])
def implementation_order_create(request: AuthedRequest, pk: int) -> HttpResponse:
    eo = (
        policy.execution_orders_visible_to(request.user)
        .select_related("contract", "contract__customer")
        .filter(pk=pk)
        .first()
    )
    if eo is None or not policy.can_raise_implementation_order(request.user, eo):
        raise Http404
    staff = policy.implementation_staff()
    initial = {"start_on": eo.implement_on or eo.ship_on, "scope": eo.deliverables}
    form = ImplementationOrderForm(request.POST or None, initial=initial, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.implementation_order_create(
                execution_order=eo, by=request.user, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("实施单已发出，已通知实施部门。"))
            return redirect("crm:implementation_order_detail", pk=order.pk)
    return render(request, "crm/implementation_order_form.html", {"form": form, "eo": eo})


@page_open_to(policy.is_internal)
@require_POST
def implementation_order_transition(request: AuthedRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    try:
        services.implementation_order_transition(
            order=order,
            to=request.POST.get("to", ""),
            by=request.user,
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("实施单状态已更新。"))
    return redirect("crm:implementation_order_detail", pk=order.pk)


@page_open_to(policy.is_internal)
@require_POST
def implementation_item_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    item = ImplementationItem.objects.filter(pk=pk).only("order_id").first()
    if item is None:
        raise Http404
    order = _order_or_404(request, item.order_id)
    form = ImplementationAssignForm(request.POST, staff=policy.implementation_staff(), prefix=f"i{item.pk}")
    if form.is_valid():
        try:
            services.implementation_item_assign(item=item, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已转为任务并通知实施人员。"))
            return redirect("crm:implementation_order_detail", pk=order.pk)
    return _detail(request, order, bad_item=item.pk, bad_form=form)
