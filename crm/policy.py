"""Who may see and do what in the CRM (SPEC §0 roles, C5, C10, C11, Q2, R*): the one place pages, the API,
menus, exports and reports ask. Scope functions say which rows a user sees; permission functions say
which pages a user may open and which actions they may take on an object.

Higher apps (partners, commissions, settlements, reports) call these; they never restate them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from common.menu import count_capped
from crm import pipeline_selectors, selectors
from crm.models import ApprovalRequest, Contract, Customer, Lead, Opportunity, Order, Quote, Role, User
from crm.services import approvals as approval_services
from crm.services import customers as customer_services
from crm.services import pool as pool_services

# --------------------------------------------------------------------------------------------------
# Who someone is
# --------------------------------------------------------------------------------------------------


def is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_active", False))


def is_partner(user: Any) -> bool:
    """An external partner (战略合伙人): sees only the partner portal, never an internal page."""
    return is_signed_in(user) and not user.is_superuser and user.has_role(Role.PARTNER)


def is_finance(user: Any) -> bool:
    """The finance centre: money in, the ledger and settlements; no customer book, no pipeline."""
    return is_signed_in(user) and user.has_role(Role.FINANCE)


def works_in_sales(user: Any) -> bool:
    """Everyone inside the company except finance-only people: the customer book and the pipeline."""
    if not is_signed_in(user) or is_partner(user):
        return False
    if user.sees_everything:
        return True
    return not (user.roles and user.roles <= {Role.FINANCE.value})


def is_internal(user: Any) -> bool:
    """Any employee (sales or finance): internal pages such as the approvals inbox."""
    return is_signed_in(user) and not is_partner(user)


def sees_everything(user: Any) -> bool:
    """C11: president, VP, admin (and superusers) see every row."""
    return is_signed_in(user) and bool(user.sees_everything)


def is_manager(user: Any) -> bool:
    """Someone with a team (or a role above the teams): the review queue and who is out."""
    return is_signed_in(user) and not is_partner(user) and selectors.is_manager(user)


# --------------------------------------------------------------------------------------------------
# Scopes: which rows a user sees (C11)
# --------------------------------------------------------------------------------------------------


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    if not works_in_sales(user):
        return Customer.objects.none()
    return selectors.customer_list_visible_to(user=user)


def customer_visible(user: Any, pk: int) -> Customer | None:
    if not works_in_sales(user):
        return None
    return selectors.customer_get_visible(user=user, pk=pk)


def team_member_ids(user: User) -> set[int]:
    """C11 "my team" (me included; once per user object)."""
    return selectors.team_member_ids(user)


def leads_visible_to(user: Any) -> QuerySet[Lead]:
    if not works_in_sales(user):
        return Lead.objects.none()
    return pipeline_selectors.leads_visible_to(user=user)


def opportunities_visible_to(user: Any) -> QuerySet[Opportunity]:
    if not works_in_sales(user):
        return Opportunity.objects.none()
    return pipeline_selectors.opportunities_visible_to(user=user)


def quotes_visible_to(user: Any) -> QuerySet[Quote]:
    if not works_in_sales(user):
        return Quote.objects.none()
    return pipeline_selectors.quotes_visible_to(user=user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    if not is_internal(user):
        return Contract.objects.none()
    return pipeline_selectors.contracts_visible_to(user=user)


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """Finance sees every order (money in); others their team's and what they approve."""
    if not is_internal(user):
        return Order.objects.none()
    return pipeline_selectors.orders_visible_to(user=user)


def approvals_visible_to(user: Any) -> QuerySet[ApprovalRequest]:
    if not is_internal(user):
        return ApprovalRequest.objects.none()
    return approval_services.approval_requests_visible_to(user=user)


# --------------------------------------------------------------------------------------------------
# Pages a role may open
# --------------------------------------------------------------------------------------------------


def can_open_my_day(user: Any) -> bool:
    return is_internal(user)


def can_open_customers(user: Any) -> bool:
    """Finance has no customer list (README roles); partners see theirs in the portal."""
    return works_in_sales(user)


def can_open_pipeline(user: Any) -> bool:
    """Leads, opportunities, quotes and outings: the sales people's daily tools."""
    return works_in_sales(user)


