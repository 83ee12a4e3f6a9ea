"""Commission plans (K12): validate, check, save, publish, export/import and assign plan versions.

A plan version is its code + effective date; a published version whose date has come, or that a closed
month used, is frozen (save a new version instead); publishing respects the K12 notice period.

Publishing passes the approval chain first (001 第4条: finance reviews, the sales director and the
general manager approve — crm ApprovalKind.COMMISSION_PLAN, chain in the authority matrix): asking to
publish makes the version "待审批"; it is published (announced, its notice period counted from then) only
when the whole chain agrees (`plan_on_approval`), and a rejection leaves it a draft with the reason."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.calculator.validation import validate_plan
from commissions.models import CommissionLine, CommissionPlan, PlanApproval, PlanAssignment, PlanObjection
from commissions.selectors import LOCKED_STATUSES, policy_on
from common.deferred_text import words
from common.errors import Conflict, DomainError

if TYPE_CHECKING:
    from crm.models import User


def plan_validate(*, definition: Any) -> dict[str, Any]:
    """A plan definition, or DomainError listing every problem in it."""
    errors = validate_plan(definition)
    if errors:
        raise DomainError(_("方案定义有误：%(errors)s") % {"errors": "；".join(errors)}, field="definition")
    return definition  # type: ignore[no-any-return]


def _check_notice(
    *, effective_from: dt.date, published_at: dt.datetime, override_reason: str, by: User | None
) -> None:
    """K12: a plan takes effect at least N days (policy, default 30) after it is published, unless an
    admin overrides with a written reason."""
    notice = policy_on(published_at.date()).plan_notice_days
    earliest = timezone.localtime(published_at).date() + dt.timedelta(days=notice)
    if effective_from >= earliest:
        return
    if not override_reason.strip():
        raise DomainError(
            _("方案须提前 %(days)s 天公布：最早生效日期为 %(date)s；如需提前生效，须由管理员填写原因。")
            % {"days": notice, "date": earliest},
            field="effective_from",
        )
    if by is None or not (by.is_superuser or by.has_role("admin")):
        raise DomainError(_("只有系统管理员可以批准提前生效。"), code="forbidden", status=403)


def plan_check(
    *,
    definition: Any,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
) -> CommissionPlan | None:
    """Every rule a plan save must pass, without saving: the definition (validate_plan), the dates,
    K12 notice, and that a version already in force or used by a closed month is not edited.
    Returns the existing version (or None)."""
    plan_validate(definition=definition)
    if effective_to is not None and effective_to < effective_from:
        raise DomainError(_("失效日期不能早于生效日期。"), field="effective_to")
    plan = CommissionPlan.objects.filter(code=definition["code"], effective_from=effective_from).first()
    if plan is not None and plan.published_at is not None:
        used_closed = CommissionLine.objects.filter(plan=plan, status__in=LOCKED_STATUSES).exists()
        frozen = used_closed or plan.effective_from <= timezone.localdate()
        if frozen and plan.definition != definition:
            raise Conflict(
                _("该方案版本已生效或已用于已结算月份，不能修改；请以新的生效日期另存一个版本。"),
                field="definition",
            )
    waiting = plan is not None and plan.approval_status == PlanApproval.PENDING and plan.published_at is None
    if waiting and plan is not None and (plan.definition != definition or plan.effective_to != effective_to):
        raise Conflict(
            _("该方案版本正在审批中，不能修改；请等待审批结果，或另存一个生效日期不同的版本。"),
            field="definition",
        )
    if publish and (plan is None or plan.published_at is None):
        _check_notice(
            effective_from=effective_from, published_at=timezone.now(), override_reason=override_reason, by=by
        )
    return plan


@transaction.atomic
def plan_save(
    *,
    definition: dict[str, Any],
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
    skip_approval: bool = False,
) -> CommissionPlan:
    """Create or replace a plan version (code + effective_from). A published version whose effective date
    has come, or that a closed period used, is frozen: change it by saving a new version (K12).

    `publish` submits the version to its approval chain; only the installation loaders (demo data, the
    `plan_import` command run by the operator) pass `skip_approval` and publish at once."""
    plan = plan_check(
        definition=definition,
        effective_from=effective_from,
        effective_to=effective_to,
        publish=publish,
        override_reason=override_reason,
        by=by,
    )
    if plan is not None:
        plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    else:
        plan = CommissionPlan(code=definition["code"], effective_from=effective_from)
    plan.name = definition["name"]
    plan.definition = definition
    plan.effective_to = effective_to
    submit = False
    if publish and plan.published_at is None:
        if override_reason.strip():
            plan.notice_override_reason = override_reason.strip()
            plan.notice_override_by = by
        if skip_approval:
            plan.published_at = timezone.now()
            plan.published_by = by
            plan.approval_status = PlanApproval.APPROVED
        elif plan.approval_status != PlanApproval.PENDING:
            if by is None:
                raise DomainError(_("发布方案须由具体人员提交审批。"), code="requester_required")
            plan.approval_status = PlanApproval.PENDING
            plan.approval_reason = ""
            submit = True
    plan.save()
    if submit:
        assert by is not None
        from crm.models import ApprovalKind
        from crm.services.approvals import approval_request_create

        approval_request_create(
            kind=ApprovalKind.COMMISSION_PLAN,
            subject=plan,
            requested_by=by,
            title=words(
                gettext_noop("发布提成方案“%(name)s”（自 %(date)s 起生效）"),
                name=plan.name,
                date=plan.effective_from.isoformat(),
            ),
        )
    return plan


def plan_on_approval(*, request: Any, approved: bool, by: User) -> None:
    """The end of a plan's approval chain (registered in crm.extensions by CommissionsConfig.ready()).
    Approved: the version is published now — the K12 notice counts from today, so an effective date that
    came too close while it waited is refused (reject it and save it with a later date). Rejected: it
    stays a draft with the reason."""
    plan = CommissionPlan.objects.select_for_update().filter(pk=request.object_id).first()
    if plan is None or plan.published_at is not None:
        return
    if approved:
        now = timezone.now()
        _check_notice(
            effective_from=plan.effective_from,
            published_at=now,
            override_reason=plan.notice_override_reason,
            by=plan.notice_override_by,
        )
        plan.published_at = now
        plan.published_by = request.requested_by
        plan.approval_status = PlanApproval.APPROVED
        plan.approval_reason = ""
    else:
        from crm.models import StepStatus

        rejected = request.steps.filter(status=StepStatus.REJECTED).order_by("-order").first()
        plan.approval_status = PlanApproval.REJECTED
        plan.approval_reason = (rejected.reason if rejected else "")[:500]
        plan.notice_override_reason = ""
        plan.notice_override_by = None
    plan.save()


def plan_publish(*, plan: CommissionPlan, by: User, override_reason: str = "") -> CommissionPlan:
    if plan.published_at is not None:
        return plan
    return plan_save(
        definition=plan.definition,
        effective_from=plan.effective_from,
        effective_to=plan.effective_to,
        publish=True,
        override_reason=override_reason,
        by=by,
    )


def plan_export(*, plan: CommissionPlan) -> dict[str, Any]:
    """The plan as a file: its definition plus its version dates (what plan_import reads back)."""
    return {
        **plan.definition,
        "effective_from": plan.effective_from.isoformat(),
        "effective_to": plan.effective_to.isoformat() if plan.effective_to else None,
    }


def plan_import(
    *,
    data: Any,
    effective_from: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
    skip_approval: bool = False,
) -> CommissionPlan:
    if not isinstance(data, dict):
        raise DomainError(_("方案文件必须是 JSON 对象。"))
    data = dict(data)
    raw_from = data.pop("effective_from", None)
    raw_to = data.pop("effective_to", None)
    try:
        start = effective_from or (dt.date.fromisoformat(raw_from) if raw_from else None)
        end = dt.date.fromisoformat(raw_to) if raw_to else None
    except (TypeError, ValueError):
        raise DomainError(_("生效/失效日期格式应为 YYYY-MM-DD。"), field="effective_from") from None
    if start is None:
        raise DomainError(_("请指定生效日期。"), field="effective_from")
    return plan_save(
        definition=data,
        effective_from=start,
        effective_to=end,
        publish=publish,
        override_reason=override_reason,
        by=by,
        skip_approval=skip_approval,
    )


def plan_assign(
    *,
    plan: CommissionPlan,
    starts_on: dt.date,
    user: User | None = None,
    role: str = "",
    partner_kind: str = "",
    ends_on: dt.date | None = None,
    grade: str = "",
) -> PlanAssignment:
    if sum(bool(x) for x in (user, role, partner_kind)) != 1:
        raise DomainError(_("适用对象须且只能是一名员工、一个角色或一类合伙人。"))
    obj, _created = PlanAssignment.objects.get_or_create(
        plan=plan,
        user=user,
        role=role,
        partner_kind=partner_kind,
        starts_on=starts_on,
        defaults={"ends_on": ends_on, "grade": grade},
    )
    return obj


def plan_objection_deadline(plan: CommissionPlan) -> dt.date | None:
    """K12: an objection is raised within the notice period after publication (001: 公布后一个月内;
    `CommissionPolicy.plan_notice_days`, default 30)."""
    if plan.published_at is None:
        return None
    published = timezone.localtime(plan.published_at).date()
    return published + dt.timedelta(days=policy_on(published).plan_notice_days)


@transaction.atomic
def plan_objection_raise(*, plan: CommissionPlan | int, by: User, text: str) -> PlanObjection:
    """K12: a payee the announced version will pay objects to it, in writing, within the notice period."""
    from commissions.selectors import plan_concerns

    pk = plan.pk if isinstance(plan, CommissionPlan) else plan
    found = CommissionPlan.objects.filter(pk=pk, published_at__isnull=False).first()
    if found is None or not plan_concerns(user=by, plan=found, today=timezone.localdate()):
        raise DomainError(_("只能对适用于您的已公布方案提出异议。"), code="not_found", status=404)
    if not (text or "").strip():
        raise DomainError(_("请填写异议内容。"), field="text")
    deadline = plan_objection_deadline(found)
    today = timezone.localdate()
    if deadline is None or today > deadline:
        raise DomainError(
            _("异议须在方案公布后 %(date)s 之前提出，已过期限。") % {"date": deadline}, field="text"
        )
    return PlanObjection.objects.create(plan=found, user=by, text=text.strip()[:2000])
