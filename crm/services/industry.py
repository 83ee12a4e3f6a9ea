"""001 第八章: reps sell only within their own industry (先报备者优先 within it) unless a manager allows
another one. Enforced at customer creation, lead assignment and pool claims; `CRM_INDUSTRY_RESTRICTION`
switches it off (default on, as the seed says)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm.models import Industry, IndustryPermit, User


def industry_allowed(*, user: User, industry_id: int | None) -> bool:
    """Someone with no industry on record (managers, admins) and a customer with no industry are free."""
    if not getattr(settings, "CRM_INDUSTRY_RESTRICTION", True) or industry_id is None:
        return True
    own = set(user.industries.values_list("id", flat=True))
    if not own or industry_id in own:
        return True
    return IndustryPermit.objects.filter(user=user, industry_id=industry_id).exists()


def industry_check(*, user: User, industry_id: int | None, field: str = "industry") -> None:
    if industry_allowed(user=user, industry_id=industry_id):
        return
    own = _("、").join(str(i) for i in user.industries.order_by("name"))
    other = Industry.objects.filter(pk=industry_id or 0).values_list("name", flat=True).first() or ""
    raise DomainError(
        _("%(user)s 所属行业为%(own)s，不能销售“%(other)s”行业的客户；如需跨行业销售，请由经理批准。")
        % {"user": user, "own": own, "other": other},
        code="outside_industry",
        field=field,
        status=403,
    )


def industry_permit_grant(*, user: User, industry: Industry, by: User, note: str = "") -> IndustryPermit:
    """A manager of the rep's team (or the top roles) allows another industry."""
    from crm import policy

    if by.pk == user.pk or not (by.sees_everything or user.pk in policy.team_member_ids(by)):
        raise DomainError(_("只有该员工的上级经理可以批准跨行业销售。"), code="not_allowed", status=403)
    permit, _created = IndustryPermit.objects.get_or_create(
        user=user, industry=industry, defaults={"granted_by": by, "note": note[:200]}
    )
    return permit
