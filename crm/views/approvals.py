"""Q2 pages: the approver inbox "待我审批" with one-click approve/reject, a request's chain, and the
customer rebate / make-good request form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError, NotFound
from common.forms import add_domain_error
from crm import policy
from crm.models import ApprovalRequest
from crm.pipeline_forms import ConcessionForm, DecideForm
from crm.pipeline_selectors import opportunities_awaiting_confirmation
from crm.services import approvals as services
from crm.views.paging import page_context

SUBJECT_URLS = {
    "quote": "crm:quote_detail",
    "contract": "crm:contract_detail",
    "order": "crm:order_detail",
}


def subject_url(req: ApprovalRequest) -> str | None:
    name = SUBJECT_URLS.get(req.content_type.model)
    if name:
        return reverse(name, args=[req.object_id])
    if req.content_type.model == "writeoff":
        from crm.models import WriteOff

        wo = WriteOff.objects.filter(pk=req.object_id).only("order_id").first()
        return reverse("crm:order_detail", args=[wo.order_id]) if wo else None
    return None


@page_open_to(policy.can_open_approvals)
def approval_inbox(request: AuthedRequest) -> HttpResponse:
    steps = services.approvals_waiting_for(user=request.user)
    mine = ApprovalRequest.objects.filter(requested_by=request.user).select_related("rule")
    ctx = page_context(request, mine, size=20)
    return render(
        request,
        "crm/approval_inbox.html",
        {
            "steps": list(steps[:100]),
            "to_confirm": list(opportunities_awaiting_confirmation(user=request.user)[:50]),
            "form": DecideForm(),
            **ctx,
        },
    )


def _request_or_404(request: AuthedRequest, pk: int) -> ApprovalRequest:
    try:
        return services.approval_get_visible(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@page_open_to(policy.can_open_approvals)
@require_http_methods(["GET", "POST"])
def approval_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    req = _request_or_404(request, pk)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.approval_decide(
                request=req,
                by=request.user,
                approve=d["decision"] == "approve",
                reason=d["reason"],
                rate=d["rate"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("审批意见已提交。"))
            return redirect("crm:approval_inbox")
    return render(
        request,
        "crm/approval_detail.html",
        {"req": req, "chain": services.approval_chain(req), "form": form, "subject_url": subject_url(req)},
    )


@page_open_to(policy.can_open_approvals)
@require_POST
def approval_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    """One-click approve/reject from the inbox (errors come back as a message)."""
    req = _request_or_404(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择同意或驳回。"))
        return redirect("crm:approval_inbox")
    d = form.cleaned_data
    try:
        services.approval_decide(
            request=req,
            by=request.user,
            approve=d["decision"] == "approve",
            reason=d["reason"],
            rate=d["rate"],
        )
    except DomainError as exc:
        messages.error(request, f"{req.title}：{exc.message}")
    else:
        messages.success(request, _("已处理：%(t)s") % {"t": req.title})
    return redirect("crm:approval_inbox")


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def concession_create(request: AuthedRequest) -> HttpResponse:
    customers = policy.customers_visible_to(request.user).only("id", "name").order_by("name")
    form = ConcessionForm(request.POST or None, customers=customers)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            c = services.concession_request(
                kind=d["kind"],
                customer=d["customer"],
                ratio=d["ratio"],
                reason=d["reason"],
                base_amount=d["base_amount"],
                by=request.user,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request, _("申请已提交。") if c.status == "pending" else _("在您的权限内，已直接生效。")
            )
            return redirect("crm:approval_inbox")
    return render(request, "crm/concession_form.html", {"form": form})
