"""Q2: the one approval engine. Every "needs someone senior" decision (quote discount, contract,
customer rebate, make-good volume, below-floor sale, bad-debt write-off) is routed by the authority
matrix (`AuthorityRule`) into an `ApprovalRequest` with one `ApprovalStep` per link of the chain.

Rules enforced here, whatever page or API calls them: nobody approves their own request, nobody
decides a step above their authority, and steps are decided strictly in order.
"""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from common.deferred_text import Words, words, words_json, words_stored_text
from common.errors import DomainError, NotFound
from common.fen import pct
from common.timeutil import local_today
from crm import policy
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    ApprovalStep,
    AuthorityRule,
    Role,
    StepStatus,
    User,
)

# Roles whose holder is resolved from the requester (or the subject's customer), not company-wide.
SCOPED_ROLES = frozenset({Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.REP})

# What happens to the subject when a request is finally decided: kind → "module.function".
HANDLERS: dict[str, str] = {
    ApprovalKind.QUOTE_DISCOUNT: "crm.services.quotes.quote_on_approval",
    ApprovalKind.CONTRACT: "crm.services.contracts.contract_on_approval",
    ApprovalKind.BELOW_FLOOR: "crm.services.orders.order_on_below_floor_approval",
    ApprovalKind.WRITE_OFF: "crm.services.receivables.writeoff_on_approval",
    ApprovalKind.AGREEMENT_CHANGE: "crm.services.contracts.contract_on_approval",
    ApprovalKind.KEY_ACCOUNT_CLASS: "crm.services.customers.key_account_class_on_approval",
    ApprovalKind.ORDER_OVER_CONTRACT: "crm.services.orders.order_on_over_contract_approval",
    ApprovalKind.CUSTOMER_REBATE: "crm.services.approvals.concession_on_approval",
    ApprovalKind.MAKE_GOOD_PLATFORM: "crm.services.approvals.concession_on_approval",
    ApprovalKind.MAKE_GOOD_DATABASE: "crm.services.approvals.concession_on_approval",
    ApprovalKind.EXECUTION_ORDER: "crm.services.execution_orders.execution_order_on_approval",
}

D = Decimal
LINE_MANAGER_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR, Role.VP, Role.PRESIDENT)
EVERYONE_ABOVE_REGION = [Role.REGIONAL_MANAGER, Role.DIRECTOR, Role.VP, Role.PRESIDENT]

