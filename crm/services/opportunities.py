"""L2/L3: opportunities on the admin-editable funnel (`PipelineStage`). Registration time is kept as
collision evidence; won/lost must be closed within N PRC working days of the outcome and confirmed by
the owner's manager."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.deferred_text import words_in_context, words_json, words_stored_text
from common.errors import DomainError
from common.money import ZERO, round_fen
from common.timeutil import local_today
from common.workdays import add_workdays
from crm import policy
from crm.extensions import open_opportunity_collision
from crm.models import (
    Customer,
    Opportunity,
    OpportunityAttachment,
    OpportunityStage,
    OpportunityStageChange,
    PipelineStage,
    User,
)

DEFAULT_STAGES = [
    (OpportunityStage.LEAD, "信息开发", 10, 10, False, False),
    (OpportunityStage.QUALIFIED, "立项", 20, 25, False, False),
    (OpportunityStage.PROPOSAL, "方案/报价", 30, 50, False, False),
    (OpportunityStage.NEGOTIATION, "商务谈判", 40, 75, False, False),
    (OpportunityStage.WON, "签约", 50, 100, True, False),
    (OpportunityStage.LOST, "失败", 60, 0, False, True),
]


def stages_seed_defaults() -> int:
    """Seed the SPEC funnel once (post_migrate); admins edit, rename or add stages afterwards."""
    if PipelineStage.objects.exists():
        return 0
    PipelineStage.objects.bulk_create(
        PipelineStage(code=c, name=n, position=p, probability=pr, is_won=w, is_lost=lo)
        for c, n, p, pr, w, lo in DEFAULT_STAGES
    )
    return len(DEFAULT_STAGES)


def _stage(code: str) -> PipelineStage:
    stage = PipelineStage.objects.filter(code=code, active=True).first()
    if stage is None:
        raise DomainError(_("未知的商机阶段。"), code="invalid_stage", field="stage")
    return stage


def _amount(value: Any) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("金额不是有效的数字。"), field="amount") from exc
    if not d.is_finite() or d < 0 or d != round_fen(d):
        raise DomainError(_("金额须为不小于0、精确到分的数字。"), field="amount")
    return d


@transaction.atomic
def opportunity_create(
    *,
    by: User,
    customer: Customer,
    name: str,
    amount: Any = ZERO,
    expected_sign_date: dt.date | None = None,
    competitors: str = "",
    stage: str = OpportunityStage.LEAD,
) -> Opportunity:
    """L3: registered the moment it is entered (registered_at is the collision evidence)."""
    if not policy.customer_scope(by).filter(pk=customer.pk).exists():
        raise DomainError(_("客户不在系统中或不是您负责的客户。"), code="unknown_customer", field="customer")
    if not (name or "").strip():
        raise DomainError(_("请填写商机名称。"), code="required", field="name")
    st = _stage(stage)
    if st.is_closed:
        raise DomainError(_("新商机不能直接处于关闭阶段。"), field="stage")
    now = timezone.now()
    opp = Opportunity.objects.create(
        customer=customer,
        owner=by,
        name=name.strip()[:200],
        stage=st.code,
        amount=_amount(amount),
        expected_sign_date=expected_sign_date,
        competitors=(competitors or "")[:200],
        registered_at=now,
    )
    # Issue 15: read in the reader's language; "Registered" in a history, not the button's "Register".
    registered = words_in_context("history", "报备")  # msgctxt "history" in the .po
    OpportunityStageChange.objects.create(
        opportunity=opp,
        from_stage="",
        to_stage=st.code,
        changed_by=by,
        changed_at=now,
        comment=words_stored_text(registered),
        comment_words=words_json(registered),
    )
    _registration_collision(opp=opp, customer=customer, by=by)
    return opp


def _registration_collision(*, opp: Opportunity, customer: Customer, by: User) -> None:
    """P3 at registration. The visibility check above means a rep can only register on their own (or
    shared, as account executive) customers, and a manager on their team's: supervision, not a
    collision. Anyone else who can see the customer — today the president's assistant, who sees every
    customer awaiting review (C5) — registering an opportunity on a customer someone else owns opens
    (or joins) a case, with the opportunity's registration time as evidence. The opportunity stands."""
    owner_id = customer.owner_id
    if owner_id is None or by.pk in (owner_id, customer.account_executive_id) or by.sees_everything:
        return
    if owner_id in policy.team_member_ids(by):
        return
    open_opportunity_collision(opp=opp, customer=customer, claimant=by, source="opportunity", by=by)


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User, **data: Any) -> Opportunity:
    """Edit amount, expected signing date, competitors or name of an open opportunity (owner or
    their manager). Registration time and stage never change here."""
    if opportunity.owner_id != by.pk and opportunity.owner_id not in policy.team_member_ids(by):
        raise DomainError(_("只有商机负责人或其上级可以修改。"), code="not_allowed", status=403)
    if "name" in data and not (data["name"] or "").strip():
        raise DomainError(_("请填写商机名称。"), code="required", field="name")
    if opportunity.closed_at:
        raise DomainError(_("已关闭的商机不能修改。"), code="closed", status=409)
    for key in ("name", "competitors", "expected_sign_date"):
        if key in data:
            setattr(opportunity, key, data[key])
    if "amount" in data:
        opportunity.amount = _amount(data["amount"])
    opportunity.save(update_fields=["name", "competitors", "expected_sign_date", "amount", "updated_at"])
    return opportunity


