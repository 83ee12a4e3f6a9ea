"""Q2 / issue 15: the authority matrix page — who approves which discount, rebate or amount — listed in
words (ranges as percentages and yuan, approval chains by role name) and edited in a form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import local_today
from crm import policy
from crm.forms_authority import AuthorityRuleForm, ChainFormSet, chain_initial
from crm.models import ApprovalKind, AuthorityRule
from crm.services import authority as authority_services


@page_open_to(policy.can_manage_authority_matrix)
def authority_matrix(request: AuthedRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ApprovalKind.values:
        kind = ""
    show_ended = request.GET.get("ended") == "1"
    qs = AuthorityRule.objects.order_by("kind", "priority", "id")
    if kind:
        qs = qs.filter(kind=kind)
    today = local_today()
    rows: list[dict[str, Any]] = []
    for rule in qs:
        ended = rule.effective_to is not None and rule.effective_to < today
        if ended and not show_ended:
            continue
        rows.append(
            {
                "rule": rule,
                "ratio": authority_services.ratio_words(rule),
                "amount": authority_services.amount_words(rule),
                "chain": authority_services.chain_words(rule.chain),
                "ended": ended,
                "upcoming": rule.effective_from > today,
            }
        )
    return render(
        request,
        "crm/authority_matrix.html",
        {"rows": rows, "kinds": ApprovalKind.choices, "kind": kind, "show_ended": show_ended},
    )


@page_open_to(policy.can_manage_authority_matrix)
@require_http_methods(["GET", "POST"])
def authority_rule_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    rule = AuthorityRule.objects.filter(pk=pk).first() if pk else None
    if pk and rule is None:
        raise Http404
    initial = AuthorityRuleForm.initial_for(rule) if rule else {"effective_from": local_today()}
    data = request.POST if request.method == "POST" else None
    form = AuthorityRuleForm(data, initial=initial)
    chain = ChainFormSet(data, initial=chain_initial(rule), prefix="chain")
    chain_error = ""
    if request.method == "POST" and form.is_valid() and chain.is_valid():
        steps = [f.cleaned_data.get("roles") or [] for f in chain.forms]
        try:
            saved = authority_services.authority_rule_save(
                by=request.user, rule=rule, chain=steps, **form.rule_values()
            )
        except DomainError as exc:
            if exc.field == "chain":
                chain_error = str(exc.message)
            else:
                add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已保存权限矩阵规则“%(name)s”，之后提交的申请按新规则审批。") % {"name": saved.name},
            )
            return redirect("crm:authority_matrix")
    title = _("编辑审批规则") if rule else _("新建审批规则")
    return render(
        request,
        "crm/authority_rule_form.html",
        {"form": form, "chain": chain, "chain_error": chain_error, "title": title, "rule": rule},
    )
