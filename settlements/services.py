"""Settlement services (SPEC §6): generate (S1/S3), the approval chain (S2), disputes (S7), payout (S8),
overdue flags (S1). Views, the API, the admin and Celery tasks call these and nothing else."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.services.periods import commission_period_close
from common.errors import Conflict, DomainError, NotFound
from common.money import ZERO, round_fen
from common.notifications import notify
from common.timeutil import local_today, month_start, next_month
from crm.models import Role, User
from partners.models import Partner
from settlements.models import (
    LOCKED_STATUSES,
    Dispute,
    DisputeOutcome,
    DisputeStatus,
    LineDeferral,
    OverdueFlag,
    PayeeBankAccount,
    Payout,
    Settlement,
    SettlementLine,
    SettlementStatus,
    SettlementStep,
)
from settlements.policy import month_calendar
from settlements.selectors import settlement_list_visible_to, team_ids

S = SettlementStatus

# --- S2: the one transitions table -----------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str
    roles: tuple[str, ...]
    label: str
    approval: bool = False  # one of the three signed approval steps (nobody signs two of them)
    payee_may_act: bool = False  # reconciliation: the payee confirms their own statement


SALES_REVIEWERS = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
PRESIDENTS_OFFICE = (Role.PRESIDENT, Role.PRESIDENTS_ASSISTANT, Role.VP)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("submit", S.DRAFT, S.SUBMITTED, (Role.FINANCE, Role.ADMIN), gettext_noop("提交核对")),
    Transition(
        "confirm", S.SUBMITTED, S.SALES_REVIEW, (Role.FINANCE,), gettext_noop("核对无误"), payee_may_act=True
    ),
    Transition(
        "approve",
        S.SALES_REVIEW,
        S.FINANCE_CONFIRMATION,
        SALES_REVIEWERS,
        gettext_noop("销售部审核"),
        approval=True,
    ),
    Transition(
        "approve",
        S.FINANCE_CONFIRMATION,
        S.PRESIDENT_APPROVAL,
        (Role.FINANCE,),
        gettext_noop("财务中心确认"),
        approval=True,
    ),
    Transition(
        "approve",
        S.PRESIDENT_APPROVAL,
        S.APPROVED,
        PRESIDENTS_OFFICE,
        gettext_noop("总裁办审批"),
        approval=True,
    ),
    Transition("pay", S.APPROVED, S.PAID, (Role.FINANCE,), gettext_noop("确认发放")),
    # Any reviewer may send it back to draft with a reason.
    Transition("reject", S.SUBMITTED, S.DRAFT, (Role.FINANCE,), gettext_noop("退回"), payee_may_act=True),
    Transition("reject", S.SALES_REVIEW, S.DRAFT, SALES_REVIEWERS, gettext_noop("退回")),
    Transition("reject", S.FINANCE_CONFIRMATION, S.DRAFT, (Role.FINANCE,), gettext_noop("退回")),
    Transition("reject", S.PRESIDENT_APPROVAL, S.DRAFT, PRESIDENTS_OFFICE, gettext_noop("退回")),
)
_BY_KEY = {(t.source, t.action): t for t in TRANSITIONS}


def transition_for(status: str, action: str) -> Transition | None:
    return _BY_KEY.get((status, action))


def is_payee(settlement: Settlement, user: User) -> bool:
    if settlement.payee_user_id is not None:
        return settlement.payee_user_id == user.pk
    partner = settlement.payee_partner
    return partner is not None and partner.user_id == user.pk


def _in_sales_scope(settlement: Settlement, user: User) -> bool:
    """The sales review is done by a manager over the payee: their team, or the partner's region."""
    if user.has_role(Role.DIRECTOR):
        return True
    if settlement.payee_user_id is not None:
        return settlement.payee_user_id in team_ids(user)
    partner = settlement.payee_partner
    return bool(partner and partner.region_id and partner.region and partner.region.manager_id == user.pk)


