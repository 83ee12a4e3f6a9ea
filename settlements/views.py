"""Settlement pages. Each view validates input, calls one service or selector, and renders."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from commissions.selectors import line_explanation
from commissions.words import line_component_label
from common.access import page_open_to
from common.audit import audit_record
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.stored_files import file_response
from common.timeutil import local_today, month_start
from crm.services.catalog import category_labels
from crm.views.paging import page_context
from settlements import policy
from settlements.export import export_job_expired, export_settlements
from settlements.forms import (
    BulkTransitionForm,
    DisputeForm,
    ExportForm,
    GenerateForm,
    PayoutForm,
    ResolveForm,
    SettlementFilterForm,
    TransitionForm,
)
from settlements.models import (
    Dispute,
    ExportJob,
    ExportStatus,
    OverdueFlag,
    Settlement,
    SettlementLine,
    SettlementStatus,
    TaxMethod,
)
from settlements.policy import month_calendar
from settlements.selectors import (
    open_disputes_to_answer,
    settlement_filter,
    statement_lines,
)
from settlements.services.disputes import dispute_create, dispute_resolve, may_answer_dispute
from settlements.services.generation import product_category, settlement_generate, settlement_line_defer
from settlements.services.payouts import payout_due, payout_record, payout_record_bulk
from settlements.services.tax import settlement_tax_enter
from settlements.services.tickets import ticket_sales_of
from settlements.services.workflow import (
    available_actions,
    inbox_for,
    is_payee,
    settlement_transition,
    settlement_transition_bulk,
)

PAGE_SIZE = 50


def _visible_or_404(request: AuthedRequest, pk: int) -> Settlement:
    s = policy.settlement_visible(request.user, pk)
    if s is None:
        raise Http404
    return s


def _previous_month() -> dt.date:
    return month_start(month_start(local_today()) - dt.timedelta(days=1))


@page_open_to(policy.can_open_settlements)
def settlement_list(request: AuthedRequest) -> HttpResponse:
    form = SettlementFilterForm(request.GET or None)
    qs = policy.settlements_visible_to(request.user)
    if form.is_valid():
        d = form.cleaned_data
        qs = settlement_filter(qs, month=d["month"], status=d["status"], q=d["q"])
    page = page_context(request, qs, size=PAGE_SIZE)
    return render(
        request,
        "settlements/settlement_list.html",
        {
            "form": form,
            "settlements": page["rows"],
            "next_cursor": page["next_cursor"],
            "after": page["after"],
            "params": page["params"],
            "may_pay": policy.can_pay(request.user),
        },
    )


@page_open_to(policy.can_open_settlement_dashboard)
def dashboard(request: AuthedRequest) -> HttpResponse:
    """S1: this cycle's due days, where the month's settlements stand, and my overdue flags."""
    month = _previous_month()
    cal = month_calendar(month)
    visible = policy.settlements_visible_to(request.user)
    counts = {
        row["status"]: row["n"]
        for row in visible.filter(month=month).values("status").order_by().annotate(n=Count("id"))
    }
    by_status = [
        (value, label, counts.get(value, 0), cal.due_for(value)) for value, label in SettlementStatus.choices
    ]
    flags = (
        OverdueFlag.objects.filter(user=request.user, read_at__isnull=True)
        .select_related("settlement")
        .order_by("-created_at")[:20]
    )
    today = local_today()
    return render(
        request,
        "settlements/dashboard.html",
        {
            "month": month,
            "cal": cal,
            "today": today,
            "by_status": by_status,
            "flags": flags,
            "inbox_count": len(inbox_for(user=request.user)),
            "may_generate": policy.can_generate(request.user),
            "generate_form": GenerateForm(initial={"month": f"{month:%Y-%m}"}),
            "export_form": ExportForm(initial={"month": f"{month:%Y-%m}"}),
            "may_export": policy.can_export(request.user),
        },
    )


@page_open_to(policy.can_open_settlements)
def settlement_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    return _render_detail(request, s)


def _render_detail(request: AuthedRequest, s: Settlement, **forms) -> HttpResponse:  # type: ignore[no-untyped-def]
    user = request.user
    lines = list(statement_lines(settlement=s))
    disputes = list(s.disputes.select_related("raised_by", "answered_by", "adjustment_line").order_by("id"))
    by_line: dict[int, list[Dispute]] = {}
    for d in disputes:
        by_line.setdefault(d.line_id, []).append(d)
    labels = category_labels()
    for line in lines:
        line.dispute_list = by_line.get(line.pk, [])  # type: ignore[attr-defined]
        category = product_category(line.category)  # a reward or clawback is named by its kind's badge
        line.category_label = labels.get(category, category)  # type: ignore[attr-defined]
        # Issue 15: the ledger line's component by its label and its explanation in words (no codes).
        cl = line.commission_line
        line.component_text = line_component_label(cl)  # type: ignore[attr-defined]
        line.explanation_rows = line_explanation(line=cl, calculation=None)  # type: ignore[attr-defined]
    cal = month_calendar(s.month)
    payee = is_payee(s, user)
    ctx = {
        "s": s,
        "lines": lines,
        "steps": s.steps.select_related("actor").order_by("acted_at", "id"),
        "actions": available_actions(settlement=s, user=user),
        "cal": cal,
        "is_payee": payee,
        "may_dispute": payee and s.status != SettlementStatus.PAID and local_today() <= cal.dispute_deadline,
        "answerable": {d.pk for d in disputes if d.status == "open" and may_answer_dispute(d, user)},
        "may_pay": policy.can_pay(user, s),
        "may_forfeit": policy.can_offer_forfeit(user, s),
        "due": payout_due(s),
        "may_enter_tax": policy.can_pay(user) and not s.is_locked and s.tax_method == TaxMethod.PAYROLL,
        "tax_error": forms.get("tax_error"),
        "may_defer": policy.can_defer_line(user, s),
        "payout_form": forms.get("payout_form") or PayoutForm(initial={"paid_on": local_today()}),
        "dispute_form": forms.get("dispute_form"),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "transition_error": forms.get("transition_error"),
        "account": s.account_number if policy.can_see_unmasked_bank_account(user) else s.masked_account,
        "tickets": ticket_sales_of(s),  # K13 attendee rows; ID numbers whole for finance only
        "show_id": policy.can_see_unmasked_bank_account(user),
    }
    return render(request, "settlements/settlement_detail.html", ctx, status=400 if forms else 200)


@page_open_to(policy.can_open_settlements)
@require_POST
def settlement_transition_view(request: AuthedRequest, pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, s, transition_error=_("请求无效，请刷新后重试。"))
    d = form.cleaned_data
    try:
        settlement_transition(
            settlement=s,
            action=d["action"],
            by=request.user,
            comment=d["comment"],
            expected_status=d["expected_status"],
        )
    except DomainError as exc:
        return _render_detail(request, s, transition_error=str(exc.message))
    messages.success(request, _("已处理。"))
    return redirect("settlements:detail", pk=s.pk)


@page_open_to(policy.can_pay)
@require_POST
def payout_view(request: AuthedRequest, pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    form = PayoutForm(request.POST)
    if form.is_valid():
        try:
            payout_record(
                settlement=s,
                by=request.user,
                paid_on=form.cleaned_data["paid_on"],
                bank_reference=form.cleaned_data["bank_reference"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已登记发放。"))
            return redirect("settlements:detail", pk=s.pk)
    return _render_detail(request, s, payout_form=form)


@page_open_to(policy.can_open_settlements)
@require_POST
def tax_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """001 第8条: finance enters the payroll's income tax for an employee's settlement."""
    s = _visible_or_404(request, pk)
    try:
        settlement_tax_enter(settlement=s, amount=request.POST.get("tax_withheld", ""), by=request.user)
    except DomainError as exc:
        return _render_detail(request, s, tax_error=exc.message)
    messages.success(request, _("已保存个税。"))
    return redirect("settlements:detail", pk=s.pk)


@page_open_to(policy.can_open_settlements)
@require_POST
def dispute_create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    form = DisputeForm(request.POST)
    if form.is_valid():
        line = (
            SettlementLine.objects.filter(settlement=s, pk=form.cleaned_data["line"])
            .select_related("settlement")
            .first()
        )
        if line is None:
            raise Http404
        try:
            dispute_create(line=line, by=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("异议已提交，等待上级答复。"))
            return redirect("settlements:detail", pk=s.pk)
    return _render_detail(request, s, dispute_form=form)


@page_open_to(policy.can_open_settlements)
@require_POST
def line_defer_view(request: AuthedRequest, pk: int, line_pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    line = s.lines.filter(pk=line_pk).first()
    if line is None:
        raise Http404
    try:
        settlement_line_defer(line=line, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _render_detail(request, s, transition_error=str(exc.message))
    messages.success(request, _("该明细已推迟到下月结算。"))
    return redirect("settlements:detail", pk=s.pk)


@page_open_to(policy.can_open_settlements)
@require_POST
def dispute_resolve_view(request: AuthedRequest, pk: int, dispute_pk: int) -> HttpResponse:
    s = _visible_or_404(request, pk)
    dispute = s.disputes.filter(pk=dispute_pk).first()
    if dispute is None:
        raise Http404
    form = ResolveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            dispute_resolve(
                dispute=dispute, by=request.user, outcome=d["outcome"], answer=d["answer"], amount=d["amount"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("已答复异议。"))
            return redirect("settlements:detail", pk=s.pk)
    return _render_detail(request, s, resolve_form=form)


@page_open_to(policy.can_open_settlement_inbox)
@require_http_methods(["GET", "POST"])
def inbox(request: AuthedRequest) -> HttpResponse:
    rows = inbox_for(user=request.user)
    form = BulkTransitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
        allowed = {s.pk for s in rows}
        if not ids:
            form.add_error(None, _("请选择结算单。"))
        else:
            result = settlement_transition_bulk(
                settlement_ids=[i for i in ids if i in allowed],
                action=form.cleaned_data["action"],
                by=request.user,
                comment=form.cleaned_data["comment"],
            )
            refused = len(result.refused) + len([i for i in ids if i not in allowed])
            messages.success(
                request, _("已处理 %(n)d 张，未处理 %(m)d 张。") % {"n": len(result.done), "m": refused}
            )
            return redirect("settlements:inbox")
    disputes = list(open_disputes_to_answer(user=request.user)[:50])
    disputes = [d for d in disputes if may_answer_dispute(d, request.user)]
    return render(request, "settlements/inbox.html", {"rows": rows, "form": form, "disputes": disputes})


@page_open_to(policy.can_generate)
@require_POST
def generate_view(request: AuthedRequest) -> HttpResponse:
    form = GenerateForm(request.POST)
    if form.is_valid():
        try:
            result = settlement_generate(month=form.cleaned_data["month"], by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("%(m)s：新建 %(c)d 张结算单，新增 %(l)d 条明细。")
                % {"m": f"{result.month:%Y-%m}", "c": result.created, "l": result.lines_added},
            )
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("settlements:dashboard")


@page_open_to(policy.can_pay)
@require_POST
def bulk_payout(request: AuthedRequest) -> HttpResponse:
    form = PayoutForm(request.POST)
    ids = [int(x) for x in request.POST.getlist("ids") if x.isdigit()]
    if form.is_valid() and ids:
        visible = set(
            policy.settlements_visible_to(request.user).filter(pk__in=ids).values_list("id", flat=True)
        )
        result = payout_record_bulk(
            settlement_ids=visible,
            by=request.user,
            paid_on=form.cleaned_data["paid_on"],
            bank_reference=form.cleaned_data["bank_reference"],
        )
        messages.success(
            request,
            _("已登记发放 %(n)d 张，未处理 %(m)d 张。") % {"n": len(result.done), "m": len(result.refused)},
        )
    else:
        messages.error(request, _("请选择结算单并填写发放日期和银行流水号。"))
    return redirect(reverse("settlements:list") + "?status=approved")


@page_open_to(policy.can_open_settlements)
def settlement_export_one(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """S6: a single settlement's sheet on its own."""
    s = _visible_or_404(request, pk)
    buf = io.BytesIO()
    export_settlements(
        Settlement.objects.filter(pk=s.pk),
        buf,
        month=s.month,
        unmasked=policy.can_see_unmasked_bank_account(request.user),
    )
    buf.seek(0)
    filename = f"settlement-{s.month:%Y-%m}-{s.pk}.xlsx"
    audit_record(
        action="export", actor=request.user, obj=s, detail={"what": filename, "rows": 1}, request=request
    )
    return FileResponse(buf, as_attachment=True, filename=filename)