# The SPEC Q2 table, as first seeded (admins edit the rows afterwards; new rows are effective-dated).
DEFAULT_RULES: list[dict[str, Any]] = [
    # quote discount [003 §9.1]: ratio = quoted price ÷ list price
    {
        "kind": ApprovalKind.QUOTE_DISCOUNT,
        "name": gettext_noop("报价≥标准价50%（5折）：部门/渠道经理"),
        "priority": 10,
        "ratio_min": D("0.5"),
        "chain": [[Role.SALES_MANAGER]],
    },
    {
        "kind": ApprovalKind.QUOTE_DISCOUNT,
        "name": gettext_noop("45%≤报价<50%（4.5折）：总裁助理"),
        "priority": 20,
        "ratio_min": D("0.45"),
        "ratio_max": D("0.5"),
        "chain": [[Role.PRESIDENTS_ASSISTANT]],
    },
    {
        "kind": ApprovalKind.QUOTE_DISCOUNT,
        "name": gettext_noop("报价<45%：副总裁或总裁"),
        "priority": 30,
        "chain": [[Role.VP, Role.PRESIDENT]],
    },
    # contract [003 §9.2]
    {
        "kind": ApprovalKind.CONTRACT,
        "name": gettext_noop("≤¥200,000、价格≥标准价45%且标准模板：部门经理"),
        "priority": 10,
        "ratio_min": D("0.45"),
        "ratio_max": None,
        "amount_max": D("200000.00"),
        "amount_max_inclusive": True,
        "requires_standard_template": True,
        "chain": [[Role.SALES_MANAGER]],
    },
    {
        "kind": ApprovalKind.CONTRACT,
        "name": gettext_noop("其他合同：销售管理部经理→研发副总裁→交付副总裁→总裁 会签"),
        "priority": 20,
        "chain": [[Role.SALES_ADMIN_MANAGER], [Role.RD_VP], [Role.DELIVERY_VP], [Role.PRESIDENT]],
    },
    # customer rebate (客户佣金) [002 §6]: ratio = rebate ÷ money received
    {
        "kind": ApprovalKind.CUSTOMER_REBATE,
        "name": gettext_noop("0–5%：客户经理"),
        "priority": 10,
        "ratio_min": D("0"),
        "ratio_max": D("0.05"),
        "ratio_max_inclusive": True,
        "chain": [[Role.REP]],
        "requester_may_decide": True,
    },
    {
        "kind": ApprovalKind.CUSTOMER_REBATE,
        "name": gettext_noop("5–10%：客户总监"),
        "priority": 20,
        "ratio_min": D("0.05"),
        "ratio_min_inclusive": False,
        "ratio_max": D("0.10"),
        "ratio_max_inclusive": False,
        "chain": [[Role.CUSTOMER_DIRECTOR]],
    },
    {
        "kind": ApprovalKind.CUSTOMER_REBATE,
        "name": gettext_noop("≥10%：总经理"),
        "priority": 30,
        "ratio_min": D("0.10"),
        "chain": [[Role.PRESIDENT]],
    },
    # make-good volume (补量) [002 §4]: ratio = make-good ÷ monthly volume
    {
        "kind": ApprovalKind.MAKE_GOOD_PLATFORM,
        "name": gettext_noop("平台≤1%：客户经理"),
        "priority": 10,
        "ratio_min": D("0"),
        "ratio_max": D("0.01"),
        "ratio_max_inclusive": True,
        "chain": [[Role.REP]],
        "requester_may_decide": True,
    },
    {
        "kind": ApprovalKind.MAKE_GOOD_PLATFORM,
        "name": gettext_noop("平台1%–5%：客户总监"),
        "priority": 20,
        "ratio_min": D("0.01"),
        "ratio_min_inclusive": False,
        "ratio_max": D("0.05"),
        "ratio_max_inclusive": True,
        "chain": [[Role.CUSTOMER_DIRECTOR]],
    },
    {
        "kind": ApprovalKind.MAKE_GOOD_PLATFORM,
        "name": gettext_noop("平台>5%：上一级（副总裁）"),
        "priority": 30,
        "chain": [[Role.VP, Role.PRESIDENT]],
    },
    {
        "kind": ApprovalKind.MAKE_GOOD_DATABASE,
        "name": gettext_noop("数据库≤2%：客户经理"),
        "priority": 10,
        "ratio_min": D("0"),
        "ratio_max": D("0.02"),
        "ratio_max_inclusive": True,
        "chain": [[Role.REP]],
        "requester_may_decide": True,
    },
    {
        "kind": ApprovalKind.MAKE_GOOD_DATABASE,
        "name": gettext_noop("数据库2%–5%：客户总监"),
        "priority": 20,
        "ratio_min": D("0.02"),
        "ratio_min_inclusive": False,
        "ratio_max": D("0.05"),
        "ratio_max_inclusive": True,
        "chain": [[Role.CUSTOMER_DIRECTOR]],
    },
    {
        "kind": ApprovalKind.MAKE_GOOD_DATABASE,
        "name": gettext_noop("数据库>5%：上一级（副总裁）"),
        "priority": 30,
        "chain": [[Role.VP, Role.PRESIDENT]],
    },
    # below-floor sale [000 §4.2.9]: the approver sets the commission rate for it
    {
        "kind": ApprovalKind.BELOW_FLOOR,
        "name": gettext_noop("低于最低价销售：大区经理及以上（设定提成比例）"),
        "priority": 10,
        "chain": [EVERYONE_ABOVE_REGION],
    },
    # agreement changed from the company template, 客户部 [002 §2.3]: customer director, then the
    # customer support lead's final review
    {
        "kind": ApprovalKind.AGREEMENT_CHANGE,
        "name": gettext_noop("协议变更（客户部）：客户总监→客户支持主管"),
        "priority": 10,
        "chain": [[Role.CUSTOMER_DIRECTOR], [Role.CUSTOMER_SUPPORT_LEAD]],
    },
    # C4 / issue 17: a key-account class drives the owner's commission (K5): the regional manager or
    # above decides, never the rep alone.
    {
        "kind": ApprovalKind.KEY_ACCOUNT_CLASS,
        "name": gettext_noop("大客户分类变更：大区经理及以上"),
        "priority": 10,
        "chain": [EVERYONE_ABOVE_REGION],
    },
    # issue 17: an order beyond its contract's remaining amount (amount = the excess)
    {
        "kind": ApprovalKind.ORDER_OVER_CONTRACT,
        "name": gettext_noop("订单超出合同余额：大区经理及以上"),
        "priority": 10,
        "chain": [EVERYONE_ABOVE_REGION],
    },
    # execution order (执行单) [003 §9.3]: the 销售管理部商务经理 reviews it before delivery starts
    {
        "kind": ApprovalKind.EXECUTION_ORDER,
        "name": gettext_noop("执行单：销售管理部商务经理审核"),
        "priority": 10,
        "chain": [[Role.SALES_ADMIN_MANAGER]],
    },
    # K12 / 001 第4条: a commission plan is reviewed by finance (会同人力资源部、财务部审核), then the
    # sales director and the general manager (报销售总监和总经理审核、审批) before it is published
    {
        "kind": ApprovalKind.COMMISSION_PLAN,
        "name": gettext_noop("提成方案发布：财务中心→销售总监→总裁"),
        "priority": 10,
        "chain": [[Role.FINANCE], [Role.DIRECTOR], [Role.PRESIDENT]],
    },
    # bad-debt write-off (Q6): finance approves
    {
        "kind": ApprovalKind.WRITE_OFF,
        "name": gettext_noop("坏账核销：财务中心"),
        "priority": 10,
        "chain": [[Role.FINANCE]],
    },
]


