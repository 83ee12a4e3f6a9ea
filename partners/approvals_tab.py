"""The collisions tab of the approvals centre (issue 15), registered through crm.extensions (crm never
imports partners). A collision is not a yes/no: the parties agree on a split or the regional manager
names a winner with a written reason (P3), so each card shows the evidence and the proposed outcome and
links to the case page, where the one collision service (`collision_transition`) decides."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from crm import policy as crm_policy
from crm.extensions import ApprovalCard, ApprovalTab, register_approval_tab
from crm.models import User
from partners import policy, selectors


def _cards(user: User, limit: int) -> list[ApprovalCard]:
    qs = selectors.collision_list_rows(policy.collision_inbox(user)).select_related(
        "proposed_winner__user", "proposed_winner__partner"
    )
    cards = []
    for case in qs.order_by("deadline", "id")[:limit]:
        parties = _("、").join(str(p) for p in case.parties.all())
        facts = [
            (_("客户"), case.customer.name),
            (_("状态"), case.get_status_display()),
            (_("当事人"), parties),
            (_("规则建议"), case.get_proposed_rule_display()),
        ]
        if case.proposed_winner_id:
            facts.append((_("建议归属"), str(case.proposed_winner)))
        facts.append((_("协商截止日"), date_format(case.deadline, "Y-m-d")))
        cards.append(
            ApprovalCard(
                pk=case.pk,
                title=_("撞单 #%(n)d · %(c)s") % {"n": case.pk, "c": case.customer.name},
                url=case.get_absolute_url(),
                requester=case.get_source_display(),
                submitted_at=case.opened_at,
                facts=tuple((k, v) for k, v in facts if v),
                inline=False,
            )
        )
    return cards


def _visible(user: Any) -> bool:
    return crm_policy.works_in_sales(user) and policy.can_open_collisions(user)


def _count(user: Any) -> int:
    return policy.collisions_waiting_count(user) if _visible(user) else 0


def register_tab() -> None:
    register_approval_tab(
        ApprovalTab(
            key="collisions",
            label=pgettext_lazy("menu", "撞单"),
            icon="git-merge",
            order=60,
            visible=_visible,
            count=_count,
            cards=_cards,
            decide=None,
            list_url="partners:collision_list",
        )
    )
