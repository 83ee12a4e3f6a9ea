"""Q2 pages: the approver inbox "待我审批" with one-click approve/reject, a request's chain, and the
customer rebate / make-good request form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError, NotFound
from common.forms import add_domain_error
from crm import approvals_centre as centre
from crm import policy
from crm.extensions import ApprovalTab
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
    if req.content_type.model == "keyaccountclasschange":
        from crm.models import KeyAccountClassChange

        change = KeyAccountClassChange.objects.filter(pk=req.object_id).only("customer_id").first()
        return reverse("crm:customer_detail", args=[change.customer_id]) if change else None
    return None


CARDS_PER_TAB = 50


def _tab_for(request: AuthedRequest, key: str) -> ApprovalTab | None:
    return next((t for t in centre.tabs_for(request.user) if t.key == key), None)


def _no_such_tab(request: AuthedRequest) -> HttpResponse:
    messages.error(request, _("您不处理这类审批，或这类事项不能在此处理。"))
    return redirect("crm:approval_inbox")


@page_open_to(policy.can_open_approvals)
def approval_inbox(request: AuthedRequest) -> HttpResponse:
    """Issue 15: the approvals centre — one tab per kind of decision the user may act on, each card with
    what is needed to decide, approve/reject inline, bulk approve where the rules allow; below it the
    requests I submitted."""
    tabs = centre.tabs_for(request.user)
    counts = {t.key: t.count(request.user) for t in tabs}
    wanted = request.GET.get("tab", "")
    active = next((t for t in tabs if t.key == wanted), None)
    if active is None:  # the first tab with something waiting, else the first
        active = next((t for t in tabs if counts[t.key]), tabs[0] if tabs else None)
    cards = active.cards(request.user, CARDS_PER_TAB) if active else []
    mine = ApprovalRequest.objects.filter(requested_by=request.user).select_related("rule")
    ctx = page_context(request, mine, size=20)
    return render(
        request,
        "crm/approval_centre.html",
        {
            "tabs": [(t, counts[t.key]) for t in tabs],
            "active": active,
            # (a template would call `active.decide` instead of testing it)
            "decides_inline": active is not None and active.decide is not None,
            "cards": cards,
            "bulk_cards": [c for c in cards if c.inline and not c.needs_rate]
            if active and active.bulk
            else [],
            "to_confirm": list(opportunities_awaiting_confirmation(user=request.user)[:50]),
            **ctx,
        },
    )


def _decide_response(
    request: AuthedRequest, tab: ApprovalTab, pk: int, *, ok: bool, text: str
) -> HttpResponse:
    """htmx: the card becomes what happened (or keeps its place and shows why not); without JavaScript,
    a message and back to the tab."""
    if request.headers.get("HX-Request"):
        context: dict[str, object] = {"tab": tab, "pk": pk, "ok": ok, "text": text}
        if ok:  # the tab counts and the menu badge follow in the same response (hx-swap-oob)
            tabs = centre.tabs_for(request.user)
            context["tabs"] = [(t, t.count(request.user)) for t in tabs]
            context["active"] = tab
            context["badge_item"] = {
                "url_name": "crm:approval_inbox",
                "badge": centre.waiting_total(request.user),
            }
        response = render(request, "crm/_approval_card_result.html", context)
        if not ok:
            response["HX-Retarget"] = f"#approval-msg-{tab.key}-{pk}"
            response["HX-Reswap"] = "innerHTML"
        return response
    (messages.success if ok else messages.error)(request, text)
    return redirect(f"{reverse('crm:approval_inbox')}?tab={tab.key}")


@page_open_to(policy.can_open_approvals)
@require_POST
def approval_centre_decide(request: AuthedRequest, tab: str, pk: int) -> HttpResponse:
    """Approve or reject one card inline: the tab's decider calls the kind's own service."""
    the_tab = _tab_for(request, tab)
    if the_tab is None or the_tab.decide is None:
        return _no_such_tab(request)
    form = DecideForm(request.POST)
    if not form.is_valid():
        if "decision" in form.errors:
            why = _("请选择同意或驳回。")
        elif "rate" in form.errors:
            why = _("提成比例须为数字，如0.02。")
        else:
            why = _("意见最多500字。")
        return _decide_response(request, the_tab, pk, ok=False, text=why)
    d = form.cleaned_data
    try:
        text = the_tab.decide(
            user=request.user, pk=pk, approve=d["decision"] == "approve", reason=d["reason"], rate=d["rate"]
        )
    except DomainError as exc:
        return _decide_response(request, the_tab, pk, ok=False, text=str(exc.message))
    return _decide_response(request, the_tab, pk, ok=True, text=text)


@page_open_to(policy.can_open_approvals)
@require_POST
def approval_centre_bulk(request: AuthedRequest, tab: str) -> HttpResponse:
    """Bulk approve, only on tabs whose rules allow it; each item goes through the same decider, and
    each refusal is reported by name."""
    the_tab = _tab_for(request, tab)
    if the_tab is None or the_tab.decide is None or not the_tab.bulk:
        return _no_such_tab(request)
    ids = sorted({int(x) for x in request.POST.getlist("ids") if x.isdigit()})
    if not ids:
        messages.error(request, _("请先勾选要同意的事项。"))
        return redirect(f"{reverse('crm:approval_inbox')}?tab={the_tab.key}")
    done: list[str] = []
    refused: list[str] = []
    for pk in ids:
        try:
            done.append(the_tab.decide(user=request.user, pk=pk, approve=True, reason=""))
        except DomainError as exc:
            refused.append(str(exc.message))
    messages.success(
        request, ngettext("已批量同意 %(n)d 项。", "已批量同意 %(n)d 项。", len(done)) % {"n": len(done)}
    )
    for text in done:
        messages.info(request, text)
    for text in refused:
        messages.error(request, _("未处理：%(why)s") % {"why": text})
    return redirect(f"{reverse('crm:approval_inbox')}?tab={the_tab.key}")


def _request_or_404(request: AuthedRequest, pk: int) -> ApprovalRequest:
    try:
        return services.approval_get_visible(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


def _decide(request: AuthedRequest, req: ApprovalRequest, d: dict[str, Any]) -> ApprovalRequest:
    """The request's page and the inbox's one-click buttons: one decision form, one Q2 service call."""
    return services.approval_decide(
        request=req, by=request.user, approve=d["decision"] == "approve", reason=d["reason"], rate=d["rate"]
    )


@page_open_to(policy.can_open_approvals)
@require_http_methods(["GET", "POST"])
def approval_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    req = _request_or_404(request, pk)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            req = _decide(request, req, d)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, services.approval_outcome_text(req))
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
        req = _decide(request, req, d)
    except DomainError as exc:
        messages.error(request, f"{req.heading}：{exc.message}")
    else:
        messages.success(request, services.approval_outcome_text(req))
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
            messages.success(request, services.approval_submitted_text(c) or _("申请已提交。"))
            req = services.latest_request_for(c)
            return redirect("crm:approval_detail", pk=req.pk) if req else redirect("crm:approval_inbox")
    return render(request, "crm/concession_form.html", {"form": form})