def authority_rules_seed_defaults(*, on: dt.date | None = None) -> int:
    """Create the SPEC rows for every kind that has none yet (idempotent, for post_migrate)."""
    on = on or dt.date(2020, 1, 1)
    existing = set(AuthorityRule.objects.values_list("kind", flat=True).distinct())
    rows = [AuthorityRule(effective_from=on, **row) for row in DEFAULT_RULES if row["kind"] not in existing]
    AuthorityRule.objects.bulk_create(rows)
    return len(rows)


def authority_rules_in_force(*, on: dt.date | None = None) -> QuerySet[AuthorityRule]:
    """The matrix rows in force on a day (today by default)."""
    on = on or local_today()
    return AuthorityRule.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )


def authority_rule_for(
    *,
    kind: str,
    ratio: Decimal | None = None,
    amount: Decimal | None = None,
    standard_template: bool = True,
    on: dt.date | None = None,
) -> AuthorityRule:
    """The matrix row that governs a request: the first effective row of the kind that matches."""
    rules = authority_rules_in_force(on=on).filter(kind=kind)
    for rule in rules.order_by("priority", "id"):
        if rule.matches(ratio=ratio, amount=amount, standard_template=standard_template):
            return rule
    raise DomainError(
        _("权限矩阵中没有适用于该申请的规则，请联系系统管理员。"), code="no_authority_rule", status=400
    )


def _department_manager_of(user: User) -> User | None:
    dept = user.department
    candidate = dept.manager if dept and dept.manager_id != user.pk else None
    if candidate is None and user.manager_id and user.manager and user.manager.has_role(Role.SALES_MANAGER):
        candidate = user.manager
    return candidate if candidate and candidate.pk != user.pk else None


def _regional_manager_of(user: User) -> User | None:
    dept = user.department
    region_manager = dept.region.manager if dept and dept.region_id else None
    if region_manager is None:
        boss = user.manager
        while boss is not None and not boss.has_role(Role.REGIONAL_MANAGER):
            boss = boss.manager
        region_manager = boss
    return region_manager if region_manager and region_manager.pk != user.pk else None


