"""Writes for the customer book (SPEC §1). Views, the API and the admin all call these."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.audit import audit_record, diff, snapshot
from common.deferred_text import Words, words, words_json, words_stored_text
from common.errors import Conflict, DomainError
from common.timeutil import date_in_sane_range, local_date, sane_range_message, start_of_local_day
from crm import policy
from crm.extensions import CollisionCaseRef, open_collision
from crm.models import (
    Contact,
    Customer,
    FollowUp,
    Grade,
    GradeChange,
    KeyAccountClass,
    KeyAccountClassChange,
    Outing,
    OwnershipChange,
    OwnershipReason,
    ReviewStatus,
    Role,
    User,
)
from crm.selectors import customer_find_duplicate, normalize_name, normalize_phone
from crm.services.tasks import task_from_followup

PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}\d{7,8}(\d{1,6})?|400\d{7})$")
CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class DuplicateCustomer(Conflict):
    """C2: the customer already exists. Tells who owns it, never its contacts."""

    def __init__(self, existing: Customer) -> None:
        if existing.owner_id is None:
            msg = _("客户“%(name)s”已在公海中，可以直接领取，无需重复录入。") % {"name": existing.name}
        else:
            # Issue 17: who owns it (and under which name a phone or credit code is registered) is
            # not the enquirer's to learn; the collision case (P3) is where ownership is settled.
            msg = _("该客户已存在（名称、电话或统一社会信用代码与已有客户相同），请勿重复录入。")
        super().__init__(msg, code="duplicate_customer", field="name", existing_id=existing.pk)
        self.existing = existing


class CollisionOpened(DuplicateCustomer):
    """C2 + P3: the customer exists under someone else; a collision case was opened, no twin created."""

    def __init__(self, existing: Customer, case: CollisionCaseRef) -> None:
        super().__init__(existing)
        # Issue 17: "exists, a case was opened" — never which company or which colleague holds it.
        self.message = _(
            "该客户已存在，系统已为您发起撞单处理（编号 #%(case)s），"
            "请在“撞单”中查看进展并提交证据，未创建重复客户。"
        ) % {"case": case.pk}
        self.args = (str(self.message),)
        self.code = "collision_opened"
        self.extra["collision_id"] = case.pk
        self.case = case


def validate_phone(phone: str, *, field: str = "phone") -> str:
    normalized = normalize_phone(phone)
    if not PHONE_RE.match(normalized):
        raise DomainError(
            _("电话号码格式不正确：请填写11位手机号或带区号的座机号。"), code="invalid_phone", field=field
        )
    return normalized


def validate_credit_code(code: str) -> str:
    code = (code or "").strip().upper()
    if code and not CREDIT_CODE_RE.match(code):
        raise DomainError(
            _("统一社会信用代码应为18位（数字或大写字母）。"), code="invalid_credit_code", field="credit_code"
        )
    return code


def record_ownership_change(
    *,
    customer: Customer,
    to_user: User | None,
    reason: str,
    by: User | None,
    note: str | Words = "",
    at: dt.datetime | None = None,
    collision_id: int | None = None,
) -> OwnershipChange:
    """P1: the one place an owner changes. Callers hold the customer row (select_for_update) when racing.
    `collision_id`: the P3 collision case that decided the change, if any. A note the system writes is
    given as `Words` (issue 15): stored in Chinese and read in the reader's language."""
    at = at or timezone.now()
    change = OwnershipChange.objects.create(
        customer=customer,
        collision_id=collision_id,
        from_user_id=customer.owner_id,
        to_user=to_user,
        reason=reason,
        note=words_stored_text(note)[:500],
        note_words=words_json(note) if isinstance(note, Words) else None,
        changed_by=by,
        changed_at=at,
    )
    customer.owner = to_user
    customer.owned_since = at if to_user else None
    customer.save(update_fields=["owner", "owned_since", "updated_at"])
    return change


