"""P2 partners and referrals; P4 account-executive attachment."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import Conflict, DomainError
from crm import policy as crm_policy
from crm.models import Customer, Order, Role, User
from crm.policy import team_member_ids
from partners.models import ExecutiveAttachment, Partner, PartnerKind, Referral
from partners.policy import can_record_referral
from partners.selectors import policy_for

PARTNER_FIELDS = {
    "name",
    "kind",
    "region",
    "phone",
    "contact",
    "bank_name",
    "account_holder",
    "account_number",
    "is_active",
}


def _require_admin(by: User) -> None:
    if not (by.sees_everything or by.has_role(Role.ADMIN)):
        raise DomainError(_("只有系统管理员可以登记合伙人。"), code="forbidden", status=403)


@transaction.atomic
def partner_register(*, by: User, username: str = "", password: str = "", **data: Any) -> Partner:
    """P2: an admin registers a partner; with a username, a login with the `partner` role is created."""
    _require_admin(by)
    unknown = set(data) - PARTNER_FIELDS
    if unknown:
        raise DomainError(_("未知字段：%(f)s") % {"f": ", ".join(sorted(unknown))}, code="invalid")
    if not (data.get("name") or "").strip():
        raise DomainError(_("请填写合伙人姓名。"), code="required", field="name")
    if data.get("kind") not in PartnerKind.values:
        raise DomainError(_("请选择合伙人类别。"), code="required", field="kind")
    if data["kind"] == PartnerKind.STRATEGIC and not data.get("region"):
        raise DomainError(_("战略合伙人必须指定区域（区域客户管理权）。"), code="required", field="region")
    partner = Partner(**data)
    partner.full_clean(exclude=["user"])
    username = (username or "").strip()
    if username:
        if User.objects.filter(username=username).exists():
            raise DomainError(_("登录名“%(u)s”已被使用。") % {"u": username}, code="taken", field="username")
        if len(password or "") < 8:
            raise DomainError(_("登录密码至少8位。"), code="weak_password", field="password")
        user = User.objects.create_user(username=username, password=password, display_name=data["name"])
        user.groups.add(Group.objects.get_or_create(name=Role.PARTNER)[0])
        partner.user = user
    partner.save()
    return partner


def referral_create(
    *,
    partner: Partner,
    customer: Customer,
    by: User,
    share: Decimal | str | None = None,
    order: Order | None = None,
    note: str = "",
) -> Referral:
    """P2/P4: a partner referred a customer (any region, both kinds). `share` defaults to the policy."""
    if not can_record_referral(by):
        raise DomainError(_("只有经理或管理员可以登记合伙人推荐。"), code="forbidden", status=403)
    if not partner.is_active:
        raise DomainError(_("该合伙人已停用。"), code="inactive_partner", field="partner")
    if order is not None and order.customer_id != customer.pk:
        raise DomainError(_("订单不属于该客户。"), code="invalid_order", field="order")
    if order is not None and order.credit_shares.exists():
        raise Conflict(
            _("该订单的业绩分配已在下单时确定，不能再登记推荐。"), code="already_frozen", field="order"
        )
    try:
        value = policy_for().referral_share if share in (None, "") else Decimal(str(share))
    except InvalidOperation:
        raise DomainError(_("推荐比例必须是数字。"), code="invalid_share", field="share") from None
    if value <= 0 or value >= 1:
        raise DomainError(_("推荐比例必须大于0且小于100%。"), code="invalid_share", field="share")
    return Referral.objects.create(
        partner=partner, customer=customer, order=order, share=value, note=note[:200], created_by=by
    )


def _may_attach(by: User, customer: Customer) -> bool:
    """[002 §10] the account manager decides; their managers and the top roles may record it too."""
    if by.sees_everything or by.pk == customer.owner_id:
        return True
    return customer.owner_id is not None and customer.owner_id in team_member_ids(by)


@transaction.atomic
def account_executive_attach(*, customer: Customer, executive: User, by: User) -> ExecutiveAttachment:
    """P4 [002 §10]: attach a customer executive; credit is then 70:30 (policy). Cannot be ended."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not _may_attach(by, customer):
        raise DomainError(
            _("只有该客户的客户经理（或其上级）可以安排客户执行。"), code="forbidden", status=403
        )
    existing = ExecutiveAttachment.objects.filter(customer=customer).select_related("executive").first()
    if existing is not None:
        if existing.executive_id == executive.pk:
            return existing
        raise Conflict(
            _("该客户已由%(who)s担任客户执行，一经选择不能终止或更换。") % {"who": existing.executive},
            code="executive_locked",
            field="executive",
        )
    if not executive.is_active:
        raise DomainError(_("不能选择已停用的用户。"), code="inactive_user", field="executive")
    if executive.pk == customer.owner_id:
        raise DomainError(_("客户执行不能是客户经理本人。"), code="same_person", field="executive")
    if not crm_policy.is_account_executive(executive):
        raise DomainError(_("所选用户不是客户执行。"), code="not_executive", field="executive")
    attachment = ExecutiveAttachment.objects.create(
        customer=customer, executive=executive, attached_by=by, attached_at=timezone.now()
    )
    Customer.objects.filter(pk=customer.pk).update(account_executive=executive, updated_at=timezone.now())
    return attachment


def account_executive_detach(*, customer: Customer, by: User) -> None:
    """P4 [002 §10]: 一旦选择，不能终止 — always refused."""
    raise Conflict(
        _("客户执行一经选择不能终止（客户执行佣金管理规定第1条）。"),
        code="executive_locked",
        field="executive",
    )