def _resolve_assignee(*, roles: list[str], requester: User, customer_owner: User | None) -> User | None:
    """A scoped step goes to one person: the requester's department/regional manager, or the
    customer's account manager. Company-wide roles (assistant, VPs, president…) have no assignee."""
    if Role.SALES_MANAGER in roles:
        return _department_manager_of(requester)
    if Role.REGIONAL_MANAGER in roles:
        return _regional_manager_of(requester)
    if Role.REP in roles:
        return customer_owner
    return None


@transaction.atomic
def approval_request_create(
    *,
    kind: str,
    subject: models.Model,
    requested_by: User,
    title: str | Words,
    ratio: Decimal | None = None,
    amount: Decimal | None = None,
    standard_template: bool = True,
    customer_owner: User | None = None,
) -> ApprovalRequest:
    """Route a decision through the matrix. The first step is pending at once; when the rule lets the
    account manager decide alone and the requester is that account manager, it is approved at once
    (recorded as within their own authority) and the subject's handler runs."""
    rule = authority_rule_for(kind=kind, ratio=ratio, amount=amount, standard_template=standard_template)
    request = ApprovalRequest.objects.create(
        kind=kind,
        title=words_stored_text(title)[:200],
        title_words=words_json(title) if isinstance(title, Words) else None,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        rule=rule,
        ratio=ratio,
        amount=amount,
        requested_by=requested_by,
    )
    steps = []
    for i, roles in enumerate(rule.chain, start=1):
        roles = [str(r) for r in (roles if isinstance(roles, list) else [roles])]
        steps.append(
            ApprovalStep(
                request=request,
                order=i,
                roles="," + ",".join(roles) + ",",
                assignee=_resolve_assignee(
                    roles=roles, requester=requested_by, customer_owner=customer_owner
                ),
                status=StepStatus.PENDING if i == 1 else StepStatus.WAITING,
            )
        )
    ApprovalStep.objects.bulk_create(steps)
    if not steps:
        raise DomainError(_("该规则没有配置审批人，请联系系统管理员。"), code="empty_chain")
    if (
        rule.requester_may_decide
        and len(steps) == 1
        and customer_owner is not None
        and customer_owner.pk == requested_by.pk
    ):
        now = timezone.now()
        within = words(gettext_noop("在客户经理权限内（%(rule)s）"), rule=words(rule.name))
        ApprovalStep.objects.filter(request=request).update(
            status=StepStatus.APPROVED,
            decided_by=requested_by,
            decided_at=now,
            reason=words_stored_text(within),
            reason_words=words_json(within),
        )
        request.status = ApprovalStatus.APPROVED
        request.decided_at = now
        request.save(update_fields=["status", "decided_at", "updated_at"])
        _run_handler(request, approved=True, by=requested_by, rate=None)
    else:
        _notify_turn(request)
    return request


def _global_roles(step: ApprovalStep) -> set[str]:
    return set(step.role_list) - set(SCOPED_ROLES)


def can_decide_step(*, step: ApprovalStep, user: User) -> bool:
    """Authority for one step: the assignee, a holder of one of its company-wide roles, or — for a
    scoped step nobody was resolved for — a holder of the role who manages the requester."""
    if step.assignee_id is not None and step.assignee_id == user.pk:
        return True
    if user.has_role(*_global_roles(step)):
        return True
    manages_requester = step.request.requested_by_id in policy.team_member_ids(user)
    if step.assignee_id is None:
        scoped = set(step.role_list) & set(SCOPED_ROLES)
        if scoped and user.has_role(*scoped) and manages_requester:
            return True
    # A department/regional-manager step may also be decided by a manager higher up the requester's
    # line (their authority includes it); company-wide steps (assistant, VPs…) never widen this way.
    if Role.SALES_MANAGER in step.role_list:
        return manages_requester and user.has_role(*LINE_MANAGER_ROLES)
    if Role.REGIONAL_MANAGER in step.role_list:
        return manages_requester and user.has_role(*LINE_MANAGER_ROLES[1:])
    return False