def _first_contact_checked(
    *, first_contact_on: dt.date | None, late_entry_reason: str, now: dt.datetime
) -> dt.datetime:
    """003 §4.3: a new customer is entered within CUSTOMER_ENTRY_DAYS (7) of first contact; up to
    CUSTOMER_ENTRY_MAX_DAYS (10) with a reason ("特殊情况"); never later. Returns the first-contact time."""
    if first_contact_on is None:
        return now
    if isinstance(first_contact_on, dt.datetime):
        first_contact_on = local_date(first_contact_on)
    today = local_date(now)
    if first_contact_on > today:
        raise DomainError(
            _("首次接触日期不能晚于今天。"), code="first_contact_future", field="first_contact_on"
        )
    late = (today - first_contact_on).days
    normal = int(settings.CUSTOMER_ENTRY_DAYS)
    most = int(settings.CUSTOMER_ENTRY_MAX_DAYS)
    if late > most:
        raise DomainError(
            _("首次接触已过去 %(late)s 天，超过新客户录入的最长期限（%(most)s 天），不能再录入。")
            % {"late": late, "most": most},
            code="entry_too_late",
            field="first_contact_on",
        )
    if late > normal and not late_entry_reason:
        raise DomainError(
            _("首次接触已过去 %(late)s 天，超过 %(normal)s 天须填写逾期录入原因。")
            % {"late": late, "normal": normal},
            code="late_entry_reason_required",
            field="late_entry_reason",
        )
    if first_contact_on == today:
        return now
    return start_of_local_day(first_contact_on)


def partner_of(user: User | None) -> Any:
    """The partner record behind a partner's login (None for staff). Reverse one-to-one, no import."""
    if user is None or not user.pk:
        return None
    try:
        return user.partner  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None


def partner_rights_check(*, user: User | None, region_id: int | None) -> None:
    """P2 (000 §4.1.2–4.1.3): a strategic partner manages customers only in their own region; an ordinary
    partner holds referral rights only and never owns a customer. Called wherever someone would become a
    customer's owner (create, claim, assign)."""
    partner = partner_of(user)
    if partner is None:
        return
    if partner.kind != "strategic":
        raise DomainError(
            _("普通合伙人只有推荐权，不能拥有客户；请由经理登记为合伙人推荐。"),
            code="partner_cannot_own",
            status=403,
        )
    if region_id != partner.region_id:
        raise DomainError(
            _("战略合伙人只能管理本大区（%(region)s）的客户。") % {"region": partner.region},
            code="partner_outside_region",
            status=403,
            field="region",
        )


def customer_create(*, by: User, owner: User | None = None, **data: Any) -> Customer:
    """C1/C2/C5: create a customer owned by `owner` (default: the creator), pending the manager's review.

    Raises DuplicateCustomer (no twin saved) when it matches an existing customer. When that customer
    belongs to someone else, a P3 collision case is opened first through the collision extension point
    (kept even though this raises) and the error is `CollisionOpened` (a DuplicateCustomer naming the case).
    """
    try:
        return _customer_create(by=by, owner=owner, **data)
    except DuplicateCustomer as exc:
        claimant = owner or by
        existing = exc.existing
        if existing.owner_id is None or claimant.pk in (existing.owner_id, existing.account_executive_id):
            raise
        case = open_collision(
            customer=existing,
            claimant=claimant,
            by=by,
            source="customer_create",
            evidence={
                "entered_name": str(data.get("name") or "")[:200],
                "entered_phone": str(data.get("phone") or "")[:40],
                "entered_credit_code": str(data.get("credit_code") or "")[:40],
            },
        )
        if case is None:
            raise
        raise CollisionOpened(existing, case) from None


@transaction.atomic
def _customer_create(*, by: User, owner: User | None = None, **data: Any) -> Customer:
    # Issue 17: a key-account class is never typed in; asking for one opens an approval (C4).
    wanted_class = data.pop("key_account_class", "") or ""
    customer = _customer_insert(by=by, owner=owner, **data)
    if wanted_class:
        key_account_class_request(customer=customer, to_class=wanted_class, by=by)
    return customer


