"""The settlement approval chain (S2): the one transitions table, who may make which step, the
transition itself (which closes the commission months and moves the ledger lines, K10), bulk approval
and the approver's inbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineStatus
from commissions.services.periods import commission_period_close
from common.errors import Conflict, DomainError, NotFound
from crm.models import Role, User
from settlements.models import LOCKED_STATUSES, Settlement, SettlementStatus, SettlementStep
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
    lines = settlement.lines.exclude(commission_line=None)
    if to_status == LineStatus.PAID:  # K11: lines forfeited after approval are not paid
        lines = lines.exclude(commission_line__status=LineStatus.FORFEITED)
    ids = list(lines.values_list("commission_line_id", flat=True))
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


def locked_statuses() -> tuple[str, ...]:
    return tuple(str(s) for s in LOCKED_STATUSES)
