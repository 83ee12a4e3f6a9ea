"""L1 pages: lead list, manual entry, CSV/Excel import with its per-row report, convert."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.listtools import clean_saved_query
from crm import policy
from crm.lists import LEAD_LIST
from crm.models import Lead, User
from crm.pipeline_forms import LeadAssignForm, LeadConvertForm, LeadForm, LeadImportForm
from crm.services import customer_bulk as bulk_services
from crm.services import leads as services
from crm.views.imports import start_import
from crm.views.list_context import list_tools_context
from crm.views.list_rows import lead_rows
from crm.views.paging import PAGE_SIZE


def _lead_or_404(request: AuthedRequest, pk: int) -> Lead:
    lead = policy.leads_visible_to(request.user).filter(pk=pk).first()
    if lead is None:
        raise Http404
    return lead


@page_open_to(policy.can_open_pipeline)
def lead_list(request: AuthedRequest) -> HttpResponse:
    # Issue 16: the list tools (sort, assignee / team / dates, total, saved filters, columns, export).
    found = lead_rows(request)
    tools = list_tools_context(request, found, size=PAGE_SIZE)
    # a manager hands the ticked leads to one member of the team (each through lead_assign)
    assignees = list(policy.lead_assignees(request.user))
    return render(request, "crm/lead_list.html", {**tools, **found.context, "assignees": assignees})


@page_open_to(policy.can_open_pipeline)
@require_POST
def lead_bulk_assign(request: AuthedRequest) -> HttpResponse:
    back = reverse("crm:lead_list") + "?" + clean_saved_query(LEAD_LIST, request.POST.get("back", ""))
    ids = [int(raw) for raw in request.POST.getlist("ids") if raw.isdigit()]
    raw_to = request.POST.get("to_user") or ""
    try:
        result = bulk_services.leads_bulk_assign(
            lead_ids=ids, to_user_id=int(raw_to) if raw_to.isdigit() else None, by=request.user
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect(back)
    if result.done:
        n = len(result.done)
        messages.success(
            request,
            ngettext("已将 %(n)d 条线索分配给%(user)s。", "已将 %(n)d 条线索分配给%(user)s。", n)
            % {"n": n, "user": result.done[0].assigned_to},
        )
    for name, reason in result.refused:
        messages.error(request, _("%(lead)s：%(reason)s") % {"lead": name, "reason": reason})
    return redirect(back)


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def lead_create(request: AuthedRequest) -> HttpResponse:
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if lead.duplicate_of_id:
                # issue 17: the matched customer is named only to whoever may see it
                if lead.duplicate_of and policy.can_view_customer(request.user, lead.duplicate_of):
                    messages.warning(
                        request, _("注意：该线索与已有客户“%(c)s”疑似重复。") % {"c": lead.duplicate_of}
                    )
                else:
                    messages.warning(request, _("注意：该线索疑似与已有客户重复。"))
            messages.success(request, _("线索已保存，分配给：%(u)s") % {"u": lead.assigned_to or _("待分配")})
            return redirect("crm:lead_detail", pk=lead.pk)
    return render(request, "crm/lead_form.html", {"form": form})


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def lead_import(request: AuthedRequest) -> HttpResponse:
    """Issue 17: the upload becomes a background job (crm.services.imports); its page shows the progress
    and then the row-by-row report — 25,000 rows no longer run inside the request."""
    form = LeadImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        response = start_import(request, form, "lead")
        if response is not None:
            return response
    return render(request, "crm/lead_import.html", {"form": form})


@page_open_to(policy.can_open_pipeline)
@require_http_methods(["GET", "POST"])
def lead_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    form = LeadConvertForm(request.POST or None, initial={"contact_position": lead.contact_position})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invalid":
                services.lead_mark_invalid(lead=lead, by=request.user)
                messages.success(request, _("线索已标记为无效。"))
                return redirect("crm:lead_detail", pk=lead.pk)
            if form.is_valid():
                customer = services.lead_convert(
                    lead=lead, by=request.user, contact_position=form.cleaned_data["contact_position"]
                )
                if policy.customer_visible(request.user, customer.pk) is not None:
                    messages.success(request, _("已转为客户「%(c)s」。") % {"c": customer.name})
                    return redirect("crm:customer_detail", pk=customer.pk)
                # Issue 15: rotation gave the lead to someone outside my view — say who holds the
                # customer now instead of sending me to a page I may not open (no more than the lead
                # page already shows).
                messages.success(
                    request,
                    _(
                        "已转为客户「%(c)s」，由 %(owner)s 负责（线索已分配给其跟进）。"
                        "如需参与跟进，请联系您的经理。"
                    )
                    % {"c": customer.name, "owner": customer.owner},
                )
                return redirect("crm:lead_detail", pk=lead.pk)
        except DomainError as exc:
            add_domain_error(form, exc)
    assignable = policy.lead_assignees(request.user)
    assign_form = LeadAssignForm(users=assignable, initial={"to_user": lead.assigned_to_id})
    return render(
        request,
        "crm/lead_detail.html",
        {
            "lead": lead,
            "form": form,
            "assign_form": assign_form,
            "can_assign": assignable.exists(),
            # issue 17: the matched customer is named only to whoever may see it
            "duplicate_shown": lead.duplicate_of
            if lead.duplicate_of and policy.can_view_customer(request.user, lead.duplicate_of)
            else None,
            "customer_open": lead.customer_id is not None
            and policy.customer_visible(request.user, lead.customer_id) is not None,
            "goes_to_other": lead.assigned_to_id is not None and lead.assigned_to_id != request.user.pk,
        },
    )


@page_open_to(policy.can_open_pipeline)
@require_POST
def lead_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    lead = _lead_or_404(request, pk)
    form = LeadAssignForm(request.POST, users=User.objects.filter(is_active=True))
    if not form.is_valid():
        messages.error(request, _("请选择分配对象。"))
    else:
        try:
            services.lead_assign(
                lead=lead,
                to_user=form.cleaned_data["to_user"],
                by=request.user,
                allow_other_industry=form.cleaned_data["allow_other_industry"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("线索已分配。"))
    return redirect("crm:lead_detail", pk=lead.pk)