def _customer_insert(*, by: User, owner: User | None = None, **data: Any) -> Customer:
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_("请填写客户名称。"), code="required", field="name")
    for field, label in (
        ("contact_person", _("联系人")),
        ("contact_position", _("联系人职务")),
        ("phone", _("联系电话")),
        ("status", _("客户状态")),
    ):
        if not (str(data.get(field) or "")).strip():
            raise DomainError(_("请填写%(label)s。") % {"label": label}, code="required", field=field)
    if not normalize_name(name):
        raise DomainError(_("客户名称不能只包含标点或空格。"), code="invalid_name", field="name")
    data["phone"] = validate_phone(data["phone"])
    data["credit_code"] = validate_credit_code(data.get("credit_code", ""))
    existing = customer_find_duplicate(name=name, phone=data["phone"], credit_code=data["credit_code"])
    if existing:
        raise DuplicateCustomer(existing)
    owner = owner or by
    partner = partner_of(owner)
    if partner is not None and not data.get("region") and partner.region_id:
        data["region"] = partner.region  # a strategic partner's customers are in their region
    region = data.get("region")
    partner_rights_check(user=owner, region_id=getattr(region, "pk", region))
    if owner.pk == by.pk:  # 001 第八章 (a manager entering it for a rep is the manager's allowance)
        from crm.services.industry import industry_check

        industry = data.get("industry")
        industry_check(user=owner, industry_id=getattr(industry, "pk", industry))
    now = timezone.now()
    data["first_contact_at"] = _first_contact_checked(
        first_contact_on=data.pop("first_contact_on", None),
        late_entry_reason=str(data.get("late_entry_reason") or "").strip(),
        now=now,
    )
    customer = Customer(
        **{**data, "name": name},
        name_normalized=normalize_name(name),
        owner=owner,
        owned_since=now,
        created_by=by,
        review_status=ReviewStatus.APPROVED if by.sees_everything else ReviewStatus.PENDING,
    )
    customer.full_clean(exclude=["name_normalized", "owner", "created_by"])
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        # Someone created the same customer a moment ago (the unique constraint caught it).
        existing = customer_find_duplicate(name=name, phone=data["phone"], credit_code=data["credit_code"])
        if existing:
            raise DuplicateCustomer(existing) from None
        raise
    OwnershipChange.objects.create(
        customer=customer,
        from_user=None,
        to_user=owner,
        reason=OwnershipReason.CREATED,
        changed_by=by,
        changed_at=now,
    )
    GradeChange.objects.create(customer=customer, from_grade="", to_grade=customer.grade, changed_by=by)
    Contact.objects.create(
        customer=customer,
        name=customer.contact_person,
        position=customer.contact_position,
        phone=customer.phone,
    )
    return customer


UPDATABLE_FIELDS = {
    "name",
    "credit_code",
    "contact_person",
    "contact_position",
    "phone",
    "status",
    "grade",
    "key_account_class",
    "region",
    "industry",
    "address",
    "website",
    "source",
    "notes",
    "tags",
}


