"""Who may see and do what with commission statements, ledger lines, the what-if estimator and
forfeits (SPEC K*): the one place pages, the API, menus and reports ask. Role facts come from
`crm.policy`; this module never restates them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from commissions import selectors
from commissions.models import CommissionLine, LineKind, PartnerPerk
from crm import policy as crm_policy
from crm.models import Role
from partners import policy as partners_policy
from partners.models import Partner


def visible_payee_ids(user: Any) -> set[int] | None:
    """Whose statements `user` may see: None = everyone (finance and those who see everything)."""
    return selectors.visible_payee_ids(user=user)


def lines_visible_to(user: Any) -> QuerySet[CommissionLine]:
    """A rep (or partner) their own lines, a manager their team's, finance and the top roles all."""
    if not crm_policy.is_signed_in(user):
        return CommissionLine.objects.none()
    return selectors.lines_visible_to(user=user)


def line_visible(user: Any, pk: int) -> CommissionLine | None:
    if not crm_policy.is_signed_in(user):
        return None
    return selectors.line_get_visible(user=user, pk=pk)


def can_open_statement(user: Any) -> bool:
    """Everyone signed in has a statement: staff their commission, a partner their rebates."""
    return crm_policy.is_signed_in(user)


def can_pick_payee(user: Any) -> bool:
    """Managers, finance and the top roles choose whose statement to read; a rep sees only their own."""
    ids = visible_payee_ids(user)
    return ids is None or len(ids) > 1


def can_open_my_plan(user: Any) -> bool:
    """K12: my commission plans in words, announced changes and objections — the company's people who
    have a statement (a partner's rebate plan is shown in its portal)."""
    return crm_policy.is_internal(user) and can_open_statement(user)


def can_open_what_if(user: Any) -> bool:
    """The what-if estimator (what would this deal pay me under my plan): every employee; a partner's
    rebates are not estimated here."""
    return crm_policy.is_internal(user)


def can_forfeit(user: Any) -> bool:
    """K11: forfeiting a leaver's unpaid commission is for finance, admin, the president and VPs."""
    return crm_policy.is_signed_in(user) and (
        user.is_superuser or user.has_role(Role.FINANCE, Role.ADMIN, Role.PRESIDENT, Role.VP)
    )


def can_manage_plans(user: Any) -> bool:
    """Issue 15 / K12: commission plans are edited (new versions, bands, publishing) by finance and the
    system administrator; an early effective date still needs the administrator (plan services)."""
    return crm_policy.is_signed_in(user) and (user.is_superuser or user.has_role(Role.FINANCE, Role.ADMIN))


# --------------------------------------------------------------------------------------------------
# K14 rewards: sales champions, partner perks, the annual upgrade review
# --------------------------------------------------------------------------------------------------


def _partner_of(user: Any) -> Partner | None:
    return partners_policy.partner_of(user)


def manages_partner_rewards(user: Any) -> bool:
    """Perks are arranged (and recorded as used) by the regional managers for their region's partners,
    and by admin and the top roles for everyone."""
    return crm_policy.is_internal(user) and (
        crm_policy.sees_everything(user) or user.has_role(Role.ADMIN, Role.REGIONAL_MANAGER)
    )


def perks_visible_to(user: Any) -> QuerySet[PartnerPerk]:
    """A partner its own perks; a regional manager its region's partners'; admin and the top roles all."""
    if not crm_policy.is_signed_in(user):
        return PartnerPerk.objects.none()
    partner = _partner_of(user)
    if partner is not None:
        return PartnerPerk.objects.filter(partner=partner)
    if not manages_partner_rewards(user):
        return PartnerPerk.objects.none()
    if crm_policy.sees_everything(user) or user.has_role(Role.ADMIN):
        return PartnerPerk.objects.all()
    return PartnerPerk.objects.filter(partner__region__manager=user)


def can_open_perks(user: Any) -> bool:
    return _partner_of(user) is not None or manages_partner_rewards(user)


def can_redeem_perk(user: Any, perk: PartnerPerk) -> bool:
    """Recording that a perk was used is the staff's (never the partner's own) for a perk they see."""
    return manages_partner_rewards(user) and perks_visible_to(user).filter(pk=perk.pk).exists()


def can_open_upgrade_review(user: Any) -> bool:
    """The quarterly review of annual targets and upgrade candidates (000 §4.3.4–4.3.5)."""
    return manages_partner_rewards(user)


def can_open_champions(user: Any) -> bool:
    """Sales champions are announced to the company; a partner sees only its own awards."""
    return crm_policy.is_signed_in(user)


def champion_lines_visible_to(user: Any) -> QuerySet[CommissionLine]:
    """The champion award lines: every employee sees them all (they are announced); a partner its own."""
    qs = CommissionLine.objects.filter(kind=LineKind.REWARD, source_key__startswith="k14:")
    if not crm_policy.is_signed_in(user):
        return qs.none()
    partner = _partner_of(user)
    if partner is not None:
        return qs.filter(payee_partner=partner)
    return qs if crm_policy.is_internal(user) else qs.none()


def review_partners_visible_to(user: Any) -> QuerySet[Partner]:
    """The partners in a reviewer's upgrade review: a regional manager's region, everyone for the top."""
    if not manages_partner_rewards(user):
        return Partner.objects.none()
    if crm_policy.sees_everything(user) or user.has_role(Role.ADMIN):
        return Partner.objects.all()
    return Partner.objects.filter(region__manager=user)