def _approvers_so_far(settlement: Settlement) -> set[int]:
    """Who signed an approval step since the settlement last went back to draft."""
    steps = list(settlement.steps.order_by("acted_at", "id").values("actor_id", "action", "to_status"))
    signed: set[int] = set()
    for step in steps:
        if step["to_status"] == S.DRAFT:
            signed.clear()
        elif step["action"] == "approve":
            signed.add(step["actor_id"])
    return signed


def transition_refusal(settlement: Settlement, user: User, t: Transition) -> str | None:
    """Why `user` may not make transition `t` now (None: allowed). Used by the service and the inboxes."""
    payee = is_payee(settlement, user)
    if payee and not t.payee_may_act:
        return _("不能处理自己的结算单。")
    if not (user.has_role(*t.roles) or (payee and t.payee_may_act)):
        return _("您没有权限执行“%(step)s”。") % {"step": _(t.label)}
    if t.source == S.SALES_REVIEW and not _in_sales_scope(settlement, user):
        return _("只能审核本团队的结算单。")
    if t.approval and user.pk in _approvers_so_far(settlement):
        return _("同一人不能审批同一结算单的两个步骤。")
    return None


def available_actions(*, settlement: Settlement, user: User) -> list[Transition]:
    return [
        t
        for t in TRANSITIONS
        if t.source == settlement.status
        and t.action != "pay"
        and transition_refusal(settlement, user, t) is None
    ]


def settlement_transition(
    *,
    settlement: Settlement | int,
    action: str,
    by: User,
    comment: str = "",
    expected_status: str | None = None,
) -> Settlement:
    """S2: the only way a settlement changes status. Locks the row; a repeated click by the same
    person on a step that has just been made is a no-op, anything else out of turn is refused.
    (The `pay` step is made by `payout_record`, which records the bank transfer with it.)"""
    return _transition(
        settlement=settlement, action=action, by=by, comment=comment, expected_status=expected_status
    )


@transaction.atomic
def _transition(
    *,
    settlement: Settlement | int,
    action: str,
    by: User,
    comment: str = "",
    expected_status: str | None = None,
    paying: bool = False,
) -> Settlement:
    pk = settlement.pk if isinstance(settlement, Settlement) else settlement
    locked = (
        Settlement.objects.select_for_update(of=("self",))
        .filter(pk=pk)
        .select_related("payee_user", "payee_partner", "payee_partner__region")
        .first()
    )
    if locked is None:
        raise NotFound(_("结算单不存在。"))
    comment = (comment or "").strip()
    source = expected_status or locked.status
    if locked.status != source:
        last = locked.steps.order_by("-acted_at", "-id").first()
        if last and last.actor_id == by.pk and last.action == action and last.from_status == source:
            return locked  # the same approval arriving twice (double click, retry)
        raise Conflict(
            _("结算单状态已变化（当前：%(s)s），请刷新后重试。") % {"s": locked.get_status_display()}
        )
    t = transition_for(source, action)
    if t is None or (action == "pay") != paying:
        if locked.is_locked:
            raise Conflict(_("结算单已审批锁定，不能再修改。"))
        raise DomainError(_("当前状态不能执行该操作。"), code="illegal_transition")
    refusal = transition_refusal(locked, by, t)
    if refusal:
        raise DomainError(refusal, code="not_allowed", status=403)
    if action == "reject" and not comment:
        raise DomainError(_("退回必须填写原因。"), field="comment", code="reason_required")

    now = timezone.now()
    updates: dict[str, object] = {"status": t.target, "updated_at": now}
    if t.target == S.SUBMITTED:
        updates["submitted_at"] = now
        updates["reject_reason"] = ""
    elif t.target == S.DRAFT:
        updates["reject_reason"] = comment[:500]
    elif t.target == S.APPROVED:
        updates["approved_at"] = now
        # Contract with the commission engine: close the months first (waits for a running ledger
        # run and blocks new ones), then the lines become settled and are never recomputed (K10, K12).
        periods = set(
            locked.lines.exclude(commission_line=None).values_list("commission_line__period", flat=True)
        )
        for period in sorted(periods | {locked.month}):
            commission_period_close(period=period)
        _mark_lines(locked, LineStatus.PAYABLE, LineStatus.SETTLED)
    elif t.target == S.PAID:
        updates["paid_at"] = now
        _mark_lines(locked, LineStatus.SETTLED, LineStatus.PAID)
    # Conditional update: only if nobody moved it meanwhile (belt and braces beside the row lock).
    changed = Settlement.objects.filter(pk=locked.pk, status=source).update(**updates)
    if changed != 1:
        raise Conflict(_("结算单状态已变化，请刷新后重试。"))
    SettlementStep.objects.create(
        settlement=locked,
        action=action,
        from_status=source,
        to_status=t.target,
        actor=by,
        acted_at=now,
        comment=comment[:500],
    )
    for name, value in updates.items():
        setattr(locked, name, value)
    return locked