def _run_handler(request: ApprovalRequest, *, approved: bool, by: User, rate: Decimal | None) -> None:
    dotted = HANDLERS.get(request.kind)
    if not dotted:
        # a kind owned by a higher app (e.g. commission plans): its handler is registered in
        # crm.extensions by that app's AppConfig.ready()
        from crm.extensions import approval_outcome_handler

        outcome = approval_outcome_handler(request.kind)
        if outcome is not None:
            outcome(request=request, approved=approved, by=by)
        return
    module_name, func_name = dotted.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), func_name)
    handler(request=request, approved=approved, by=by, rate=rate)


@transaction.atomic
def approval_decide(
    *,
    request: ApprovalRequest,
    by: User,
    approve: bool,
    reason: str = "",
    rate: Decimal | None = None,
) -> ApprovalRequest:
    """Approve or reject the step that is next in the chain. Refuses self-approval, deciding above
    one's authority, and deciding out of order. A rejection needs a reason; the last approval of a
    below-floor sale needs the commission rate the approver sets."""
    request = ApprovalRequest.objects.select_for_update().select_related("requested_by").get(pk=request.pk)
    if request.status != ApprovalStatus.PENDING:
        raise DomainError(_("该审批已结束，不能再次处理。"), code="approval_closed", status=409)
    if request.requested_by_id == by.pk:
        raise DomainError(_("不能审批自己提交的申请。"), code="self_approval", status=403)
    steps = list(request.steps.select_related("assignee").order_by("order"))
    current = next(s for s in steps if s.order == request.current_order)
    current.request = request
    if not can_decide_step(step=current, user=by):
        later = [s for s in steps if s.order > current.order]
        for s in later:
            s.request = request
        if any(can_decide_step(step=s, user=by) for s in later):
            raise DomainError(
                _("尚未轮到您审批：请等待 %(who)s 先审批。") % {"who": step_actor_label(current)},
                code="out_of_order",
                status=409,
            )
        raise DomainError(
            _("超出您的审批权限：此步骤应由 %(who)s 审批。") % {"who": step_actor_label(current)},
            code="above_authority",
            status=403,
        )
    reason = (reason or "").strip()
    if not approve and not reason:
        raise DomainError(_("驳回时请填写原因。"), code="reason_required", field="reason")
    is_last = current.order == steps[-1].order
    if approve and is_last and request.kind == ApprovalKind.BELOW_FLOOR:
        if rate is None:
            raise DomainError(_("请设定这笔低价销售的提成比例。"), code="rate_required", field="rate")
        if not (Decimal("0") <= rate <= Decimal("1")):
            raise DomainError(_("提成比例应在0到1之间（如0.02表示2%）。"), code="invalid_rate", field="rate")
    now = timezone.now()
    current.status = StepStatus.APPROVED if approve else StepStatus.REJECTED
    current.decided_by = by
    current.decided_at = now
    current.reason = reason[:500]
    current.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    if not approve:
        request.steps.filter(order__gt=current.order).update(status=StepStatus.SKIPPED)
        request.status = ApprovalStatus.REJECTED
        request.decided_at = now
    elif is_last:
        request.status = ApprovalStatus.APPROVED
        request.decided_at = now
    else:
        request.current_order = current.order + 1
        request.steps.filter(order=request.current_order).update(status=StepStatus.PENDING)
    request.save(update_fields=["status", "decided_at", "current_order", "updated_at"])
    if request.status != ApprovalStatus.PENDING:
        _run_handler(request, approved=request.status == ApprovalStatus.APPROVED, by=by, rate=rate)
    _notify_decision(request, by=by, approve=approve)
    return request


def _next_step(request: ApprovalRequest) -> ApprovalStep | None:
    if request.status != ApprovalStatus.PENDING:
        return None
    return request.steps.select_related("assignee").filter(order=request.current_order).first()