@transaction.atomic
def opportunity_transition(
    *,
    opportunity: Opportunity,
    to: str,
    by: User,
    outcome_on: dt.date | None = None,
    reason: str = "",
    today: dt.date | None = None,
) -> Opportunity:
    """Move along the funnel. Closing as won/lost records the outcome day and must happen within the
    policy's working days of it (L2); the manager then confirms."""
    from crm.services.receivables import pipeline_policy

    opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if opp.owner_id != by.pk and opp.owner_id not in policy.team_member_ids(by):
        raise DomainError(_("只有商机负责人或其上级可以推进商机。"), code="not_allowed", status=403)
    if opp.closed_at:
        raise DomainError(_("商机已关闭。"), code="closed", status=409)
    target = _stage(to)
    if target.code == opp.stage:
        raise DomainError(_("商机已处于该阶段。"), code="same_stage", field="stage")
    today = today or local_today()
    now = timezone.now()
    fields = ["stage", "updated_at"]
    if target.is_closed:
        outcome_on = outcome_on or today
        if outcome_on > today:
            raise DomainError(_("结果日期不能晚于今天。"), field="outcome_on")
        days = pipeline_policy(on=today).close_within_workdays
        deadline = add_workdays(outcome_on, days)
        late = today > deadline
        if late and not (reason or "").strip():
            # L2: late is recorded truthfully, never by moving the outcome date: the rep explains why and
            # the manager confirms it as a late close.
            raise DomainError(
                _(
                    "赢单/输单须在结果产生后%(d)d个工作日内（%(deadline)s 前）关闭，已超期："
                    "请如实填写结果日期并说明逾期原因，关闭后由上级确认为逾期关闭。"
                )
                % {"d": days, "deadline": deadline},
                code="close_too_late",
                field="reason",
            )
        if target.is_lost and not (reason or "").strip():
            raise DomainError(_("输单请填写原因。"), code="reason_required", field="reason")
        opp.outcome_on = outcome_on
        opp.close_reason = (reason or "")[:300]
        opp.closed_at = now
        opp.closed_late = late
        fields += ["outcome_on", "close_reason", "closed_at", "closed_late"]
    frm = opp.stage
    opp.stage = target.code
    opp.save(update_fields=fields)
    OpportunityStageChange.objects.create(
        opportunity=opp,
        from_stage=frm,
        to_stage=target.code,
        changed_by=by,
        changed_at=now,
        comment=reason[:300],
    )
    return opp


@transaction.atomic
def opportunity_confirm_close(*, opportunity: Opportunity, by: User, reason: str = "") -> Opportunity:
    """L2: the owner's manager confirms a won/lost close (never the owner); a late close is confirmed as
    late, with the manager's reason."""
    opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if not opp.closed_at:
        raise DomainError(_("商机尚未关闭。"), code="not_closed", status=409)
    if opp.close_confirmed_at:
        raise DomainError(_("已确认过。"), code="already_confirmed", status=409)
    if not policy.is_owners_manager(by, opp.owner_id):
        raise DomainError(_("须由负责人的上级确认。"), code="not_allowed", status=403)
    reason = (reason or "").strip()
    if opp.closed_late and not reason:
        raise DomainError(
            _("该商机逾期关闭，确认时请填写逾期原因。"), code="late_reason_required", field="reason"
        )
    opp.close_confirmed_by = by
    opp.close_confirmed_at = timezone.now()
    opp.late_confirm_reason = reason[:300] if opp.closed_late else ""
    opp.save(update_fields=["close_confirmed_by", "close_confirmed_at", "late_confirm_reason", "updated_at"])
    return opp


def opportunity_attach(*, opportunity: Opportunity, by: User, file: Any) -> OpportunityAttachment:
    """Issue 17: only allowed types, judged by content; stored under a random name, the user's file
    name kept for the download."""
    from common.stored_files import check_upload

    if file is None:
        raise DomainError(_("请选择文件。"), field="file")
    if getattr(file, "size", 0) > 20 * 1024 * 1024:
        raise DomainError(_("附件不能超过20MB。"), field="file")
    check_upload(file)
    original = os.path.basename(str(getattr(file, "name", "") or ""))[:200]
    return OpportunityAttachment.objects.create(
        opportunity=opportunity, file=file, original_name=original, uploaded_by=by
    )
