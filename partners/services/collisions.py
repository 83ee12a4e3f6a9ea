"""P3 collisions (撞单): detection, the rule-based proposal, the workflow and its history.

Other code calls:
- `collision_open(customer=, claimant=, source=, evidence=)` wherever C2 matches a customer someone else
  owns (customer creation, lead entry/import/assignment, pool claim/assignment, opportunity
  registration): crm reaches it through its collision extension point (`crm.extensions`), registered
  in `PartnersConfig.ready()`;
- `collision_resolve_on_order(order=)` when an order is booked (rule 2: the closer wins), from
  `credit_shares_freeze`, the order-booked handler;
- `collision_escalate_overdue()` from the periodic task (rule 4).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words, words_json, words_stored_text
from common.errors import Conflict, DomainError
from common.timeutil import local_date, local_today
from common.workdays import add_workdays
from crm.models import Customer, FollowUp, Order, OwnershipReason, User
from crm.services.customers import record_ownership_change
from partners.models import (
    OPEN_COLLISION_STATUSES,
    CollisionAction,
    CollisionCase,
    CollisionEvent,
    CollisionParty,
    CollisionRule,
    CollisionSource,
    CollisionStatus,
    Partner,
    PartnerKind,
    PartyRole,
    Referral,
)
from partners.selectors import is_case_decider, party_for_user, policy_for

S = CollisionStatus
A = CollisionAction

# Who may take a step: a party to the case, the case's regional manager, or the system (no user).
PARTY, DECIDER, SYSTEM, PARTY_OR_SYSTEM = "party", "decider", "system", "party_or_system"

# The one table of allowed steps: (from status, action) -> (possible next statuses, who may act).
COLLISION_TRANSITIONS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    # P3.1: the proposed loser(s) accept "first registered wins"; resolved once all have agreed.
    (S.OPEN, A.ACCEPT): ((S.OPEN, S.RESOLVED), PARTY),
    # P3.3: cooperation with a credit split, each party confirming.
    (S.OPEN, A.PROPOSE_SPLIT): ((S.SPLIT_PROPOSED,), PARTY),
    (S.AWAITING_DEAL, A.PROPOSE_SPLIT): ((S.SPLIT_PROPOSED,), PARTY),
    (S.SPLIT_PROPOSED, A.PROPOSE_SPLIT): ((S.SPLIT_PROPOSED,), PARTY),
    (S.SPLIT_PROPOSED, A.CONFIRM_SPLIT): ((S.SPLIT_PROPOSED, S.RESOLVED), PARTY),
    (S.SPLIT_PROPOSED, A.REJECT_SPLIT): ((S.OPEN, S.AWAITING_DEAL), PARTY),
    # P3.2: times cannot tell the parties apart -> the one who books the order wins.
    (S.AWAITING_DEAL, A.CLOSE_ON_ORDER): ((S.RESOLVED,), SYSTEM),
    (S.SPLIT_PROPOSED, A.CLOSE_ON_ORDER): ((S.RESOLVED,), SYSTEM),
    # P3.4: not agreed within N working days (the task) or a party asks -> the regional manager.
    (S.OPEN, A.ESCALATE): ((S.ESCALATED,), PARTY_OR_SYSTEM),
    (S.SPLIT_PROPOSED, A.ESCALATE): ((S.ESCALATED,), PARTY_OR_SYSTEM),
    (S.AWAITING_DEAL, A.ESCALATE): ((S.ESCALATED,), PARTY),
    (S.ESCALATED, A.DECIDE): ((S.RESOLVED,), DECIDER),
}

# Statuses the periodic escalation looks at. AWAITING_DEAL is not escalated by the clock: rule 2
# already decides it (at booking); a party may still escalate it by hand.
AUTO_ESCALATE_FROM = (S.OPEN, S.SPLIT_PROPOSED)


def _history(
    case: CollisionCase,
    *,
    action: str,
    from_status: str,
    by: User | None,
    at: dt.datetime,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> CollisionEvent:
    return CollisionEvent.objects.create(
        case=case,
        action=action,
        from_status=from_status,
        to_status=case.status,
        by=by,
        at=at,
        comment=comment[:2000],
        data=data or {},
    )


def _first_followup_at(customer: Customer, user_id: int | None) -> dt.datetime | None:
    if not user_id:
        return None
    f = FollowUp.objects.filter(customer=customer, author_id=user_id).order_by("occurred_at").first()
    return f.occurred_at if f else None


def _propose(case: CollisionCase, parties: list[CollisionParty]) -> None:
    """P3.1/3.2: the earliest registration wins, unless the two earliest cannot be told apart
    (local dates within the policy's tolerance) — then the closer wins."""
    policy = policy_for(day=local_date(case.opened_at))
    ordered = sorted(parties, key=lambda p: (p.registered_at, p.pk or 0))
    first, second = ordered[0], ordered[1]
    gap = (local_date(second.registered_at) - local_date(first.registered_at)).days
    if gap <= policy.same_day_tolerance_days:
        case.proposed_rule = CollisionRule.CLOSER
        case.proposed_winner = None
        case.status = S.AWAITING_DEAL
    else:
        case.proposed_rule = CollisionRule.FIRST_REGISTERED
        case.proposed_winner = first
        case.status = S.OPEN


def _case_region(customer: Customer) -> Any:
    if customer.region_id:
        return customer.region_id
    owner = customer.owner
    if owner is not None and owner.department_id and owner.department is not None:
        return owner.department.region_id
    return None


def collision_open(
    *,
    customer: Customer,
    claimant: User | Partner,
    source: str,
    evidence: dict[str, Any] | None = None,
    registered_at: dt.datetime | None = None,
    first_contact_at: dt.datetime | None = None,
    statement: str = "",
    by: User | None = None,
) -> CollisionCase | None:
    """P3: `claimant` (a rep or a partner) ran into `customer`, which someone else owns.

    Opens a case (or joins the customer's open case as a further party) and proposes the rule-based
    outcome. Returns None when there is no collision (the customer is in the pool, or the claimant
    already owns it / is its account executive). Safe to call twice: the same claimant is not added
    again. `registered_at` is when the claimant registered the customer (default now; an opportunity's
    registered_at or a lead's received time when known), `evidence` is kept as recorded.
    """
    if source not in CollisionSource.values:
        raise DomainError(_("撞单来源无效。"), code="invalid_source")
    now = timezone.now()
    claimant_user = claimant if isinstance(claimant, User) else None
    claimant_partner = claimant if isinstance(claimant, Partner) else None
    acting_user_id = (
        claimant_user.pk if claimant_user else (claimant_partner.user_id if claimant_partner else None)
    )
    by = by or claimant_user

    def add_claimant(case: CollisionCase, customer: Customer) -> CollisionParty:
        """The claimant as a party of the case, registered when they say (default now)."""
        return CollisionParty.objects.create(
            case=case,
            user=claimant_user,
            partner=claimant_partner,
            role=PartyRole.CLAIMANT,
            registered_at=registered_at or now,
            first_contact_at=first_contact_at or _first_followup_at(customer, acting_user_id),
            statement=statement[:2000],
        )

    for attempt in range(3):
        try:
            with transaction.atomic():
                # Lock the customer: concurrent claimants on one customer queue here (one case, no dups).
                customer = (
                    Customer.objects.select_for_update(of=("self",))
                    .select_related("owner__department")
                    .get(pk=customer.pk)
                )
                if customer.owner_id is None or (
                    acting_user_id is not None
                    and acting_user_id in (customer.owner_id, customer.account_executive_id)
                ):
                    return None
                case = (
                    CollisionCase.objects.select_for_update()
                    .filter(customer=customer, status__in=OPEN_COLLISION_STATUSES)
                    .first()
                )
                if case is not None:
                    parties = list(case.parties.select_related("partner"))
                    if any(p.acting_user_id == acting_user_id and acting_user_id for p in parties) or any(
                        claimant_partner and p.partner_id == claimant_partner.pk for p in parties
                    ):
                        return case
                    party = add_claimant(case, customer)
                    from_status = case.status
                    if case.status != S.ESCALATED:
                        # A new party: the proposal is recomputed and earlier agreements no longer hold.
                        parties.append(party)
                        CollisionParty.objects.filter(case=case).update(agreed_at=None, split_share=None)
                        _propose(case, parties)
                        case.save(update_fields=["status", "proposed_rule", "proposed_winner", "updated_at"])
                    _history(
                        case,
                        action=A.JOIN,
                        from_status=from_status,
                        by=by,
                        at=now,
                        comment=statement,
                        data={"party": party.pk, "source": source, "evidence": evidence or {}},
                    )
                    return case
                policy = policy_for(day=local_date(now))
                case = CollisionCase.objects.create(
                    customer=customer,
                    source=source,
                    region_id=_case_region(customer),
                    opened_at=now,
                    deadline=add_workdays(local_date(now), policy.escalate_after_workdays),
                    proposed_rule=CollisionRule.FIRST_REGISTERED,
                    evidence=evidence or {},
                )
                holder = CollisionParty.objects.create(
                    case=case,
                    user_id=customer.owner_id,
                    role=PartyRole.HOLDER,
                    registered_at=customer.owned_since or customer.created_at,
                    first_contact_at=_first_followup_at(customer, customer.owner_id)
                    or customer.first_contact_at,
                )
                claim = add_claimant(case, customer)
                _propose(case, [holder, claim])
                case.save(update_fields=["status", "proposed_rule", "proposed_winner", "updated_at"])
                _history(
                    case,
                    action=A.OPEN,
                    from_status="",
                    by=by,
                    at=now,
                    comment=statement,
                    data={"source": source, "rule": case.proposed_rule},
                )
                return case
        except IntegrityError:
            # Another claimant opened the case at the same moment (the one-open-case constraint): join it.
            if attempt == 2:
                raise
    return None  # pragma: no cover


def collision_default_split(*, case: CollisionCase) -> dict[int, Decimal]:
    """P3.3 default split (policy, 50/50 by default): the holder gets `default_split`, the other parties
    share the rest equally; any rounding millionth goes to the holder so the split sums to exactly 1."""
    policy = policy_for(day=local_date(case.opened_at))
    parties = sorted(case.parties.all(), key=lambda p: (p.role != PartyRole.HOLDER, p.pk))
    first, rest = parties[0], parties[1:]
    each = ((Decimal("1") - policy.default_split) / len(rest)).quantize(Decimal("0.000001"))
    split = {p.pk: each for p in rest}
    split[first.pk] = Decimal("1") - each * len(rest)
    return split


def _parse_shares(case: CollisionCase, shares: dict[Any, Any] | None) -> dict[int, Decimal]:
    """P3.3: a split names every party with a share > 0, summing to exactly 100%."""
    if not shares:
        raise DomainError(_("请填写各方的分成比例。"), code="shares_required", field="shares")
    party_ids = {p.pk for p in case.parties.all()}
    parsed: dict[int, Decimal] = {}
    try:
        for key, value in shares.items():
            share = Decimal(str(value))
            parsed[int(key)] = share
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError(_("分成比例必须是数字。"), code="invalid_shares", field="shares") from None
    if set(parsed) != party_ids:
        raise DomainError(
            _("分成必须覆盖本案的每一方，且只能是本案当事方。"), code="invalid_shares", field="shares"
        )
    if any(s <= 0 or s >= 1 for s in parsed.values()):
        raise DomainError(_("每一方的分成比例必须大于0%且小于100%。"), code="invalid_shares", field="shares")
    if any(s != s.quantize(Decimal("0.000001")) for s in parsed.values()):
        raise DomainError(_("分成比例最多精确到 0.0001%。"), code="invalid_shares", field="shares")
    total = sum(parsed.values(), Decimal("0"))
    if total != Decimal("1"):
        raise DomainError(
            _("各方分成合计必须等于100%%，当前为%(total)s%%。") % {"total": (total * 100).normalize()},
            code="split_not_100",
            field="shares",
        )
    return parsed


def _resolve(
    case: CollisionCase,
    *,
    rule: str,
    winner: CollisionParty | None,
    by: User | None,
    at: dt.datetime,
    reason: str = "",
) -> None:
    """Close the case; a winner takes ownership (P1 change linked to the case) and future credit."""
    case.status = S.RESOLVED
    case.resolution = rule
    case.winner = winner
    case.resolved_at = at
    case.decided_by = by
    if reason:
        case.decision_reason = reason[:2000]
    if winner is None:
        return
    customer = Customer.objects.select_for_update().get(pk=case.customer_id)
    target_id: int | None = winner.user_id
    partner = winner.partner
    if partner is not None:
        # P2: only a strategic partner (with a login) manages customers, and only in their own region;
        # anywhere else — and for ordinary partners — the win is a referral (credit, not ownership).
        in_region = customer.region_id is None or customer.region_id == partner.region_id
        if partner.kind == PartnerKind.STRATEGIC and partner.user_id and in_region:
            target_id = partner.user_id
        else:
            target_id = None
            if not Referral.objects.filter(partner=partner, customer=customer, order__isnull=True).exists():
                Referral.objects.create(
                    partner=partner,
                    customer=customer,
                    share=policy_for(day=local_date(at)).referral_share,
                    note=_("撞单 #%(case)s 裁定") % {"case": case.pk},
                    created_by=by,
                )
    if target_id and target_id != customer.owner_id:
        record_ownership_change(
            customer=customer,
            to_user=User.objects.get(pk=target_id),
            reason=OwnershipReason.COLLISION,
            by=by,
            note=words(
                gettext_noop("撞单 #%(case)s：%(rule)s"), case=case.pk, rule=CollisionRule(rule).label
            ),
            at=at,
            collision_id=case.pk,
        )


@transaction.atomic
def collision_transition(
    *,
    case: CollisionCase,
    action: str,
    by: User | None,
    reason: str = "",
    shares: dict[Any, Any] | None = None,
    winner_party_id: int | None = None,
    order: Order | None = None,
) -> CollisionCase:
    """The one service that moves a collision case. Refuses anything the table does not allow."""
    case = (
        CollisionCase.objects.select_for_update(of=("self",))
        .select_related("region", "customer")
        .get(pk=case.pk)
    )
    step = COLLISION_TRANSITIONS.get((case.status, action))
    if step is None:
        raise Conflict(
            _("该撞单当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": case.get_status_display(), "action": CollisionAction(action).label},
            code="invalid_transition",
        )
    _targets, who = step
    party: CollisionParty | None = None
    if who in (PARTY, PARTY_OR_SYSTEM) and by is not None:
        party = party_for_user(case, by)
        if party is None:
            raise DomainError(_("您不是该撞单的当事方，不能处理。"), code="not_a_party", status=403)
    elif who == PARTY:
        raise DomainError(_("需要当事方本人操作。"), code="not_a_party", status=403)
    elif who == DECIDER:
        if by is not None and party_for_user(case, by) is not None:  # P3: nobody decides their own case
            raise DomainError(
                _("您是本案当事方，不能裁决：本案由上一级经理裁决。"), code="party_cannot_decide", status=403
            )
        if by is None or not is_case_decider(case, by):
            raise DomainError(_("只有该大区的大区经理可以裁决。"), code="not_region_manager", status=403)
    elif who == SYSTEM and by is not None:
        raise DomainError(_("该步骤由系统在成交时自动完成。"), code="system_only", status=403)
    now = timezone.now()
    from_status = case.status
    reason = (reason or "").strip()
    data: dict[str, Any] = {}
    parties = list(case.parties.select_related("partner", "user"))

    if action == A.ACCEPT:
        assert party is not None
        if party.pk == case.proposed_winner_id:
            raise Conflict(_("您是建议的归属方，等待对方确认即可。"), code="already_winner")
        CollisionParty.objects.filter(pk=party.pk).update(agreed_at=now)
        party.agreed_at = now
        others = [p for p in parties if p.pk not in (case.proposed_winner_id, party.pk)]
        if all(p.agreed_at for p in others):
            _resolve(case, rule=CollisionRule.FIRST_REGISTERED, winner=case.proposed_winner, by=by, at=now)
    elif action == A.PROPOSE_SPLIT:
        assert party is not None
        parsed = _parse_shares(case, shares or collision_default_split(case=case))
        for p in parties:
            CollisionParty.objects.filter(pk=p.pk).update(
                split_share=parsed[p.pk], agreed_at=now if p.pk == party.pk else None
            )
        case.status = S.SPLIT_PROPOSED
        data = {"shares": {str(k): str(v) for k, v in parsed.items()}}
    elif action == A.CONFIRM_SPLIT:
        assert party is not None
        CollisionParty.objects.filter(pk=party.pk).update(agreed_at=now)
        if all(p.agreed_at or p.pk == party.pk for p in parties):
            _resolve(case, rule=CollisionRule.COOPERATION, winner=None, by=by, at=now)
    elif action == A.REJECT_SPLIT:
        CollisionParty.objects.filter(case=case).update(split_share=None, agreed_at=None)
        case.status = S.AWAITING_DEAL if case.proposed_rule == CollisionRule.CLOSER else S.OPEN
    elif action == A.ESCALATE:
        case.status = S.ESCALATED
    elif action == A.DECIDE:
        if not reason:
            raise DomainError(_("裁决时必须填写书面理由。"), code="reason_required", field="reason")
        # A named winner takes the customer; otherwise the manager's split (shares) applies.
        if shares and not winner_party_id:
            parsed = _parse_shares(case, shares)
            for p in parties:
                CollisionParty.objects.filter(pk=p.pk).update(split_share=parsed[p.pk])
            _resolve(case, rule=CollisionRule.MANAGER, winner=None, by=by, at=now, reason=reason)
            data = {"shares": {str(k): str(v) for k, v in parsed.items()}}
        else:
            winner = next((p for p in parties if p.pk == winner_party_id), None)
            if winner is None:
                raise DomainError(
                    _("请选择归属方（必须是本案当事方），或填写合作分成。"),
                    code="winner_required",
                    field="winner",
                )
            CollisionParty.objects.filter(case=case).update(split_share=None)
            _resolve(case, rule=CollisionRule.MANAGER, winner=winner, by=by, at=now, reason=reason)
            data = {"winner": winner.pk}
    elif action == A.CLOSE_ON_ORDER:
        if order is None:
            raise DomainError(_("缺少成交订单。"), code="order_required")
        winner = next((p for p in parties if p.acting_user_id == order.owner_id), None)
        if winner is None:
            raise DomainError(_("订单负责人不是本案当事方。"), code="closer_not_party")
        CollisionParty.objects.filter(case=case).update(split_share=None)
        case.order = order
        _resolve(case, rule=CollisionRule.CLOSER, winner=winner, by=None, at=now)
        data = {"order": order.pk, "winner": winner.pk}
    case.save()
    _history(case, action=action, from_status=from_status, by=by, at=now, comment=reason, data=data)
    return case


def collision_resolve_on_order(*, order: Order) -> CollisionCase | None:
    """P3.2: called when an order is booked. If the customer has a case the recorded times could not
    decide, the party who booked the order wins. Safe to call twice (and on any order)."""
    case = (
        CollisionCase.objects.filter(
            customer_id=order.customer_id,
            status__in=[S.AWAITING_DEAL, S.SPLIT_PROPOSED],
            proposed_rule=CollisionRule.CLOSER,
        )
        .order_by("-id")
        .first()
    )
    if case is None:
        return None
    if party_for_user_id(case, order.owner_id) is None:
        return None
    return collision_transition(case=case, action=A.CLOSE_ON_ORDER, by=None, order=order)


def party_for_user_id(case: CollisionCase, user_id: int) -> CollisionParty | None:
    for p in case.parties.select_related("partner"):
        if p.acting_user_id == user_id:
            return p
    return None


def collision_escalate_overdue(*, today: dt.date | None = None) -> int:
    """P3.4: cases not agreed after N working days go to the regional manager. Set-based, idempotent."""
    today = today or local_today()
    now = timezone.now()
    escalated = 0
    with transaction.atomic():
        rows = list(
            CollisionCase.objects.select_for_update(skip_locked=True)
            .filter(status__in=AUTO_ESCALATE_FROM, deadline__lt=today)
            .values_list("id", "status")
        )
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        escalated = CollisionCase.objects.filter(id__in=ids, status__in=AUTO_ESCALATE_FROM).update(
            status=S.ESCALATED, updated_at=now
        )
        # Issue 15: the system's comment, stored in Chinese and read in the reader's language.
        overdue = words(gettext_noop("超过协商期限未达成一致，自动提交大区经理裁决。"))
        CollisionEvent.objects.bulk_create(
            CollisionEvent(
                case_id=case_id,
                action=A.ESCALATE,
                from_status=status,
                to_status=S.ESCALATED,
                by=None,
                at=now,
                comment=words_stored_text(overdue),
                comment_words=words_json(overdue),
            )
            for case_id, status in rows
        )
    return escalated