def can_open_contracts(user: Any) -> bool:
    return works_in_sales(user)


def can_open_orders(user: Any) -> bool:
    """Orders and payments: the sales side and finance (who records money in)."""
    return is_internal(user)


def can_open_receivables(user: Any) -> bool:
    return is_internal(user)


def can_open_approvals(user: Any) -> bool:
    return is_internal(user)


def can_open_review_queue(user: Any) -> bool:
    """C5: new-customer review is for managers and above."""
    return is_manager(user)


def can_open_pool(user: Any) -> bool:
    """C11: reps and managers (and those who see everything) see the pool; finance and partners do not."""
    return (
        is_signed_in(user)
        and not is_partner(user)
        and (pool_services.can_claim(user) or pool_services.can_assign(user) or user.sees_everything)
    )


def can_claim_from_pool(user: Any) -> bool:
    return can_open_pool(user) and pool_services.can_claim(user)


def can_assign_from_pool(user: Any) -> bool:
    return can_open_pool(user) and pool_services.can_assign(user)


def can_open_price_book(user: Any) -> bool:
    """The product catalogue and its prices: read by everyone in the company (reps pick products)."""
    return is_internal(user)


PRICE_BOOK_MANAGERS = (
    Role.SALES_MANAGER,
    Role.REGIONAL_MANAGER,
    Role.SALES_ADMIN_MANAGER,
    Role.FINANCE,
    Role.ADMIN,
)


def can_manage_price_book(user: Any) -> bool:
    """Products, prices, import: sales managers, the sales-admin manager, finance and admins."""
    return is_internal(user) and (user.is_superuser or any(user.has_role(r) for r in PRICE_BOOK_MANAGERS))


def can_export_customers(user: Any) -> bool:
    """The customer list as CSV: managers only (every export is logged by the service)."""
    from crm.services.customer_export import can_export_customers as service_rule

    return is_internal(user) and service_rule(user)


def can_record_money_decisions(user: Any) -> bool:
    """002 §6/§8.3: paying an approved customer rebate and recording the board's resolution on a
    write-off are finance's (the services refuse anyone else with the same rule)."""
    return is_signed_in(user) and (is_finance(user) or bool(user.sees_everything))


def can_open_admin(user: Any) -> bool:
    """The Django admin (org, users, roles, rule settings)."""
    return is_signed_in(user) and bool(user.is_staff)


# --------------------------------------------------------------------------------------------------
# Actions on an object
# --------------------------------------------------------------------------------------------------


def can_view_customer(user: Any, customer: Customer) -> bool:
    return customers_visible_to(user).filter(pk=customer.pk).exists()


def can_assign_customer(user: Any, customer: Customer) -> bool:
    return works_in_sales(user) and customer_services.can_assign(user=user, customer=customer)


def can_review_customer(user: Any, customer: Customer) -> bool:
    return works_in_sales(user) and customer_services.can_review(user=user, customer=customer)


def can_view_contract(user: Any, contract: Contract) -> bool:
    return contracts_visible_to(user).filter(pk=contract.pk).exists()


def can_view_order(user: Any, order: Order) -> bool:
    return orders_visible_to(user).filter(pk=order.pk).exists()


def can_view_approval(user: Any, request: ApprovalRequest) -> bool:
    return approvals_visible_to(user).filter(pk=request.pk).exists()


def can_record_money_in(user: Any) -> bool:
    """Payments, refunds and invoices on an order page are finance's (and a superuser's)."""
    return is_signed_in(user) and (user.is_superuser or is_finance(user))


def approvals_waiting_count(user: Any) -> int:
    """For the menu badge: approval steps waiting for this user's decision (one query)."""
    if not can_open_approvals(user):
        return 0
    return count_capped(approval_services.approvals_waiting_for(user=user))


def review_waiting_count(user: Any) -> int:
    """For the menu badge: new customers waiting for this manager's review."""
    if not can_open_review_queue(user):
        return 0
    return count_capped(selectors.customer_review_queue(user=user))


def is_owners_manager(user: Any, owner_id: int | None) -> bool:
    """L2/Q3: someone above the owner (their team, C11) or who sees everything — never the owner."""
    if not is_signed_in(user) or owner_id is None or owner_id == user.pk:
        return False
    return bool(user.sees_everything) or owner_id in team_member_ids(user)


