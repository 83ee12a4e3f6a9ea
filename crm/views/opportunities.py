"""L2/L3 pages: kanban/list by stage, registration, stage moves, manager confirmation, attachments."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.fen import ZERO
from common.forms import add_domain_error
from common.stored_files import file_response
from common.timeutil import local_today
from crm import policy
from crm.models import Opportunity, OpportunityAttachment, PipelineStage
from crm.pipeline_forms import ActivityForm, AttachmentForm, OpportunityForm, StageForm
from crm.pipeline_selectors import kanban_columns
from crm.services import opportunities as services
from crm.views.list_context import list_tools_context
from crm.views.list_rows import opportunity_filter, opportunity_rows
from crm.views.paging import PAGE_SIZE

# The newest cards of each column; the column's count and amounts cover all of it.
KANBAN_PER_COLUMN = 50


def _opp_or_404(request: AuthedRequest, pk: int) -> Opportunity:
    opp = (
        policy.opportunities_visible_to(request.user)
        .filter(pk=pk)
        .select_related("customer", "owner")
        .first()
    )
    if opp is None:
        raise Http404
    return opp


@page_open_to(policy.can_open_pipeline)
def opportunity_list(request: AuthedRequest) -> HttpResponse:
    stages = list(PipelineStage.objects.filter(active=True))
    if request.GET.get("view") == "list":
        # Issue 16: the list tools (sort, owner / team / dates, total, saved filters, columns, export).
        found = opportunity_rows(request)
        tools = list_tools_context(request, found, size=PAGE_SIZE)
        names = {s.code: s.label for s in stages}
        for o in tools["rows"]:
            o.stage_name = names.get(o.stage, o.stage)
        return render(
            request,
            "crm/opportunity_list.html",
            {**tools, **found.context, "stages": stages},
        )
    qs, q, stage = opportunity_filter(request)
    shown = [s for s in stages if s.code == stage] if stage else stages
    columns = kanban_columns(qs=qs, stages=shown, per_column=KANBAN_PER_COLUMN, today=local_today())
    return render(
        request,
        "crm/opportunity_kanban.html",
        {
            "columns": columns,
            "stages": stages,
            "q": q,
            "stage": stage,
            "count": sum(c.count for c in columns),
            "amount": sum((c.amount for c in columns), ZERO),
            "weighted": sum((c.weighted for c in columns if not c.stage.is_closed), ZERO),
        },
    )


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def opportunity_create(request: AuthedRequest) -> HttpResponse:
    customers = policy.customers_visible_to(request.user).only("id", "name").order_by("name")
    form = OpportunityForm(
        request.POST or None, customers=customers, initial={"customer": request.GET.get("customer")}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            opp = services.opportunity_create(
                by=request.user,
                customer=d["customer"],
                name=d["name"],
                amount=d["amount"] or 0,
                expected_sign_date=d["expected_sign_date"],
                competitors=d["competitors"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("商机已报备。"))
            return redirect("crm:opportunity_detail", pk=opp.pk)
    return render(request, "crm/opportunity_form.html", {"form": form})


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def opportunity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    opp = _opp_or_404(request, pk)
    every_stage = list(PipelineStage.objects.all())
    stages = [s for s in every_stage if s.active]
    stage_names = {s.code: s.label for s in every_stage}
    form = StageForm(request.POST or None, stages=stages, initial={"stage": opp.stage})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.opportunity_transition(
                opportunity=opp,
                to=d["stage"],
                by=request.user,
                outcome_on=d["outcome_on"],
                reason=d["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("商机阶段已更新。"))
            return redirect("crm:opportunity_detail", pk=opp.pk)
    can_confirm = policy.can_confirm_close(request.user, opp)
    return render(
        request,
        "crm/opportunity_detail.html",
        {
            "opp": opp,
            "form": form,
            "stage_name": stage_names.get(opp.stage, opp.stage),
            # Issue 15: the stage history in words ("信息开发 → 立项"), never the stage codes.
            "history": [
                (h, stage_names.get(h.from_stage, h.from_stage), stage_names.get(h.to_stage, h.to_stage))
                for h in opp.stage_changes.select_related("changed_by")
            ],
            "activities": opp.followups.select_related("author")[:50],  # type: ignore[attr-defined]
            "attachments": opp.attachments.all(),  # type: ignore[attr-defined]
            "attach_form": AttachmentForm(),
            "activity_form": ActivityForm(),
            "can_confirm": can_confirm,
            "quotes": opp.quotes.all(),  # type: ignore[attr-defined]
        },
    )


@page_open_to(policy.can_open_pipeline)
@require_POST
def opportunity_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    opp = _opp_or_404(request, pk)
    try:
        services.opportunity_confirm_close(
            opportunity=opp, by=request.user, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已确认关闭。"))
    return redirect("crm:opportunity_detail", pk=opp.pk)


@page_open_to(policy.can_open_pipeline)
@require_POST
def opportunity_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    opp = _opp_or_404(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.opportunity_attach(opportunity=opp, by=request.user, file=form.cleaned_data["file"])
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("附件已上传。"))
    else:
        messages.error(request, _("请选择文件。"))
    return redirect("crm:opportunity_detail", pk=opp.pk)


@page_open_to(policy.can_open_pipeline)
def opportunity_attachment_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Issue 17: an attachment is served only to someone who may see its opportunity (no /media/)."""
    attachment = OpportunityAttachment.objects.filter(
        pk=pk, opportunity__in=policy.opportunities_visible_to(request.user)
    ).first()
    if attachment is None or not attachment.file:
        raise Http404
    return file_response(attachment.file, filename=attachment.download_name)


@page_open_to(policy.can_open_pipeline)
@require_POST
def opportunity_activity(request: AuthedRequest, pk: int) -> HttpResponse:
    """Log a follow-up against the opportunity (it also counts as contact with the customer, C7/C9)."""
    from crm.services.customers import followup_create

    opp = _opp_or_404(request, pk)
    form = ActivityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写沟通方式和主题。"))
    else:
        try:
            followup_create(customer=opp.customer, by=request.user, opportunity=opp, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("跟进活动已记录。"))
    return redirect("crm:opportunity_detail", pk=opp.pk)