def _mark_lines(settlement: Settlement, from_status: str, to_status: str) -> None:
    """K10 contract: the ledger lines follow the settlement (payable → settled → paid)."""
    ids = list(settlement.lines.values_list("commission_line_id", flat=True))
    moved = CommissionLine.objects.filter(pk__in=ids, status=from_status).update(
        status=to_status, updated_at=timezone.now()
    )
    if moved != len(ids):
        raise Conflict(_("结算明细与提成台账不一致（部分明细已变化），请退回并重新生成。"))


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def settlement_transition_bulk(
    *, settlement_ids: Iterable[int], action: str, by: User, comment: str = ""
) -> BulkResult:
    """An approver's inbox 'approve all': each settlement in its own transaction; refusals are reported."""
    result = BulkResult()
    for pk in sorted(set(settlement_ids)):
        try:
            settlement_transition(settlement=pk, action=action, by=by, comment=comment)
        except DomainError as exc:
            result.refused[pk] = str(exc.message)
        else:
            result.done.append(pk)
    return result


def inbox_for(*, user: User) -> list[Settlement]:
    """What waits for `user` (approvals and reconciliations), oldest month first."""
    statuses = {t.source for t in TRANSITIONS if t.action in ("submit", "confirm", "approve")}
    qs = (
        Settlement.objects.filter(status__in=statuses)
        .select_related("payee_user", "payee_partner", "payee_partner__region")
        .order_by("month", "id")
    )
    roles_ok = {t.source for t in TRANSITIONS if user.has_role(*t.roles) or t.payee_may_act}
    qs = qs.filter(status__in=roles_ok)
    if not user.has_role(Role.FINANCE, Role.ADMIN, *PRESIDENTS_OFFICE):
        qs = qs.filter(pk__in=settlement_list_visible_to(user=user).values("id"))
    rows = list(qs[:500])
    signed: dict[int, set[int]] = defaultdict(set)
    reset: dict[int, bool] = {}
    for step in (
        SettlementStep.objects.filter(settlement__in=[r.pk for r in rows])
        .order_by("acted_at", "id")
        .values("settlement_id", "actor_id", "action", "to_status")
    ):
        sid = step["settlement_id"]
        if step["to_status"] == S.DRAFT:
            signed[sid].clear()
        elif step["action"] == "approve":
            signed[sid].add(step["actor_id"])
        reset[sid] = True
    team = team_ids(user) if user.has_role(*SALES_REVIEWERS) else set()
    out = []
    for s in rows:
        action = "confirm" if s.status == S.SUBMITTED else "submit" if s.status == S.DRAFT else "approve"
        t = transition_for(s.status, action)
        if t is None:
            continue
        payee = is_payee(s, user)
        if payee and not t.payee_may_act:
            continue
        if not (user.has_role(*t.roles) or (payee and t.payee_may_act)):
            continue
        if t.source == S.SALES_REVIEW and not user.has_role(Role.DIRECTOR):
            if s.payee_user_id is not None and s.payee_user_id not in team:
                continue
            if s.payee_partner_id is not None and not (
                s.payee_partner and s.payee_partner.region and s.payee_partner.region.manager_id == user.pk
            ):
                continue
        if t.approval and user.pk in signed[s.pk]:
            continue
        out.append(s)
    return out


# --- S1/S3: generation --------------------------------------------------------------------------


@dataclass
class GenerateResult:
    month: dt.date
    created: int = 0
    updated: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    skipped_payees: int = 0  # payee's settlement for the month is already in review or locked