@page_open_to(policy.can_export)
@require_POST
def export_start(request: AuthedRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("settlements:dashboard")
    job = ExportJob.objects.create(
        month=form.cleaned_data["month"],
        requested_by=request.user,
        unmasked=policy.can_see_unmasked_bank_account(request.user),
    )
    from settlements.tasks import run_export_job

    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    return redirect("settlements:export_job", pk=job.pk)


def _job_or_404(request: AuthedRequest, pk: int) -> ExportJob:
    job = ExportJob.objects.filter(pk=pk, requested_by=request.user).first()
    if job is None:
        raise Http404
    return job


@page_open_to(policy.can_export)
def export_job(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "progress": job.progress,
                "download": reverse("settlements:export_download", args=[job.pk])
                if job.status == ExportStatus.DONE
                else None,
                "error": job.error,
            }
        )
    return render(request, "settlements/export_job.html", {"job": job})


@page_open_to(policy.can_export)
def export_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    job = _job_or_404(request, pk)
    if export_job_expired(job):
        messages.error(request, _("导出文件已过期并已删除，请重新导出。"))
        return redirect("settlements:export_job", pk=job.pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404
    filename = f"settlements-{job.month:%Y-%m}.xlsx"
    audit_record(
        action="export",
        actor=request.user,
        obj=job,
        detail={
            "what": filename,
            "rows": Settlement.objects.filter(month=job.month).count(),
            "full_account_numbers": job.unmasked,
        },
        request=request,
    )
    return file_response(job.file, filename=filename)
