"""Issue 15: commission plans in a form for those the commissions policy lets manage them — the plan
versions list, and the editor (components as sections, bands as rows, a live preview on a sample
month). Saving goes through the plan services (K12 notice, frozen versions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from commissions import policy
from commissions.calculator.describe import describe_plan
from commissions.forms_plan_components import KINDS
from commissions.forms_plans import PlanEditor
from commissions.models import CommissionPlan, PlanApproval
from commissions.services.plan_editing import BAND_TYPES, plan_preview, plan_version_save
from commissions.words import plan_state_label, plan_words
from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import local_today
from crm.views.paging import page_context

PAGE_SIZE = 50
SAMPLE_DEFAULT = Decimal("200000")
SAMPLE_MAX = Decimal("1000000000000")


@page_open_to(policy.can_manage_plans)
def plan_list(request: AuthedRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:100]
    state = request.GET.get("state", "")
    qs = CommissionPlan.objects.all()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    today = local_today()
    if state == "draft":
        qs = qs.filter(published_at__isnull=True)
    elif state in (PlanApproval.PENDING, PlanApproval.REJECTED):
        qs = qs.filter(published_at__isnull=True, approval_status=state)
    elif state == "announced":
        qs = qs.filter(published_at__isnull=False, effective_from__gt=today)
    elif state == "in_force":
        qs = qs.filter(published_at__isnull=False, effective_from__lte=today).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=today)
        )
    page = page_context(request, qs, size=PAGE_SIZE)
    return render(
        request,
        "commissions/plan_list.html",
        {
            "rows": [(p, _state(p, today)) for p in page["rows"]],
            "q": q,
            "state": state,
            "states": [
                ("draft", _("草稿")),
                (PlanApproval.PENDING.value, _("待审批")),
                (PlanApproval.REJECTED.value, _("已驳回")),
                ("announced", _("已公布待生效")),
                ("in_force", _("生效中")),
            ],
            "after": page["after"],
            "next_cursor": page["next_cursor"],
            "params": page["params"],
        },
    )


def _state(plan: CommissionPlan, today: Any) -> str:
    return plan_state_label(plan, today)


def _sample(raw: Any) -> tuple[Decimal, str]:
    try:
        value = Decimal(str(raw).replace(",", "").strip()) if raw not in (None, "") else SAMPLE_DEFAULT
    except InvalidOperation:
        return SAMPLE_DEFAULT, _("请输入金额，例如 200000。")
    if not value.is_finite() or value < 0 or value > SAMPLE_MAX:
        return SAMPLE_DEFAULT, _("请输入 0 到 1,000,000,000,000 之间的金额。")
    return value.quantize(Decimal("0.01")), ""


@page_open_to(policy.can_manage_plans)
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = CommissionPlan.objects.filter(pk=pk).first()
    if plan is None:
        raise Http404
    data = request.POST if request.method == "POST" else None
    editor = PlanEditor(
        plan.definition,
        data,
        initial={"name": plan.name, "effective_from": _next_version_date(plan), "effective_to": None},
    )
    sample, sample_error = _sample(request.POST.get("sample_sales") if data else request.GET.get("sample"))
    previewing = data is not None and "preview" in request.POST
    preview = None
    if data is None:
        preview = plan_preview(definition=plan.definition, sales=sample, **editor.sample.facts())
    elif editor.is_valid():
        definition = editor.built()
        if previewing:
            preview = plan_preview(definition=definition, sales=sample, **editor.sample.facts())
        else:
            h = editor.header.cleaned_data
            try:
                saved = plan_version_save(
                    by=request.user,
                    base=plan,
                    definition=definition,
                    effective_from=h["effective_from"],
                    effective_to=h["effective_to"],
                    publish=h["publish"],
                    override_reason=h["override_reason"],
                )
            except DomainError as exc:
                add_domain_error(editor.header, exc)
            else:
                messages.success(
                    request,
                    _("已保存方案“%(name)s”自 %(date)s 起生效的版本%(published)s。")
                    % {
                        "name": saved.name,
                        "date": saved.effective_from,
                        "published": _("，并已公布")
                        if saved.published_at
                        else _("，已提交审批（财务中心→销售总监→总裁），审批通过后公布")
                        if saved.approval_status == PlanApproval.PENDING
                        else _("（草稿，尚未公布）"),
                    },
                )
                return redirect("commissions:plan_edit", pk=saved.pk)
    elif previewing:
        preview_errors = [
            *[e for s in editor.sections for e in s.table_errors],
            _("请先修正表单中标出的错误，再试算。"),
        ]
        preview = None
        return _render(request, plan, editor, sample, sample_error, None, preview_errors)
    return _render(request, plan, editor, sample, sample_error, preview, [])


def _next_version_date(plan: CommissionPlan) -> Any:
    """A draft is edited in place; a published version is changed by a new one, at the earliest date the
    K12 notice allows."""
    if plan.published_at is None:
        return plan.effective_from
    from commissions.selectors import policy_on

    notice = policy_on(local_today()).plan_notice_days
    earliest = timezone.localdate() + dt.timedelta(days=notice)
    return max(earliest, plan.effective_from + dt.timedelta(days=1))


def _render(
    request: AuthedRequest,
    plan: CommissionPlan,
    editor: PlanEditor,
    sample: Decimal,
    sample_error: str,
    preview: Any,
    preview_errors: list[str],
) -> HttpResponse:
    others = [
        text
        for comp, text in zip(
            plan.definition.get("components", []), _component_words(plan.definition), strict=False
        )
        if comp.get("type") not in BAND_TYPES and comp.get("type") not in KINDS
    ]
    context = {
        "plan": plan,
        "approval_state": _state(plan, local_today()),
        "approval_link": _approval_link(plan),
        "editor": editor,
        "others": others,
        "rules": plan_words({**plan.definition, "components": []}),
        "sample": sample,
        "sample_error": sample_error,
        "preview": preview,
        "preview_errors": preview_errors or (list(preview.errors) if preview and preview.errors else []),
    }
    if request.headers.get("HX-Request"):
        return render(request, "commissions/_plan_preview.html", context)
    return render(request, "commissions/plan_edit.html", context)


def _approval_link(plan: CommissionPlan) -> str:
    """The plan's latest approval request page (its chain, who decided, why), when it has one."""
    from django.urls import reverse

    from crm.services.approvals import latest_request_for

    request = latest_request_for(plan) if plan.approval_status else None
    return reverse("crm:approval_detail", args=[request.pk]) if request else ""


def _component_words(definition: dict[str, Any]) -> list[str]:
    return [describe_plan({"components": [comp]})[0] for comp in definition.get("components", [])]