@transaction.atomic
def customer_update(*, customer: Customer, by: User, reason: str = "", **data: Any) -> Customer:
    """Edit a customer; a grade change is recorded (C3)."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise DomainError(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))}, code="readonly")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    old_grade = customer.grade
    before = snapshot(customer)
    # Issue 17: the class raises the owner's commission (K5), so it is asked for, not set (C4).
    wanted_class = data.pop("key_account_class", customer.key_account_class) or ""
    if "phone" in data:
        data["phone"] = validate_phone(data["phone"])
    if "credit_code" in data:
        data["credit_code"] = validate_credit_code(data["credit_code"])
    if "name" in data:
        data["name"] = data["name"].strip()
        new_norm = normalize_name(data["name"])
        if new_norm != customer.name_normalized:
            clash = Customer.objects.filter(name_normalized=new_norm).exclude(pk=customer.pk).first()
            if clash:
                raise DuplicateCustomer(clash)
            customer.name_normalized = new_norm
    for key, value in data.items():
        setattr(customer, key, value)
    if customer.grade not in Grade.values:
        raise DomainError(_("客户等级无效。"), code="invalid_grade", field="grade")
    customer.full_clean(exclude=["name_normalized", "owner", "created_by"])
    customer.save()
    if customer.grade != old_grade:
        GradeChange.objects.create(
            customer=customer,
            from_grade=old_grade,
            to_grade=customer.grade,
            changed_by=by,
            reason=reason[:200],
        )
    # Issue 17: customer edits are in the audit trail with before/after values.
    changes = diff(before, snapshot(customer))
    changes.pop("updated_at", None)
    if changes:
        audit_record(action="customer_changed", actor=by, obj=customer, changes=changes)
    if wanted_class != customer.key_account_class:
        key_account_class_request(customer=customer, to_class=wanted_class, by=by, reason=reason)
    return customer


@transaction.atomic
def key_account_class_request(
    *, customer: Customer, to_class: str, by: User, reason: str = ""
) -> KeyAccountClassChange:
    """C4 / issue 17: ask for a key-account class change. The authority matrix routes it (regional
    manager or above by default); the class changes only when the request is approved, and every
    request stays in the class history."""
    from crm.services.approvals import approval_request_create

    if to_class not in KeyAccountClass.values:
        raise DomainError(_("大客户分类无效。"), code="invalid_choice", field="key_account_class")
    if to_class == customer.key_account_class:
        raise DomainError(_("大客户分类没有变化。"), code="unchanged", field="key_account_class")
    if KeyAccountClassChange.objects.filter(
        customer=customer, status=KeyAccountClassChange.Status.PENDING
    ).exists():
        raise DomainError(
            _("该客户已有一个大客户分类变更在审批中，请等待审批结果。"),
            code="pending",
            field="key_account_class",
        )
    audit_record(
        action="customer_changed",
        actor=by,
        obj=customer,
        changes={"key_account_class": {"from": customer.key_account_class, "to": to_class}},
        detail={"status": "requested"},
    )
    change = KeyAccountClassChange.objects.create(
        customer=customer,
        from_class=customer.key_account_class,
        to_class=to_class,
        reason=(reason or "")[:200],
        requested_by=by,
    )
    approval_request_create(
        kind="key_account_class",
        subject=change,
        requested_by=by,
        title=words(
            gettext_noop("%(customer)s 大客户分类：%(old)s → %(new)s"),
            customer=customer.name,
            old=dict(KeyAccountClass.choices).get(change.from_class, change.from_class),
            new=dict(KeyAccountClass.choices).get(change.to_class, change.to_class),
        ),
        customer_owner=customer.owner,
    )
    return change


def key_account_class_on_approval(*, request: Any, approved: bool, by: User, rate: Any) -> None:
    """The approval engine's handler: apply the class once the chain approved it."""
    change = KeyAccountClassChange.objects.select_for_update().get(pk=request.object_id)
    change.status = (
        KeyAccountClassChange.Status.APPROVED if approved else KeyAccountClassChange.Status.REJECTED
    )
    change.decided_by = by
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    if approved:
        Customer.objects.filter(pk=change.customer_id).update(
            key_account_class=change.to_class, updated_at=timezone.now()
        )
        audit_record(
            action="customer_changed",
            actor=by,
            obj=change.customer,
            changes={"key_account_class": {"from": change.from_class, "to": change.to_class}},
            detail={"status": "approved"},
        )


