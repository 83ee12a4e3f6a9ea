"""Whose figures a user may see in dashboards and reports (C11). Every report asks here, and only here,
and each function here asks the policy of the app that owns the rows, so a rule changed there changes
the reports too.

`member_ids(user)` is None for "the whole company", else the set of user ids whose figures count.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commissions import policy as commissions_policy
from commissions.models import CommissionLine
from crm import policy as crm_policy
from crm.models import (
    Contract,
    Customer,
    FollowUp,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    User,
)
from partners import policy as partners_policy
from partners.models import Partner
from settlements import policy as settlements_policy
from settlements.models import Settlement


def member_ids(user: User) -> set[int] | None:
    """C11 "my team" (me alone for a rep); None: the whole company. Computed once per user object."""
    return crm_policy.member_ids_or_all(user)


def money_member_ids(user: User) -> set[int] | None:
    """The person ids whose money figures count (the rollups' person filter): None for finance and the
    top roles, as `crm.policy.money_owned` decides; else my team."""
    return None if crm_policy.sees_all_money(user) else member_ids(user)


def customers(user: User) -> QuerySet[Customer]:
    return crm_policy.customer_scope(user)


def opportunities(user: User) -> QuerySet[Opportunity]:
    return crm_policy.opportunity_scope(user)


def contracts(user: User) -> QuerySet[Contract]:
    """Contracts owned in scope (an approver on a contract's chain does not make it count as theirs)."""
    return crm_policy.money_owned(Contract.objects.all(), user)


def orders(user: User) -> QuerySet[Order]:
    return crm_policy.money_owned(Order.objects.all(), user)


def order_lines(user: User) -> QuerySet[OrderLine]:
    return crm_policy.money_owned(OrderLine.objects.all(), user, "order__owner_id")


def payments(user: User) -> QuerySet[Payment]:
    return crm_policy.money_owned(Payment.objects.all(), user, "order__owner_id")


def followups(user: User) -> QuerySet[FollowUp]:
    return crm_policy.followup_scope(user)


def receivables(user: User) -> QuerySet[Order]:
    """Q6: the receivables list's own scope (finance and the top: all; else my team's)."""
    return crm_policy.receivables_visible_to(user)


def commission_lines(user: User) -> QuerySet[CommissionLine]:
    return commissions_policy.lines_visible_to(user)


def settlements(user: User) -> QuerySet[Settlement]:
    return settlements_policy.settlements_visible_to(user)


def people(user: User) -> QuerySet[User]:
    """The sellers whose rows a per-person report shows: the ranked people (crm.policy.frontline_sellers)
    of the user's scope."""
    return crm_policy.owned_by(crm_policy.frontline_sellers(), member_ids(user), "id")


def published_people() -> QuerySet[User]:
    """The published rankings and A2 (003 §12.4) rank the frontline sellers — those the lead rotation
    deals leads to — whoever looks; never a manager."""
    return crm_policy.frontline_sellers()


def partner_of(user: User) -> Partner | None:
    return partners_policy.partner_of(user)


def manages_people(user: User) -> bool:
    return crm_policy.has_team_role(user)


def in_department(qs: QuerySet, path: str | None, field: str) -> QuerySet:
    """The org-tree filter: rows whose person sits in the department or any of its sub-departments."""
    if not path:
        return qs
    return qs.filter(Q(**{f"{field}__department__path__startswith": path}))