def is_on_owner_side(user: Any, owner_id: int | None) -> bool:
    """The owner or someone above them."""
    return is_signed_in(user) and owner_id is not None and owner_id in team_member_ids(user)


def can_confirm_close(user: Any, opportunity: Opportunity) -> bool:
    """L2: a won/lost close is confirmed by the owner's manager (never the owner)."""
    return (
        opportunity.closed_at is not None
        and opportunity.close_confirmed_at is None
        and is_owners_manager(user, opportunity.owner_id)
    )


def can_move_contract(user: Any, contract: Contract, who: str) -> bool:
    """Q3: an "owner" move is the owner's (or their manager's); a "manager" move (terminate) is the
    owner's manager's, or anyone's who sees everything. "system" moves are the approval engine's."""
    if who == "owner":
        return is_on_owner_side(user, contract.owner_id)
    if who == "manager":
        return sees_everything(user) or is_owners_manager(user, contract.owner_id)
    return False


def lead_assignees(user: Any) -> QuerySet[User]:
    """Whom a user may give a lead: anyone active for those who see everything, their team for a
    manager, nobody for someone without a team."""
    qs = User.objects.filter(is_active=True).order_by("username")
    if not works_in_sales(user):
        return qs.none()
    if user.sees_everything:
        return qs
    members = team_member_ids(user)
    return qs.filter(pk__in=members) if len(members) > 1 else qs.none()


def can_assign_lead_to(user: Any, to_user: User) -> bool:
    if not works_in_sales(user):
        return False
    if user.sees_everything:
        return True
    members = team_member_ids(user)
    return len(members) > 1 and to_user.pk in members


def account_executives() -> QuerySet[User]:
    """Who may serve a customer as account executive (客户执行): active holders of that role."""
    return User.objects.filter(groups__name=Role.ACCOUNT_EXECUTIVE, is_active=True).order_by("username")


def is_account_executive(user: Any) -> bool:
    return is_signed_in(user) and user.has_role(Role.ACCOUNT_EXECUTIVE)


def receivables_visible_to(user: Any) -> QuerySet[Order]:
    """R*: the orders whose money a user follows (page, CSV export and API alike)."""
    from crm.services.receivables import receivables_visible_to as receivables

    if not can_open_receivables(user):
        return Order.objects.none()
    return receivables(user=user)


# --------------------------------------------------------------------------------------------------
# List tools (issue 16): saved filters, column choice, owner/team filters, bulk actions
# --------------------------------------------------------------------------------------------------

# Which page rule opens each list that has the list tools (the key its saved filters are stored under).
LIST_PAGE_RULES = {
    "customers": can_open_customers,
    "contracts": can_open_contracts,
    "orders": can_open_orders,
}


def can_use_list_tools(user: Any) -> bool:
    """Saving a filter or choosing columns: anyone who opens a list with the tools."""
    return any(rule(user) for rule in LIST_PAGE_RULES.values())


def can_open_list(user: Any, list_key: str) -> bool:
    rule = LIST_PAGE_RULES.get(list_key)
    return rule is not None and rule(user)


def can_share_list_filters(user: Any) -> bool:
    """A shared filter (场景) shows for everyone who opens the list: managers publish them."""
    return is_manager(user)


def can_bulk_transfer_customers(user: Any) -> bool:
    """Bulk transfer offers what one-by-one assignment does (customer_assign refuses per customer)."""
    return works_in_sales(user) and is_manager(user)


def list_owner_choices(user: Any) -> QuerySet[User]:
    """Whom the owner filter offers: the people whose rows the user sees (none for a rep alone)."""
    if not works_in_sales(user):
        return User.objects.none()
    return selectors.assignable_users(user=user)


def list_team_choices(user: Any) -> QuerySet[Any]:
    """Which teams (departments) the team filter offers: all for the top roles, those a manager runs."""
    from crm.models import Department

    if not works_in_sales(user):
        return Department.objects.none()
    if user.sees_everything:
        return Department.objects.order_by("path")
    members = team_member_ids(user)
    if len(members) == 1:
        return Department.objects.none()
    return Department.objects.filter(members__in=members).distinct().order_by("path")