def can_review(*, user: User, customer: Customer) -> bool:
    """C5 / 003 §4.2: the owner's department manager (or anyone above) or that department's assistant
    reviews. The president's assistant reviews no other team's customers."""
    if user.pk == customer.owner_id:
        return False
    if user.sees_everything:
        return True
    owner_id = customer.owner_id
    if (
        user.has_role(Role.DEPARTMENT_ASSISTANT)
        and user.department_id is not None
        and owner_id is not None
        and User.objects.filter(id=owner_id, department_id=user.department_id).exists()
    ):
        return True
    if not user.has_role(Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR):
        return False
    return customer.owner_id in policy.team_member_ids(user)


REVIEW_TRANSITIONS: dict[str, set[str]] = {
    ReviewStatus.PENDING: {ReviewStatus.APPROVED, ReviewStatus.REJECTED},
}


@transaction.atomic
def customer_review_transition(*, customer: Customer, by: User, to: str, reason: str = "") -> Customer:
    """C5: approve or reject a pending customer; a rejection needs a reason."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if to not in REVIEW_TRANSITIONS.get(customer.review_status, set()):
        raise Conflict(_("该客户已审核，不能重复操作。"), code="already_reviewed")
    if not can_review(user=by, customer=customer):
        raise DomainError(_("您无权审核该客户。"), code="forbidden", status=403)
    reason = (reason or "").strip()
    if to == ReviewStatus.REJECTED and not reason:
        raise DomainError(_("驳回时请填写原因。"), code="reason_required", field="reason")
    customer.review_status = to
    customer.reviewed_by = by
    customer.reviewed_at = timezone.now()
    customer.review_reason = reason[:500]
    customer.save(
        update_fields=["review_status", "reviewed_by", "reviewed_at", "review_reason", "updated_at"]
    )
    _notify_review(customer, by=by)
    return customer


def _notify_review(customer: Customer, *, by: User) -> None:
    """Issue 15: the owner learns the outcome of their new customer's review (and why, if rejected)."""
    from django.urls import reverse

    from common.notifications import notify

    if customer.review_status == ReviewStatus.APPROVED:
        text = words(gettext_noop("%(by)s 已通过新客户「%(c)s」的审核。"), by=by, c=customer.name)
    else:
        text = words(
            gettext_noop("%(by)s 驳回了新客户「%(c)s」：%(r)s"),
            by=by,
            c=customer.name,
            r=customer.review_reason,
        )
    owner = customer.owner
    link = reverse("crm:customer_detail", args=[customer.pk])
    transaction.on_commit(lambda: notify(users=[owner], text=text, link=link))


def contact_create(*, customer: Customer, by: User, **data: Any) -> Contact:
    if not (data.get("name") or "").strip():
        raise DomainError(_("请填写联系人姓名。"), code="required", field="name")
    if not (data.get("position") or "").strip():
        raise DomainError(_("请填写联系人职务。"), code="required", field="position")
    if data.get("phone"):
        data["phone"] = validate_phone(data["phone"])
    contact = Contact(customer=customer, **data)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def followup_create(*, customer: Customer, by: User, **data: Any) -> FollowUp:
    """C7: log a follow-up; the customer's last-contacted time moves forward (never back)."""
    if not (data.get("topic") or "").strip():
        raise DomainError(_("请填写沟通主题。"), code="required", field="topic")
    occurred_at = data.get("occurred_at") or timezone.now()
    if occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise DomainError(_("沟通时间不能晚于现在。"), code="future", field="occurred_at")
    # Issue 17: a follow-up dated year 0001 (or a next step in 9999) is a typo, refused.
    if not date_in_sane_range(occurred_at.date()):
        raise DomainError(sane_range_message(), code="out_of_range", field="occurred_at")
    if data.get("next_date") and not date_in_sane_range(data["next_date"]):
        raise DomainError(sane_range_message(), code="out_of_range", field="next_date")
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise DomainError(_("联系人不属于该客户。"), code="invalid_contact", field="contact")
    opportunity = data.get("opportunity")
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise DomainError(_("商机不属于该客户。"), code="invalid_opportunity", field="opportunity")
    followup = FollowUp(customer=customer, author=by, **{**data, "occurred_at": occurred_at})
    followup.full_clean(exclude=["customer", "author"])
    followup.save()
    # One UPDATE that only moves forward, so a late entry of an old visit never rewinds the clock
    # and concurrent writers cannot lose each other's update.
    Customer.objects.filter(pk=customer.pk).filter(
        Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=occurred_at)
    ).update(last_contacted_at=occurred_at, updated_at=timezone.now())
    Customer.objects.filter(pk=customer.pk, first_contact_at__isnull=True).update(
        first_contact_at=occurred_at
    )
    customer.refresh_from_db(fields=["last_contacted_at", "first_contact_at"])
    # Issue 16: the next step (下一步) with its date lands on the author's "my day" as a task.
    task_from_followup(followup=followup, by=by)
    return followup


