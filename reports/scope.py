"""Whose figures a user may see in dashboards and reports (C11). Every report asks here, and only here,
so the scope rules can be pointed at the per-app policies in one place.

`member_ids(user)` is None for "the whole company", else the set of user ids whose figures count.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commissions.models import CommissionLine
from commissions.selectors import lines_visible_to
from crm.models import (
    Contract,
    Customer,
    FollowUp,
    Opportunity,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Role,
    User,
)
from crm.policy import customer_scope, has_team_role, team_member_ids
from partners.models import Partner
from partners.selectors import partner_for_user
from settlements.models import Settlement
from settlements.selectors import settlement_list_visible_to

SALES_ROLES = (Role.REP, Role.ACCOUNT_EXECUTIVE, Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)


def sees_company(user: User) -> bool:
    """President, VP and admin see company-wide figures (C11, as the lists behind them)."""
    return bool(user.sees_everything)


def sees_money_company(user: User) -> bool:
    """Finance sees every order and payment (money in), but no customer book."""
    return bool(sees_company(user) or user.sees_everything or user.has_role(Role.FINANCE))


def member_ids(user: User) -> set[int] | None:
    """C11 "my team" (me alone for a rep); None: the whole company. Computed once per user object."""
    if sees_company(user):
        return None
    cached = getattr(user, "_reports_member_ids", None)
    if cached is None:
        cached = team_member_ids(user) if user.is_authenticated else set()
        user._reports_member_ids = cached  # type: ignore[attr-defined]
    return set(cached)


def money_member_ids(user: User) -> set[int] | None:
    return None if sees_money_company(user) else member_ids(user)


def _by(qs: QuerySet, ids: set[int] | None, field: str) -> QuerySet:
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


def customers(user: User) -> QuerySet[Customer]:
    return customer_scope(user)


def opportunities(user: User) -> QuerySet[Opportunity]:
    return _by(Opportunity.objects.all(), member_ids(user), "owner_id")


def contracts(user: User) -> QuerySet[Contract]:
    """Contracts owned in scope (an approver on a contract's chain does not make it count as theirs)."""
    return _by(Contract.objects.all(), money_member_ids(user), "owner_id")


def orders(user: User) -> QuerySet[Order]:
    return _by(Order.objects.all(), money_member_ids(user), "owner_id")


def order_lines(user: User) -> QuerySet[OrderLine]:
    return _by(OrderLine.objects.all(), money_member_ids(user), "order__owner_id")


def payments(user: User) -> QuerySet[Payment]:
    return _by(Payment.objects.all(), money_member_ids(user), "order__owner_id")


def followups(user: User) -> QuerySet[FollowUp]:
    return _by(FollowUp.objects.all(), member_ids(user), "author_id")


def receivables(user: User) -> QuerySet[Order]:
    """Q6 as `crm.services.receivables.receivables_visible_to` (finance and the top: all; else my team's),
    with the team looked up once per request."""
    return _by(Order.objects.filter(status=OrderStatus.BOOKED), money_member_ids(user), "owner_id")


def commission_lines(user: User) -> QuerySet[CommissionLine]:
    return lines_visible_to(user=user)


def settlements(user: User) -> QuerySet[Settlement]:
    return settlement_list_visible_to(user=user)


def people(user: User) -> QuerySet[User]:
    """The salespeople whose rows a per-person report shows (active, in a sales role, in scope)."""
    qs = User.objects.filter(is_active=True, groups__name__in=SALES_ROLES).distinct()
    return _by(qs, member_ids(user), "id")


def published_people() -> QuerySet[User]:
    """The published rankings (003 §12.4) list every active salesperson, whoever looks."""
    return User.objects.filter(is_active=True, groups__name__in=SALES_ROLES).distinct()


def partner_of(user: User) -> Partner | None:
    return partner_for_user(user)


def manages_people(user: User) -> bool:
    return has_team_role(user)


def in_department(qs: QuerySet, path: str | None, field: str) -> QuerySet:
    """The org-tree filter: rows whose person sits in the department or any of its sub-departments."""
    if not path:
        return qs
    return qs.filter(Q(**{f"{field}__department__path__startswith": path}))
