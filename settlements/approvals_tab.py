"""The settlements tab of the approvals centre (issue 15), registered through crm.extensions (crm never
imports settlements). It lists the inbox (`inbox_for`) and decides through the one S2 service
(`settlement_transition`): approving makes the step that is next (核对无误, 销售部审核, 财务中心确认,
总裁办审批), rejecting sends the sheet back to draft with the reason."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import DomainError
from common.fen import format_cny
from crm import policy as crm_policy
from crm.extensions import ApprovalCard, ApprovalTab, register_approval_tab
from crm.models import User
from settlements import policy
from settlements.models import Settlement, SettlementStatus, SettlementStep
from settlements.services.workflow import inbox_for, settlement_transition, transition_for


def _next_action(s: Settlement) -> str:
    """The forward step of a sheet in the inbox (the same choice the inbox makes)."""
    if s.status == SettlementStatus.DRAFT:
        return "submit"
    if s.status == SettlementStatus.SUBMITTED:
        return "confirm"
    return "approve"


def _step_text(step: SettlementStep) -> str:
    t = transition_for(step.from_status, step.action)
    when = date_format(localtime(step.acted_at), "Y-m-d H:i")
    text = f"{step.actor} {_(t.label) if t else step.action} {when}"
    return f"{text}{_('：')}{step.comment}" if step.comment else text


def _cards(user: User, limit: int) -> list[ApprovalCard]:
    rows = inbox_for(user=user)[:limit]
    prefetch_related_objects(
        rows,
        Prefetch("steps", queryset=SettlementStep.objects.select_related("actor").order_by("acted_at", "id")),
    )
    cards = []
    for s in rows:
        t = transition_for(s.status, _next_action(s))
        history = tuple(_step_text(step) for step in s.steps.all())
        cards.append(
            ApprovalCard(
                pk=s.pk,
                title=_("%(m)s 结算单 · %(p)s") % {"m": s.month.strftime("%Y-%m"), "p": s.payee_name},
                url=reverse("settlements:detail", args=[s.pk]),
                requester=s.payee_name,
                submitted_at=s.updated_at,
                facts=(
                    (_("状态"), s.get_status_display()),
                    (_("提成"), format_cny(s.commission_total)),
                    (_("返利"), format_cny(s.rebate_total)),
                    (_("应发金额"), format_cny(s.payout_amount)),
                ),
                history=history,
                approve_label=_(t.label) if t else _("同意"),
            )
        )
    return cards


def _decide(*, user: User, pk: int, approve: bool, reason: str, rate: Any = None) -> str:
    s = next((row for row in inbox_for(user=user) if row.pk == pk), None)
    if s is None:
        raise DomainError(_("这张结算单不在您的待办中，可能已被处理。"), code="not_waiting", status=409)
    action = _next_action(s) if approve else "reject"
    t = transition_for(s.status, action)
    s = settlement_transition(settlement=s, action=action, by=user, comment=reason, expected_status=s.status)
    step = _(t.label) if t else action
    return _("已%(step)s：%(title)s，当前状态：%(status)s。") % {
        "step": step,
        "title": str(s),
        "status": s.get_status_display(),
    }


def _visible(user: Any) -> bool:
    return crm_policy.is_internal(user) and policy.can_open_settlement_inbox(user)


def _count(user: Any) -> int:
    return policy.settlements_waiting_count(user) if _visible(user) else 0


def register_tab() -> None:
    register_approval_tab(
        ApprovalTab(
            key="settlements",
            label=gettext_lazy("结算"),
            icon="file-check",
            order=50,
            visible=_visible,
            count=_count,
            cards=_cards,
            decide=_decide,
            bulk=True,  # S2 allows an approver's "approve all" (settlement_transition_bulk); one by one
            list_url="settlements:inbox",
        )
    )
