"""Disputes (S7): a payee disputes a settlement line before the deadline; the manager answers, and an
adjustment goes into the payee's next open month (K10: a closed month never changes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.selectors import next_open_period, period_is_closed
from common.deferred_text import words, words_json, words_stored_text
from common.errors import Conflict, DomainError, NotFound
from common.money import ZERO, round_fen
from common.notifications import notify
from common.timeutil import local_today, next_month
from crm.models import Role, User
from settlements.models import (
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    Settlement,
    SettlementLine,
    SettlementStatus,
)
from settlements.policy import month_calendar
from settlements.selectors import team_ids
from settlements.services.generation import next_open_month, settlement_generate
from settlements.services.workflow import SALES_REVIEWERS, is_payee

S = SettlementStatus


def dispute_deadline(settlement: Settlement) -> dt.date:
    return month_calendar(settlement.month).dispute_deadline


@transaction.atomic
def dispute_create(*, line: SettlementLine, by: User, reason: str, today: dt.date | None = None) -> Dispute:
    settlement = line.settlement
    reason = (reason or "").strip()
    if not is_payee(settlement, by):
        raise NotFound(_("结算明细不存在。"))
    if not reason:
        raise DomainError(_("请填写异议理由。"), field="reason")
    if settlement.status == S.PAID:
        raise DomainError(_("该结算已发放，不能再提出异议。"), code="paid")
    today = today or local_today()
    deadline = dispute_deadline(settlement)
    if today > deadline:
        raise DomainError(
            _("异议须在发放日前的工作日截止日（%(d)s）之前提出。") % {"d": deadline.isoformat()},
            code="dispute_closed",
        )
    if line.disputes.filter(status=DisputeStatus.OPEN).exists():
        raise Conflict(_("这条明细已有待答复的异议。"))
    return Dispute.objects.create(line=line, settlement=settlement, raised_by=by, reason=reason[:1000])


def may_answer_dispute(dispute: Dispute, user: User) -> bool:
    s = dispute.settlement
    if is_payee(s, user):
        return False
    if user.is_superuser or user.has_role(Role.DIRECTOR):
        return True
    if s.payee_user_id is not None:
        payee = s.payee_user
        if payee is not None and payee.manager_id == user.pk:
            return True
        return user.has_role(*SALES_REVIEWERS) and s.payee_user_id in team_ids(user)
    partner = s.payee_partner
    return bool(partner and partner.region and partner.region.manager_id == user.pk)


@transaction.atomic
def dispute_resolve(
    *,
    dispute: Dispute | int,
    by: User,
    outcome: str,
    answer: str,
    amount: Decimal | None = None,
) -> Dispute:
    """S7: the manager answers. `adjusted` adds an adjustment line (amount = the correction, +/−) in the
    payee's next open month, pointing at the disputed line (K10: a closed month never changes)."""
    pk = dispute.pk if isinstance(dispute, Dispute) else dispute
    d = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("settlement", "settlement__payee_user", "settlement__payee_partner", "line")
        .filter(pk=pk)
        .first()
    )
    if d is None:
        raise NotFound(_("异议不存在。"))
    if not may_answer_dispute(d, by):
        raise DomainError(_("只有收款人的上级可以答复异议。"), code="not_allowed", status=403)
    if d.status != DisputeStatus.OPEN:
        raise Conflict(_("该异议已处理。"))
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(_("请填写答复。"), field="answer")
    if outcome not in DisputeOutcome.values:
        raise DomainError(_("请选择处理结果。"), field="outcome")
    s = d.settlement
    if outcome == DisputeOutcome.ADJUSTED:
        if amount is None or round_fen(amount) == ZERO:
            raise DomainError(_("调整时请填写非零的调整金额。"), field="amount")
        amount = round_fen(amount)
        # An open draft is reopened by regeneration; otherwise the next open month takes it.
        start = s.month if s.status == S.DRAFT else next_month(s.month)
        period = next_open_month(payee_user=s.payee_user, payee_partner=s.payee_partner, start=start)
        while period_is_closed(period):  # K10: a closed commission month never gets a line either
            period = next_open_month(
                payee_user=s.payee_user, payee_partner=s.payee_partner, start=next_open_period(after=period)
            )
        original = d.line.commission_line
        # Issue 15: what the line says is stored in Chinese and read in the reader's language (the
        # manager's answer as typed).
        reason = words(gettext_noop("异议调整：%(a)s"), a=answer)
        note = words(
            gettext_noop("%(month)s 结算异议经 %(who)s 核实调整 ¥%(amount)s，计入 %(period)s"),
            month=f"{s.month:%Y-%m}",
            who=str(by),
            amount=f"{amount:,.2f}",
            period=f"{period:%Y-%m}",
        )
        d.adjustment_line = CommissionLine.objects.create(
            payee_user=s.payee_user,
            payee_partner=s.payee_partner,
            period=period,
            kind=LineKind.ADJUSTMENT,
            status=LineStatus.PAYABLE,
            order_id=original.order_id,
            credit_share_id=original.credit_share_id,  # P4: a line about an order pays one of its shares
            plan_id=original.plan_id,
            component=original.component,
            category=d.line.category,
            base=ZERO,
            amount=amount,
            corrects=original,
            reason=words_stored_text(reason)[:300],
            explanation={
                "dispute": d.pk,
                "text": answer[:200],
                "corrects_line": d.line_id,
                "note": words_stored_text(note),
                "note_words": words_json(note),
                "reason_words": words_json(reason),
            },
            source_key=f"settlement-dispute:{d.pk}",
        )
        d.adjustment_amount = amount
        draft = Settlement.objects.filter(
            month=period, status=S.DRAFT, payee_user=s.payee_user, payee_partner=s.payee_partner
        ).first()
        if draft is not None:
            settlement_generate(month=period, payee_user=s.payee_user, payee_partner=s.payee_partner)
    d.outcome = outcome
    d.answer = answer[:1000]
    d.answered_by = by
    d.answered_at = timezone.now()
    d.status = DisputeStatus.RESOLVED
    d.save()
    _notify_payee(d, s)
    return d


def _notify_payee(d: Dispute, s: Settlement) -> None:
    """S7: the payee learns the answer (in-app, and by e-mail when configured)."""
    payee = s.payee_user if s.payee_user_id else (s.payee_partner.user if s.payee_partner else None)
    if payee is None:
        return
    if d.outcome == DisputeOutcome.ADJUSTED and d.adjustment_line is not None:
        text = words(
            gettext_noop("您对 %(month)s 结算的异议已处理：调整 ¥%(amount)s，计入 %(period)s 结算。"),
            month=f"{s.month:%Y-%m}",
            amount=f"{d.adjustment_amount:,.2f}",
            period=f"{d.adjustment_line.period:%Y-%m}",
        )
    else:
        text = words(gettext_noop("您对 %(month)s 结算的异议已处理：维持原结算。"), month=f"{s.month:%Y-%m}")
    notify(users=[payee], text=text, link=reverse("settlements:detail", args=[s.pk]))