def step_approvers(step: ApprovalStep) -> list[User]:
    """Who is asked to decide a step: its named assignee; else the active holders of its company-wide
    roles, or, for a scoped step nobody was resolved for, the holders of its roles who manage the
    requester. Never the requester (nobody approves their own request)."""
    if step.assignee_id is not None:
        return [step.assignee] if step.assignee is not None and step.assignee.is_active else []
    requester_id = step.request.requested_by_id
    found = list(
        User.objects.filter(is_active=True, groups__name__in=sorted(step.role_list))
        .exclude(pk=requester_id)
        .distinct()
        .order_by("id")
    )
    global_roles = _global_roles(step)
    return [
        u
        for u in found
        if u.has_role(*global_roles)
        or (global_roles != set(step.role_list) and can_decide_step(step=step, user=u))
    ]


def title_words(request: ApprovalRequest) -> dict[str, Any] | str:
    """Issue 15: the request's title to put inside other words (a notification), kept translatable;
    a request stored before issue 15 has only its text."""
    return request.title_words or request.title


def _notify_turn(request: ApprovalRequest) -> None:
    """K12/Q2: whoever must decide the step now waiting learns it is their turn. Looked up and sent
    after commit, so a refused decision asks no one."""
    from django.urls import reverse

    from common.notifications import notify

    if request.status != ApprovalStatus.PENDING:
        return
    link = reverse("crm:approval_detail", args=[request.pk])

    def send() -> None:
        nxt = _next_step(request)
        users = step_approvers(nxt) if nxt is not None else []
        if users:
            text = words(
                gettext_noop("待您审批：%(title)s（%(who)s 提交）"),
                title=title_words(request),
                who=request.requested_by,
            )
            notify(users=users, text=text, link=link)

    transaction.on_commit(send)


def _notify_decision(request: ApprovalRequest, *, by: User, approve: bool) -> None:
    """Issue 15/K12: the requester learns every decision on their request, and the outcome once the
    chain ends; whoever decides the next step learns it is their turn. Sent after commit, so a refused
    handler notifies no one."""
    from django.urls import reverse

    from common.notifications import notify

    link = reverse("crm:approval_detail", args=[request.pk])
    title = title_words(request)
    if request.status == ApprovalStatus.APPROVED:
        text = words(gettext_noop("审批通过：%(title)s（%(by)s 最终同意）"), by=by, title=title)
    else:
        verb = gettext_lazy("同意") if approve else gettext_lazy("驳回")
        text = words(gettext_noop("%(by)s 已%(verb)s：%(title)s"), by=by, verb=verb, title=title)
    requester = request.requested_by
    transaction.on_commit(lambda: notify(users=[requester], text=text, link=link))
    _notify_turn(request)


def approval_outcome_text(request: ApprovalRequest) -> str:
    """What a decision did and what follows, for the person who made it ("已同意报价 Q-…，已通知杨一")."""
    requester = str(request.requested_by)
    if request.status == ApprovalStatus.REJECTED:
        return _("已驳回「%(t)s」，已通知 %(who)s。") % {"t": request.heading, "who": requester}
    if request.status == ApprovalStatus.APPROVED:
        return _("已同意「%(t)s」，审批完成，已通知 %(who)s。") % {"t": request.heading, "who": requester}
    nxt = _next_step(request)
    return _("已同意「%(t)s」，下一步由 %(next)s 审批，已通知 %(who)s。") % {
        "t": request.heading,
        "next": step_actor_label(nxt) if nxt else "",
        "who": requester,
    }


def step_actor_label(step: ApprovalStep) -> str:
    """Who must act on a step, in words: the assignee's name, else the roles."""
    if step.assignee_id and step.assignee is not None:
        return str(step.assignee)
    labels = dict(Role.choices)
    return _("或").join(str(labels.get(r, r)) for r in step.role_list)