def outing_vague_message(text: str) -> str | None:
    """C8: "外出", "见客户" and the like do not name a customer."""
    cleaned = normalize_name(text)
    if not cleaned:
        return _("请填写要拜访的客户名称。")
    vague = {normalize_name(w) for w in settings.CRM_OUTING_VAGUE_WORDS}
    if cleaned in vague or len(cleaned) < 2:
        return _("“%(text)s”不是客户名称：请填写要拜访的客户公司全称（必须是系统中的客户）。") % {
            "text": text.strip()
        }
    return None


@transaction.atomic
def outing_register(
    *,
    by: User,
    customer_name: str = "",
    customer: Customer | None = None,
    planned_at: dt.datetime | None = None,
    purpose: str = "",
) -> Outing:
    """C8: register an outing to a real customer in the system the rep may see."""
    if customer is None:
        vague = outing_vague_message(customer_name)
        if vague:
            raise DomainError(vague, code="vague_destination", field="customer_name")
        visible = policy.customer_scope(by)
        customer = visible.filter(name_normalized=normalize_name(customer_name)).first()
        if customer is None:
            raise DomainError(
                _("系统中没有您负责的客户“%(text)s”：请先录入客户，或填写客户全称。")
                % {"text": customer_name.strip()},
                code="unknown_customer",
                field="customer_name",
            )
    planned_at = planned_at or timezone.now()
    return Outing.objects.create(user=by, customer=customer, planned_at=planned_at, purpose=purpose[:200])


def can_assign(*, user: User, customer: Customer) -> bool:
    """A manager may move a customer of their team (the top roles: any customer)."""
    if not policy.has_team_role(user):
        return False
    return user.sees_everything or customer.owner_id in policy.team_member_ids(user)


def customer_assign(*, customer: Customer, to_user: User, by: User, note: str = "") -> Customer:
    """A manager moves a customer to another rep of their team (P1 keeps the change)."""
    from crm.selectors import assignable_users

    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if not can_assign(user=by, customer=customer):
            raise DomainError(_("只有该客户所在团队的经理可以分配客户。"), code="forbidden", status=403)
        if not to_user.is_active:
            raise DomainError(_("不能分配给已停用的用户。"), code="inactive_user", field="to_user")
        if not assignable_users(user=by).filter(pk=to_user.pk).exists():
            raise DomainError(_("只能分配给您团队中的成员。"), code="not_in_team", field="to_user")
        if to_user.pk == customer.owner_id:
            raise DomainError(
                _("该客户已经由%(user)s负责。") % {"user": to_user}, code="same_owner", field="to_user"
            )
        partner_rights_check(user=to_user, region_id=customer.region_id)
        record_ownership_change(
            customer=customer, to_user=to_user, reason=OwnershipReason.ASSIGNED, by=by, note=note[:500]
        )
    return customer


def touch_days_without_contact(customer: Customer, *, now: dt.datetime | None = None) -> int | None:
    return customer.days_without_contact(timezone.localtime(now).date() if now else None)