PayeeKey = tuple[str, int]  # ("user", id) | ("partner", id)


def _payee_key(line: CommissionLine) -> PayeeKey:
    if line.payee_user_id is not None:
        return ("user", line.payee_user_id)
    return ("partner", line.payee_partner_id)  # type: ignore[return-value]


def _settlement_key(s: Settlement) -> PayeeKey:
    if s.payee_user_id is not None:
        return ("user", s.payee_user_id)
    return ("partner", s.payee_partner_id)  # type: ignore[return-value]


KIND_CATEGORY: dict[str, str] = {
    LineKind.REWARD: "奖励",
    LineKind.CLAWBACK: "追回",
    LineKind.ADJUSTMENT: "调整",
}


def _dec(value: object, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default


def line_from_commission(cl: CommissionLine) -> SettlementLine:
    """The settlement line for a ledger line (K13: quantity × unit price = amount, rebate/commission)."""
    exp = cl.explanation if isinstance(cl.explanation, dict) else {}
    base = round_fen(cl.base or ZERO)
    quantity = _dec(exp.get("quantity"), Decimal("1") if base else ZERO)
    unit_price = round_fen(_dec(exp.get("unit_price"), base))
    signed = _dec(exp.get("signed_amount"), ZERO)
    if not signed:
        if cl.order_id and cl.credit_share_id and cl.order is not None and cl.credit_share is not None:
            signed = round_fen(cl.order.total * cl.credit_share.share)
        else:
            signed = base
    category = cl.category or KIND_CATEGORY.get(cl.kind, "")
    parts = [cl.order.number if cl.order_id and cl.order is not None else "", cl.component, cl.reason]
    text = exp.get("text") or exp.get("summary") or ""
    if text:
        parts.append(str(text))
    return SettlementLine(
        commission_line=cl,
        kind=cl.kind,
        category=category[:30],
        quantity=quantity,
        unit_price=unit_price,
        amount=base,
        signed_amount=round_fen(signed),
        rebate=round_fen(cl.amount),
        description=" ".join(p for p in parts if p)[:300],
    )


def _snapshot_payee(s: Settlement, *, user: User | None, partner: Partner | None) -> None:
    if user is not None:
        s.payee_name = str(user)[:80]
        s.payee_phone = user.phone
        dept = user.department
        s.payee_region = dept.region.name if dept and dept.region_id else ""
        s.payee_category = (
            str(Role.ACCOUNT_EXECUTIVE.label)
            if user.has_role(Role.ACCOUNT_EXECUTIVE)
            else str(Role.REP.label)
        )
        account = PayeeBankAccount.objects.filter(user=user).first()
        if account:
            s.bank_name, s.account_holder, s.account_number = (
                account.bank_name,
                account.account_holder,
                account.account_number,
            )
    elif partner is not None:
        s.payee_name = partner.name[:80]
        s.payee_phone = partner.phone
        s.payee_region = partner.region.name if partner.region_id and partner.region else ""
        s.payee_category = str(partner.get_kind_display())
        s.bank_name, s.account_holder, s.account_number = (
            partner.bank_name,
            partner.account_holder,
            partner.account_number,
        )


def settlement_recompute(settlement: Settlement) -> Settlement:
    """Stored totals = sums of the rounded lines; prior balance = what the last settlement carried."""
    if settlement.is_locked:
        raise Conflict(_("结算单已审批锁定，不能再修改。"))
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in settlement.lines.values("kind").annotate(
        r=Sum("rebate"), a=Sum("amount"), sg=Sum("signed_amount")
    ):
        sums[row["kind"]] += row["r"] or ZERO
        sums["_amount"] += row["a"] or ZERO
        sums["_signed"] += row["sg"] or ZERO
    negatives = settlement.lines.filter(rebate__lt=0).aggregate(s=Sum("rebate"))["s"] or ZERO
    settlement.signed_total = round_fen(sums["_signed"])
    settlement.sold_total = round_fen(sums["_amount"])
    settlement.commission_total = round_fen(sums[LineKind.EARNED] + sums[LineKind.CLAWBACK])
    settlement.rebate_total = round_fen(sums[LineKind.REBATE])
    settlement.reward_total = round_fen(sums[LineKind.REWARD])
    settlement.adjustment_total = round_fen(sums[LineKind.ADJUSTMENT])
    settlement.deduction_total = round_fen(negatives)
    settlement.line_total = round_fen(sum((v for k, v in sums.items() if not k.startswith("_")), ZERO))
    earlier = Settlement.objects.filter(month__lt=settlement.month).order_by("-month")
    if settlement.payee_user_id is not None:
        earlier = earlier.filter(payee_user_id=settlement.payee_user_id)
    else:
        earlier = earlier.filter(payee_partner_id=settlement.payee_partner_id)
    prev = earlier.values("current_balance", "payout_amount").first()
    settlement.prior_balance = round_fen(prev["current_balance"] - prev["payout_amount"]) if prev else ZERO
    settlement.current_balance = settlement.line_total + settlement.prior_balance
    settlement.payout_amount = max(settlement.current_balance, ZERO)
    settlement.save()
    return settlement


def _candidate_lines(month: dt.date) -> Q:
    return Q(status=LineStatus.PAYABLE, period__lte=month, settlement_line__isnull=True)


@transaction.atomic
def settlement_generate(
    *, month: dt.date, by: User | None = None, payee_user: User | None = None, payee_partner=None
) -> GenerateResult:
    """S1/S3: one draft per payee for `month` from payable ledger lines up to that month that are in no
    settlement yet (late and rolled-over items included). Running it again changes nothing unless the
    ledger changed; a payee whose settlement for the month is already in review or locked is left for
    the next open month (the lines stay unsettled and the next month's run takes them)."""
    month = month_start(month)
    result = GenerateResult(month=month)
    month_qs = Settlement.objects.select_for_update().filter(month=month)
    if payee_user is not None:
        month_qs = month_qs.filter(payee_user=payee_user)
    if payee_partner is not None:
        month_qs = month_qs.filter(payee_partner=payee_partner)
    existing = {_settlement_key(s): s for s in month_qs}
    # Drop lines that are no longer payable (e.g. forfeited, K11) from drafts — unless disputed.
    drafts = [s for s in existing.values() if s.status == S.DRAFT]
    stale = (
        SettlementLine.objects.filter(settlement__in=drafts)
        .exclude(commission_line__status=LineStatus.PAYABLE)
        .filter(disputes__isnull=True)
    )
    touched: set[int] = set(stale.values_list("settlement_id", flat=True))
    if touched:
        result.lines_removed = stale.delete()[0]

    deferred = LineDeferral.objects.filter(month=month).values("commission_line_id")
    lines_qs = (
        CommissionLine.objects.filter(_candidate_lines(month))
        .exclude(pk__in=deferred)
        .select_related("order", "credit_share")
    )
    if payee_user is not None:
        lines_qs = lines_qs.filter(payee_user=payee_user)
    if payee_partner is not None:
        lines_qs = lines_qs.filter(payee_partner=payee_partner)
    by_payee: dict[PayeeKey, list[CommissionLine]] = defaultdict(list)
    for cl in lines_qs.order_by("id").iterator(chunk_size=2000):
        by_payee[_payee_key(cl)].append(cl)

    corrected_ids = {cl.corrects_id for cls in by_payee.values() for cl in cls if cl.corrects_id}
    settled_for = dict(
        SettlementLine.objects.filter(commission_line_id__in=corrected_ids).values_list(
            "commission_line_id", "id"
        )
    )
    new_lines: list[SettlementLine] = []
    for key, cls in by_payee.items():
        s = existing.get(key)
        if s is not None and s.status != S.DRAFT:
            result.skipped_payees += 1
            continue
        if s is None:
            first = cls[0]
            s = Settlement(month=month, payee_user=first.payee_user, payee_partner=first.payee_partner)
            _snapshot_payee(s, user=first.payee_user, partner=first.payee_partner)
            s.generated_at = timezone.now()
            try:
                with transaction.atomic():
                    s.save()
            except IntegrityError:  # another run created it meanwhile: UNIQUE (payee, month)
                raise Conflict(_("该月结算正在生成，请稍后重试。"))
            existing[key] = s
            result.created += 1
        else:
            touched.add(s.pk)
        for cl in cls:
            line = line_from_commission(cl)
            line.settlement = s
            line.corrects_id = settled_for.get(cl.corrects_id) if cl.corrects_id else None
            new_lines.append(line)
    SettlementLine.objects.bulk_create(new_lines, batch_size=2000)
    result.lines_added = len(new_lines)
    with_new = {line.settlement.pk for line in new_lines}
    for s in existing.values():
        if s.status == S.DRAFT:  # also refreshes the prior balance carried from earlier months
            settlement_recompute(s)
    result.updated = len(touched - with_new) + len(with_new) - result.created
    return result


@transaction.atomic
def settlement_line_defer(*, line: SettlementLine | int, by: User, reason: str) -> Settlement:
    """S1 (000 §4.2.8): finance holds a line back from a draft (late for the payee's or staff's reasons);
    it stays payable and the next month's settlement takes it."""
    pk = line.pk if isinstance(line, SettlementLine) else line
    if not by.has_role(Role.FINANCE):
        raise DomainError(_("只有财务中心可以推迟结算明细。"), code="not_allowed", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写推迟原因。"), field="reason")
    found = SettlementLine.objects.select_related("settlement").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("结算明细不存在。"))
    s = Settlement.objects.select_for_update().get(pk=found.settlement_id)
    if s.status != S.DRAFT:
        raise DomainError(_("只能从草稿结算单中推迟明细。"), code="illegal_transition")
    if found.disputes.exists():
        raise DomainError(_("这条明细有异议记录，不能推迟。"), code="disputed")
    LineDeferral.objects.get_or_create(
        commission_line_id=found.commission_line_id,
        month=s.month,
        defaults={"reason": reason[:300], "deferred_by": by},
    )
    found.delete()
    return settlement_recompute(s)


def next_open_month(*, payee_user: User | None, payee_partner: Partner | None, start: dt.date) -> dt.date:
    """K10/S3: the first month from `start` on whose settlement for this payee is absent or still draft."""
    month = month_start(start)
    qs = Settlement.objects.exclude(status=S.DRAFT)
    qs = qs.filter(payee_user=payee_user) if payee_user else qs.filter(payee_partner=payee_partner)
    closed = set(qs.filter(month__gte=month).values_list("month", flat=True))
    while month in closed:
        month = next_month(month)
    return month


# --- S7: disputes --------------------------------------------------------------------------------


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
        original = d.line.commission_line
        d.adjustment_line = CommissionLine.objects.create(
            payee_user=s.payee_user,
            payee_partner=s.payee_partner,
            period=period,
            kind=LineKind.ADJUSTMENT,
            status=LineStatus.PAYABLE,
            order_id=original.order_id,
            plan_id=original.plan_id,
            component=original.component,
            category=d.line.category,
            base=ZERO,
            amount=amount,
            corrects=original,
            reason=str(_("异议调整：%(a)s") % {"a": answer})[:300],
            explanation={"dispute": d.pk, "text": answer[:200], "corrects_line": d.line_id},
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
    return d


# --- S8: payout -----------------------------------------------------------------------------------


@transaction.atomic
def payout_record(*, settlement: Settlement | int, by: User, paid_on: dt.date, bank_reference: str) -> Payout:
    pk = settlement.pk if isinstance(settlement, Settlement) else settlement
    if not by.has_role(Role.FINANCE):
        raise DomainError(_("只有财务中心可以登记发放。"), code="not_allowed", status=403)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        raise DomainError(_("请填写银行流水号。"), field="bank_reference")
    if paid_on is None:
        raise DomainError(_("请填写发放日期。"), field="paid_on")
    s = Settlement.objects.select_for_update().filter(pk=pk).first()
    if s is None:
        raise NotFound(_("结算单不存在。"))
    if s.status != S.APPROVED:
        raise DomainError(_("只有已审批的结算单可以登记发放。"), code="illegal_transition")
    s = _transition(
        settlement=s.pk, action="pay", by=by, comment=bank_reference, expected_status=S.APPROVED, paying=True
    )
    return Payout.objects.create(
        settlement=s,
        paid_on=paid_on,
        bank_reference=bank_reference[:80],
        amount=s.payout_amount,
        recorded_by=by,
    )


def payout_record_bulk(
    *, settlement_ids: Iterable[int], by: User, paid_on: dt.date, bank_reference: str
) -> BulkResult:
    result = BulkResult()
    for pk in sorted(set(settlement_ids)):
        try:
            payout_record(settlement=pk, by=by, paid_on=paid_on, bank_reference=bank_reference)
        except DomainError as exc:
            result.refused[pk] = str(exc.message)
        else:
            result.done.append(pk)
    return result


# --- S1: overdue steps ----------------------------------------------------------------------------


def _users_with(*roles: str) -> list[User]:
    return list(
        User.objects.filter(groups__name__in=roles, is_active=True).select_related("manager").distinct()
    )


def overdue_flag_run(*, today: dt.date | None = None) -> int:
    """S1 beat job: flag every overdue step to whoever must act and to their manager. Idempotent (one
    flag per user, settlement and step)."""
    today = today or local_today()
    finance = _users_with(Role.FINANCE)
    office = _users_with(*PRESIDENTS_OFFICE)
    flags: list[OverdueFlag] = []
    calendars: dict[dt.date, object] = {}
    qs = Settlement.objects.exclude(status=S.PAID).select_related(
        "payee_user__manager", "payee_partner__user", "payee_partner__region__manager"
    )
    for s in qs.filter(month__lt=month_start(today)).iterator(chunk_size=500):
        cal = calendars.setdefault(s.month, month_calendar(s.month))
        due = cal.due_for(s.status)  # type: ignore[attr-defined]
        if due is None or today <= due:
            continue
        actors: list[User] = []
        if s.status in (S.DRAFT, S.FINANCE_CONFIRMATION, S.APPROVED):
            actors = finance
        elif s.status == S.SUBMITTED:
            actors = [u for u in (s.payee_user, s.payee_partner and s.payee_partner.user) if u] or finance
        elif s.status == S.SALES_REVIEW:
            if s.payee_user is not None and s.payee_user.manager is not None:
                actors = [s.payee_user.manager]
            elif s.payee_partner is not None and s.payee_partner.region and s.payee_partner.region.manager:
                actors = [s.payee_partner.region.manager]
        elif s.status == S.PRESIDENT_APPROVAL:
            actors = office
        for user in actors:
            flags.append(OverdueFlag(user=user, settlement=s, status=s.status, due_on=due))
            if user.manager_id:
                flags.append(
                    OverdueFlag(
                        user_id=user.manager_id, settlement=s, status=s.status, due_on=due, as_manager=True
                    )
                )
    existing = set(
        OverdueFlag.objects.filter(settlement_id__in={f.settlement_id for f in flags}).values_list(
            "user_id", "settlement_id", "status"
        )
    )
    new: dict[tuple, OverdueFlag] = {}
    for f in flags:
        key = (f.user_id, f.settlement_id, f.status)
        if key not in existing:
            new.setdefault(key, f)
    OverdueFlag.objects.bulk_create(list(new.values()), ignore_conflicts=True, batch_size=1000)
    _notify_overdue(list(new.values()))
    return len(new)


def _notify_overdue(flags: list[OverdueFlag]) -> None:
    """Tell the person who must act (and, through their own flag, their manager) in the app and by e-mail."""
    for f in flags:
        text = _("结算单 %(s)s 的“%(step)s”步骤已逾期（截止 %(d)s）。") % {
            "s": f.settlement,
            "step": f.get_status_display(),
            "d": f.due_on.isoformat(),
        }
        notify(
            users=[f.user],
            text=text,
            link=f"/settlements/{f.settlement_id}/",
            batch=f"settlement-overdue:{f.settlement_id}:{f.status}",
        )


def locked_statuses() -> tuple[str, ...]:
    return tuple(str(s) for s in LOCKED_STATUSES)