def approver_words(step: ApprovalStep) -> str:
    """Who decides a step, person and role, from the authority matrix: "销售部经理 王经理"; a company-wide
    role held by up to three people names them ("总裁助理 赵助理"), else the role alone."""
    labels = dict(Role.choices)
    role = _("或").join(str(labels.get(r, r)) for r in step.role_list)
    if step.assignee_id and step.assignee is not None:
        return f"{role} {step.assignee}"
    global_roles = _global_roles(step)
    if global_roles:
        people = list(
            User.objects.filter(is_active=True, groups__name__in=global_roles).distinct().order_by("pk")[:4]
        )
        if 1 <= len(people) <= 3:
            return f"{role} {'、'.join(str(p) for p in people)}"
    return role


def approval_submitted_text(subject: models.Model) -> str:
    """Issue 15: what a submission did and who decides next — "已提交审批，下一步由 销售部经理 王经理
    审批。"; "" when the subject has no approval request."""
    request = latest_request_for(subject)
    if request is None:
        return ""
    if request.status == ApprovalStatus.APPROVED:
        return _("在您的权限内，已直接生效。")
    nxt = _next_step(request)
    if nxt is None:
        return ""
    return _("已提交审批，下一步由 %(who)s 审批。") % {"who": approver_words(nxt)}


# --- reads --------------------------------------------------------------------------------------


def approvals_waiting_for(*, user: User) -> QuerySet[ApprovalStep]:
    """ "待我审批": the current steps of open requests that this user may decide (not their own)."""
    q = Q(assignee=user)
    global_roles = set(user.roles) - set(SCOPED_ROLES)
    for role in global_roles:
        q |= Q(roles__contains=f",{role},")
    scoped = set(user.roles) & set(SCOPED_ROLES)
    if scoped:
        members = policy.team_member_ids(user) - {user.pk}
        for role in scoped:
            q |= Q(assignee__isnull=True, roles__contains=f",{role},", request__requested_by_id__in=members)
    return (
        ApprovalStep.objects.filter(q, status=StepStatus.PENDING, request__status=ApprovalStatus.PENDING)
        .exclude(request__requested_by=user)
        .select_related("request", "request__requested_by", "request__rule", "assignee")
        .order_by("-request_id")
    )


def approval_requests_visible_to(*, user: User) -> QuerySet[ApprovalRequest]:
    """A request is visible to its requester, anyone on its chain, the requester's managers, and
    whoever sees everything."""
    qs = ApprovalRequest.objects.all()
    if user.sees_everything:
        return qs
    q = (
        Q(requested_by_id__in=policy.team_member_ids(user))
        | Q(steps__assignee=user)
        | Q(steps__decided_by=user)
    )
    for role in set(user.roles) - set(SCOPED_ROLES):
        q |= Q(steps__roles__contains=f",{role},")
    return qs.filter(pk__in=ApprovalRequest.objects.filter(q).values("pk"))


def approval_get_visible(*, user: User, pk: int) -> ApprovalRequest:
    obj = approval_requests_visible_to(user=user).filter(pk=pk).select_related("rule", "requested_by").first()
    if obj is None:
        raise NotFound(_("未找到该审批。"))
    return obj


def approval_chain(request: ApprovalRequest) -> list[dict[str, Any]]:
    """The chain as shown on a request: each step, who must/did act, when and why."""
    rows = []
    for step in request.steps.select_related("assignee", "decided_by").order_by("order"):
        is_next = request.status == ApprovalStatus.PENDING and step.order == request.current_order
        rows.append(
            {
                "order": step.order,
                "actor": step_actor_label(step),
                "status": step.status,
                "status_label": step.get_status_display(),
                "decided_by": str(step.decided_by) if step.decided_by_id else "",
                "decided_at": step.decided_at,
                "reason": step.reason_text,
                "is_next": is_next,
                "next_words": approver_words(step) if is_next else "",  # person and role
            }
        )
    return rows


def latest_request_for(subject: models.Model) -> ApprovalRequest | None:
    ct = ContentType.objects.get_for_model(subject)
    return ApprovalRequest.objects.filter(content_type=ct, object_id=subject.pk).order_by("-id").first()


# --- customer rebates and make-goods -------------------------------------------------------------


