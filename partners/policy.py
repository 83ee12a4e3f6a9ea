"""Who may see and do what with partners, collisions (撞单) and credit (SPEC §3, P2–P4): the one place
pages, the API, menus and reports ask. Role facts (who is a partner, a manager, finance) come from
`crm.policy`; this module never restates them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from common.menu import count_capped
from crm import policy as crm_policy
from crm.extensions import SearchScope
from crm.models import Customer, Order, Role
from partners import selectors
from partners.disclosure import CaseDisclosure, disclosure_for, party_user_ids
from partners.models import CollisionCase, CollisionStatus, Partner

# --------------------------------------------------------------------------------------------------
# Scopes
# --------------------------------------------------------------------------------------------------


def partner_of(user: Any) -> Partner | None:
    """The active partner a login acts for (P2), or None."""
    if not crm_policy.is_signed_in(user):
        return None
    if not hasattr(user, "_policy_partner"):  # once per user object (the menu asks several times)
        user._policy_partner = selectors.partner_for_user(user)
    return user._policy_partner  # type: ignore[no-any-return]


def collisions_visible_to(user: Any) -> QuerySet[CollisionCase]:
    """Parties (reps and partners' logins), the region's manager, the parties' managers, the top roles."""
    if not crm_policy.is_signed_in(user):
        return CollisionCase.objects.none()
    return selectors.collision_list_visible_to(user=user)


def collision_inbox(user: Any) -> QuerySet[CollisionCase]:
    if not crm_policy.is_signed_in(user):
        return CollisionCase.objects.none()
    return selectors.collision_inbox(user=user)


def collision_visible(user: Any, pk: int) -> CollisionCase | None:
    if not crm_policy.is_signed_in(user):
        return None
    return selectors.collision_get_visible(user=user, pk=pk)


def collision_disclosure(user: Any, case: CollisionCase) -> CaseDisclosure:
    """Issue 17: whether this viewer learns the customer and the other parties behind a case: the top
    roles, the case's decider, and whoever sees the customer anyway (its owner, their managers). A party
    that may not see it learns only "exists, a case was opened", sees itself by name and "the other party"."""
    reveal = crm_policy.is_signed_in(user) and (
        crm_policy.sees_everything(user)
        or selectors.is_case_decider(case, user)
        or crm_policy.can_view_customer(user, case.customer)
    )
    return disclosure_for(case=case, viewer_id=getattr(user, "pk", None), reveal=reveal)


def collision_disclosures(user: Any, cases: list[CollisionCase]) -> dict[int, CaseDisclosure]:
    """The same for a page of cases: the region's deciding manager and the top roles without a query,
    the others with one query for the customers they see."""
    if not cases:
        return {}
    viewer_id = getattr(user, "pk", None)
    signed_in = crm_policy.is_signed_in(user)

    def decides(case: CollisionCase) -> bool:
        manager_id = case.region.manager_id if case.region is not None else None
        return manager_id == viewer_id and viewer_id not in party_user_ids(case).values()

    revealed = {c.pk for c in cases if signed_in and decides(c)}
    rest = [c for c in cases if c.pk not in revealed]
    if rest and signed_in:
        if crm_policy.sees_everything(user):
            revealed |= {c.pk for c in rest}
        else:
            seen = set(
                crm_policy.customers_visible_to(user)
                .filter(pk__in={c.customer_id for c in rest})
                .values_list("pk", flat=True)
            )
            revealed |= {c.pk for c in rest if c.customer_id in seen}
    return {c.pk: disclosure_for(case=c, viewer_id=viewer_id, reveal=c.pk in revealed) for c in cases}


def order_credit_visible(user: Any, pk: int) -> Order | None:
    """An order's credit split: whoever sees its customer, and its credit holders."""
    if not crm_policy.is_signed_in(user):
        return None
    return selectors.order_get_credit_visible(user=user, pk=pk)


# --------------------------------------------------------------------------------------------------
# Pages and actions
# --------------------------------------------------------------------------------------------------


def can_open_portal(user: Any) -> bool:
    """P2: the partner portal is for a login linked to an active partner."""
    return partner_of(user) is not None


def can_open_collisions(user: Any) -> bool:
    """The 撞单 inbox: employees of the sales side and partners (a partner can be a party to a case)."""
    return crm_policy.works_in_sales(user) or can_open_portal(user)


def can_open_collision_report(user: Any) -> bool:
    """The per-team collision report is for people with a team (or who see everything)."""
    return crm_policy.works_in_sales(user) and (
        crm_policy.sees_everything(user) or len(crm_policy.team_member_ids(user)) > 1
    )


def can_manage_partners(user: Any) -> bool:
    """P2: registering partners and listing all of them is for admins (and those who see everything)."""
    return crm_policy.is_signed_in(user) and (crm_policy.sees_everything(user) or user.has_role(Role.ADMIN))


def can_record_referral(user: Any) -> bool:
    """Managers and admins record referrals; partners and reps do not (a partner sees no other partner)."""
    return crm_policy.works_in_sales(user) and (
        crm_policy.sees_everything(user)
        or user.has_role(Role.ADMIN, Role.DIRECTOR, Role.REGIONAL_MANAGER, Role.SALES_MANAGER)
    )


def can_decide_collision(user: Any, case: CollisionCase) -> bool:
    """P3.4: an escalated case is decided by its regional manager (the top roles when none is on record)."""
    return (
        crm_policy.is_signed_in(user)
        and case.status == CollisionStatus.ESCALATED
        and selectors.is_case_decider(case, user)
    )


def can_attach_executives(user: Any) -> bool:
    """Arranging account executives is done from the customer book (the sales side)."""
    return crm_policy.can_open_customers(user)


def can_attach_executive(user: Any, customer: Customer) -> bool:
    """An account executive is arranged on a customer the user sees (C11)."""
    return crm_policy.can_view_customer(user, customer)


def collisions_waiting_count(user: Any) -> int:
    """For the menu badge: open cases in my 撞单 inbox (one query, once per user object: the 撞单 entry and
    the approvals centre's total both show it)."""
    if not can_open_collisions(user):
        return 0
    cached: int | None = getattr(user, "_collisions_waiting", None)
    if cached is None:
        cached = count_capped(collision_inbox(user))
        user._collisions_waiting = cached
    return cached


def search_scope(*, user: Any) -> SearchScope | None:
    """Issue 16: a partner's login searches only its portal's scope (P2) — its own and referred
    customers and the orders it holds credit on — and every hit opens the portal (a partner never
    opens a CRM page). Registered with crm's global search (crm.extensions)."""
    partner = partner_of(user)
    if partner is None:
        return None
    return SearchScope(
        customers=selectors.partner_customers(partner),
        orders=selectors.partner_orders(partner),
        link=reverse("partners:portal"),
    )