@transaction.atomic
def concession_request(
    *, kind: str, customer: Any, ratio: Decimal, reason: str, by: User, base_amount: Decimal | None = None
) -> Any:
    """Q2: ask for a customer rebate (ratio of money received) or a make-good volume (ratio of the
    month's volume); the matrix picks the approver."""
    from crm.models import Concession, ConcessionKind

    if kind not in ConcessionKind.values:
        raise DomainError(_("未知的申请类型。"), code="invalid_kind", field="kind")
    if ratio is None or ratio < 0 or ratio > 1:
        raise DomainError(_("比例应在0到1之间（如0.05表示5%）。"), code="invalid_ratio", field="ratio")
    if not (reason or "").strip():
        raise DomainError(_("请填写原因。"), code="required", field="reason")
    concession = Concession.objects.create(
        kind=kind,
        customer=customer,
        ratio=ratio,
        base_amount=base_amount or Decimal("0.00"),
        reason=reason.strip()[:300],
        requested_by=by,
    )
    approval_request_create(
        kind=kind,
        subject=concession,
        requested_by=by,
        title=words(
            gettext_noop("%(kind)s %(customer)s %(rate)s"),
            kind=ConcessionKind(kind).label,
            customer=customer,
            rate=pct(ratio),
        ),
        ratio=ratio,
        amount=concession.base_amount,
        customer_owner=customer.owner,
    )
    concession.refresh_from_db()
    return concession


def concession_on_approval(
    *, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None
) -> None:
    from crm.models import Concession

    Concession.objects.filter(pk=request.object_id).update(status="approved" if approved else "rejected")


@transaction.atomic
def customer_rebate_pay(
    *, concession_id: int, amount: Any, paid_on: dt.date | None, payment_form_no: str, by: User
) -> Any:
    """002 §6: finance pays an approved customer rebate — backed by a 劳务费申请单 (§6.4), on money the
    customer actually paid (§6.1), and always in full to the customer (§6.5: never a part of it)."""
    from django.db.models import Sum

    from common.money import round_fen
    from crm.models import Concession, Payment
    from crm.services.rebate_payments import customer_rebate_due

    if not (by.has_role(Role.FINANCE) or by.sees_everything):
        raise DomainError(_("只有财务中心可以支付客户佣金。"), code="not_allowed", status=403)
    c = Concession.objects.select_for_update().filter(pk=concession_id, kind="customer_rebate").first()
    if c is None:
        raise DomainError(_("客户佣金申请不存在。"), code="not_found", status=404)
    if c.status == "paid":
        raise DomainError(_("该客户佣金已支付。"), code="already_paid", status=409)
    if c.status != "approved":
        raise DomainError(_("客户佣金尚未审批通过，不能支付。"), code="not_approved", status=409)
    if not (payment_form_no or "").strip():
        raise DomainError(_("请填写《劳务费申请单》编号。"), code="required", field="payment_form_no")
    received = Payment.objects.filter(order__customer_id=c.customer_id).aggregate(s=Sum("amount"))["s"] or D(
        "0"
    )
    if c.base_amount > received:
        raise DomainError(
            _("客户佣金按实际收款计算：基数 ¥%(b)s 超过该客户实际回款 ¥%(r)s，不能支付。")
            % {"b": c.base_amount, "r": received},
            code="base_above_received",
            status=409,
        )
    due = customer_rebate_due(c)
    try:
        paying = round_fen(D(str(amount)))
    except Exception:
        raise DomainError(_("请输入正确的金额。"), code="invalid_amount", field="amount") from None
    if paying != due:
        raise DomainError(
            _("客户佣金必须全额支付给客户：应付 ¥%(due)s，本次 ¥%(p)s。") % {"due": due, "p": paying},
            code="rebate_not_in_full",
            field="amount",
        )
    c.paid_amount = paying
    c.paid_on = paid_on or local_today()
    c.payment_form_no = payment_form_no.strip()[:50]
    c.paid_by = by
    c.status = "paid"
    c.save(update_fields=["paid_amount", "paid_on", "payment_form_no", "paid_by", "status", "updated_at"])
    return c
