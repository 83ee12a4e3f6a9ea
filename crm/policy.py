"""Who may see and do what in the CRM (SPEC §0 roles, C5, C10, C11, Q2, R*): the one place pages, the API,
menus, exports and reports ask. Scope functions say which rows a user sees; permission functions say
which pages a user may open and which actions they may take on an object.

Higher apps (partners, commissions, settlements, reports) call these; they never restate them."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection
from django.db.models import Model, Q, QuerySet

from common.menu import count_capped
from crm import selectors
from crm.extensions import SearchScope, search_scope_from_extensions
from crm.models import (
    ApprovalRequest,
    Contact,
    Contract,
    Customer,
    Department,
    ExecutionOrder,
    FollowUp,
    ImplementationItem,
    ImplementationOrder,
    ImportJob,
    Lead,
    Opportunity,
    Order,
    Quote,
    Region,
    ReviewStatus,
    Role,
    Task,
    User,
)
from crm.services import approvals as approval_services
from crm.services import customers as customer_services
from crm.services import pool as pool_services
from crm.services import tasks as task_services

# ---- Who someone is ---------------------------------------------------------------------------------


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
    return is_signed_in(user) and not is_partner(user) and has_team_role(user)


def has_team_role(user: User) -> bool:
    """Someone with a team (or a role above the teams): sees the review queue and who is out."""
    return user.sees_everything or user.has_role(
        Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR, Role.DEPARTMENT_ASSISTANT
    )


# ---- Scopes: which rows a user sees (C11) -----------------------------------------------------------


def team_member_ids(user: User) -> set[int]:
    """C11 "my team": me, everyone whose manager chain reaches me, and everyone in the departments
    (with their sub-departments) or regions I manage. Computed once per user object (a request asks
    several times: the page, the menu's entries and badges)."""
    cached: set[int] | None = getattr(user, "_team_member_ids", None)
    if cached is None:
        cached = _team_member_ids(user)
        user._team_member_ids = cached  # type: ignore[attr-defined]
    return set(cached)


def _team_member_ids(user: User) -> set[int]:
    """One query: the direct-report chain (recursive) and the members of the departments (with their
    sub-departments, by materialised path) and regions the user manages."""
    users, departments = User._meta.db_table, Department._meta.db_table
    regions = Region._meta.db_table
    sql = f"""
        WITH RECURSIVE chain(id) AS (
            SELECT id FROM {users} WHERE manager_id = %s
            UNION
            SELECT u.id FROM {users} u JOIN chain c ON u.manager_id = c.id
        )
        SELECT id FROM chain
        UNION
        SELECT u.id FROM {users} u JOIN {departments} d ON u.department_id = d.id
        WHERE d.region_id IN (SELECT id FROM {regions} WHERE manager_id = %s)
           OR EXISTS (
               SELECT 1 FROM {departments} top
               WHERE top.manager_id = %s AND substr(d.path, 1, length(top.path)) = top.path
           )
    """  # table names from the models' own metadata; values bound as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk, user.pk])
        return {user.pk} | {row[0] for row in cursor.fetchall()}


def customer_scope(user: User) -> QuerySet[Customer]:
    """C11, the row rule: a rep sees their own and shared customers; a manager their team's; president/
    admin all; a department's assistant also the ones awaiting review. Pool customers are not in it
    (they live on the pool page). Services use it as is; pages and the API ask `customers_visible_to`,
    which also closes the customer book to people outside sales."""
    qs = Customer.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs.filter(owner__isnull=False)
    members = team_member_ids(user)
    cond = Q(owner=user) if len(members) == 1 else Q(owner_id__in=members)
    # Most people serve no customer as account executive. Leaving the OR out when it cannot match lets
    # PostgreSQL walk the (owner, -id) index for a rep's page instead of merging two bitmaps and sorting.
    if serves_as_account_executive(user):
        cond |= Q(account_executive=user)
    if user.has_role(Role.DEPARTMENT_ASSISTANT) and user.department_id is not None:
        # 003 §4.2: a department's assistant reviews its new customers, so sees the ones awaiting review.
        cond |= Q(review_status=ReviewStatus.PENDING, owner__department_id=user.department_id)
    return qs.filter(cond)


def serves_as_account_executive(user: User) -> bool:
    """Whether any customer names this user as its account executive: asked once per user object (the
    page, the menu's review badge and the exports each build the customer scope)."""
    cached: bool | None = getattr(user, "_serves_as_executive", None)
    if cached is None:
        cached = Customer.objects.filter(account_executive=user).exists()
        user._serves_as_executive = cached  # type: ignore[attr-defined]
    return cached


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    if not works_in_sales(user):
        return Customer.objects.none()
    return customer_scope(user)


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    """The contacts of the customers the user sees (pool customers' contacts stay hidden, C11)."""
    return Contact.objects.filter(customer__in=customers_visible_to(user).values("pk"))


def customer_visible(user: Any, pk: int) -> Customer | None:
    if not works_in_sales(user):
        return None
    return customer_scope(user).filter(pk=pk).first()


def member_ids_or_all(user: User) -> set[int] | None:
    """C11 as person ids, for figures summed over many rows: None for the whole company (the top roles),
    else my team (me alone for a rep)."""
    if not user.is_authenticated:
        return set()
    return None if user.sees_everything else team_member_ids(user)


def sees_all_money(user: User) -> bool:
    """Money in (orders, payments, receivables; R*): finance sees every order, as the top roles do."""
    return bool(user.is_authenticated and (user.sees_everything or user.has_role(Role.FINANCE)))


def owned_by(qs: QuerySet, ids: set[int] | None, field: str = "owner_id") -> QuerySet:
    """The rows whose person (`field`) is one of `ids`; every row for None (the whole company)."""
    return qs if ids is None else qs.filter(**{f"{field}__in": ids})


def money_owned(qs: QuerySet, user: User, field: str = "owner_id") -> QuerySet:
    """The money a user's figures count (contracts, orders, order lines, payments): owned by my team —
    approving one does not make it mine — and every row for finance and the top roles."""
    return qs if sees_all_money(user) else owned_by(qs, member_ids_or_all(user), field)


def followup_scope(user: User) -> QuerySet[FollowUp]:
    """C11 for follow-ups: written by me or my team; every one for the top roles."""
    return owned_by(FollowUp.objects.all(), member_ids_or_all(user), "author_id")


def _owned(qs: QuerySet, user: User) -> QuerySet:
    return owned_by(qs, member_ids_or_all(user))


def _on_my_chain(user: User, model: type[Model]) -> QuerySet:
    """Ids of subjects whose approval chain includes me (assignee, decider, or a company-wide role
    of a step): an approver must see what they approve."""
    from django.contrib.contenttypes.models import ContentType

    from crm.models import ApprovalStep

    q = Q(assignee=user) | Q(decided_by=user)
    for role in set(user.roles) - set(approval_services.SCOPED_ROLES):
        q |= Q(roles__contains=f",{role},")
    return ApprovalStep.objects.filter(
        q, request__content_type=ContentType.objects.get_for_model(model)
    ).values("request__object_id")


def _owned_or_approving(qs: QuerySet, user: User) -> QuerySet:
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    return qs.filter(Q(owner_id__in=team_member_ids(user)) | Q(pk__in=_on_my_chain(user, qs.model)))


def lead_scope(user: User) -> QuerySet[Lead]:
    """C11 for leads: those assigned to or created by me or my team; everything for the top roles."""
    qs = Lead.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs
    members = team_member_ids(user)
    return qs.filter(Q(assigned_to_id__in=members) | Q(created_by_id__in=members))


def opportunity_scope(user: User) -> QuerySet[Opportunity]:
    """C11 for opportunities: my team's (by owner); everything for the top roles."""
    return _owned(Opportunity.objects.all(), user)


def quote_scope(user: User) -> QuerySet[Quote]:
    """C11 for quotes: my team's, and those whose approval chain includes me."""
    return _owned_or_approving(Quote.objects.all(), user)


def contract_scope(user: User) -> QuerySet[Contract]:
    """C11 for contracts: my team's, and those whose approval chain includes me."""
    return _owned_or_approving(Contract.objects.all(), user)


def order_scope(user: User) -> QuerySet[Order]:
    """C11 for orders: finance sees every order (money in); others their team's and what they approve."""
    if sees_all_money(user):
        return Order.objects.all()
    return _owned_or_approving(Order.objects.all(), user)


def leads_visible_to(user: Any) -> QuerySet[Lead]:
    if not works_in_sales(user):
        return Lead.objects.none()
    return lead_scope(user)


def opportunities_visible_to(user: Any) -> QuerySet[Opportunity]:
    if not works_in_sales(user):
        return Opportunity.objects.none()
    return opportunity_scope(user)


def quotes_visible_to(user: Any) -> QuerySet[Quote]:
    if not works_in_sales(user):
        return Quote.objects.none()
    return quote_scope(user)


def contracts_visible_to(user: Any) -> QuerySet[Contract]:
    if not is_internal(user):
        return Contract.objects.none()
    return contract_scope(user)


def execution_orders_visible_to(user: Any) -> QuerySet[ExecutionOrder]:
    """003 §9.3: an execution order is seen with its contract, and by whoever is on its approval chain."""
    if not is_internal(user):
        return ExecutionOrder.objects.none()
    on_chain = approvals_visible_to(user).filter(kind="execution_order").values("object_id")
    return ExecutionOrder.objects.filter(Q(contract__in=contracts_visible_to(user)) | Q(pk__in=on_chain))


IMPLEMENTATION_ROLES = (Role.DELIVERY_VP, Role.IMPLEMENTER)


def implementation_staff() -> QuerySet[User]:
    """003 §9.5 the implementation department: the delivery VPs (交付副总裁) and the implementation staff
    (实施人员). Whom an implementation order notifies and an item may be given to."""
    return (
        User.objects.filter(groups__name__in=IMPLEMENTATION_ROLES, is_active=True)
        .distinct()
        .order_by("username")
    )


def is_implementation_staff(user: Any) -> bool:
    return is_internal(user) and user.has_role(*IMPLEMENTATION_ROLES)


def implementation_orders_visible_to(user: Any) -> QuerySet[ImplementationOrder]:
    """003 §9.5: the implementation department sees every implementation order; business staff see
    those of the contracts they see (and the ones they raised); the sales-admin (商务) manager all."""
    if not is_internal(user):
        return ImplementationOrder.objects.none()
    if user.sees_everything or user.has_role(Role.SALES_ADMIN_MANAGER) or is_implementation_staff(user):
        return ImplementationOrder.objects.all()
    mine = ImplementationItem.objects.filter(task__owner=user).values("order_id")
    return ImplementationOrder.objects.filter(
        Q(contract__in=contracts_visible_to(user)) | Q(created_by=user) | Q(pk__in=mine)
    )


def orders_visible_to(user: Any) -> QuerySet[Order]:
    """Finance sees every order (money in); others their team's and what they approve."""
    if not is_internal(user):
        return Order.objects.none()
    return order_scope(user)


def approvals_visible_to(user: Any) -> QuerySet[ApprovalRequest]:
    if not is_internal(user):
        return ApprovalRequest.objects.none()
    return approval_services.approval_requests_visible_to(user=user)


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    """Issue 16: my own tasks; a manager also their team's (to follow up overdue ones)."""
    if not works_in_sales(user):
        return Task.objects.none()
    return _owned(Task.objects.all(), user)


def search_scope(user: Any) -> SearchScope | None:
    """Issue 16: what the global search looks through — exactly what the user may see in each list
    (C11); a partner's login gets its portal's scope from the partners app; anyone else nothing."""
    if not is_signed_in(user):
        return None
    if is_internal(user):
        customers = customers_visible_to(user)
        return SearchScope(
            customers=customers,
            contacts=Contact.objects.filter(customer__in=customers.values("id")),
            opportunities=opportunities_visible_to(user),
            contracts=contracts_visible_to(user),
            orders=orders_visible_to(user),
        )
    return search_scope_from_extensions(user=user)


# ---- Pages a role may open --------------------------------------------------------------------------


def can_search(user: Any) -> bool:
    """The header's global search: every employee, and a partner within their portal."""
    return search_scope(user) is not None


def can_open_tasks(user: Any) -> bool:
    """Tasks (待办) are the sales people's: finance and partners have none."""
    return works_in_sales(user)


def can_change_task(user: Any, task: Task) -> bool:
    """Done / undo: the task's owner or whoever made it (a manager only reads the team's)."""
    return is_signed_in(user) and task_services.task_can_change(task=task, user=user)


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


def can_release_to_pool(user: Any) -> bool:
    """C9 by hand (issue 16): the managers who may assign pool customers may also release their team's
    customers to the pool, with a reason (crm.services.pool_release refuses per customer)."""
    return works_in_sales(user) and can_assign_from_pool(user)


def can_release_customer_to_pool(user: Any, customer: Customer) -> bool:
    """This customer: owned by someone of the manager's team (the top roles: anyone)."""
    return (
        can_release_to_pool(user)
        and customer.owner_id is not None
        and customer_services.can_assign(user=user, customer=customer)
    )


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


def is_system_admin(user: Any) -> bool:
    """SPEC §0 系统管理员: users, org structure, rule settings (and superusers)."""
    return is_signed_in(user) and (bool(user.is_superuser) or user.has_role(Role.ADMIN))


def can_manage_org(user: Any) -> bool:
    """Issue 15: the org page (regions, departments, people, their roles) is the administrator's."""
    return is_system_admin(user)


def can_manage_authority_matrix(user: Any) -> bool:
    """Q2: the authority matrix (who approves which discount or amount) is a rule setting: the
    administrator's."""
    return is_system_admin(user)


def can_open_rebate_payments(user: Any) -> bool:
    """002 §6: the page (and list API) where finance pays approved customer rebates: finance only."""
    return is_finance(user)


def can_open_admin(user: Any) -> bool:
    """The Django admin (org, users, roles, rule settings)."""
    return is_signed_in(user) and bool(user.is_staff)


# ---- Actions on an object ---------------------------------------------------------------------------


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


def approval_kinds_decided_by(user: Any) -> frozenset[str]:
    """Q2: the kinds of request this user may be asked to decide — those whose matrix rows in force name
    one of their roles on the chain (a row the requester decides alone asks no one). One query per
    user object; the approvals centre shows a tab only for these kinds."""
    if not is_internal(user):
        return frozenset()
    cached = getattr(user, "_approval_kinds_cache", None)
    if cached is not None:
        return cast(frozenset[str], cached)
    kinds: set[str] = set()
    for rule in approval_services.authority_rules_in_force():
        if rule.requester_may_decide:
            continue
        chain_roles = {r for step in rule.chain for r in (step if isinstance(step, list) else [step])}
        if user.is_superuser or user.roles & chain_roles:
            kinds.add(rule.kind)
    result = frozenset(kinds)
    user._approval_kinds_cache = result
    return result


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


def can_edit_payment_plan(user: Any, contract: Contract) -> bool:
    """Issue 16: the contract's owner (or someone above them) plans its instalments (回款计划)."""
    return works_in_sales(user) and is_on_owner_side(user, contract.owner_id)


def can_raise_execution_order(user: Any, contract: Contract) -> bool:
    """003 §9.3: the contract's owner raises its execution orders (执行单)."""
    return works_in_sales(user) and contract.owner_id == user.pk


def can_raise_implementation_order(user: Any, execution_order: ExecutionOrder) -> bool:
    """003 §9.5: business staff raise an implementation order on an approved execution order: the
    contract's owner (who raised the execution order) or the sales-admin (商务) manager."""
    return (
        works_in_sales(user)
        and execution_order.status == "approved"
        and (execution_order.contract.owner_id == user.pk or user.has_role(Role.SALES_ADMIN_MANAGER))
    )


def can_run_implementation(user: Any, order: ImplementationOrder) -> bool:
    """003 §9.5: the delivery VP, or the order's implementation lead, starts and completes it and turns
    its items into tasks for implementation staff."""
    return is_internal(user) and (user.has_role(Role.DELIVERY_VP) or order.lead_id == user.pk)


def can_cancel_implementation(user: Any, order: ImplementationOrder) -> bool:
    """Business staff withdraw an implementation order: whoever raised it, the contract owner's side,
    or the sales-admin (商务) manager."""
    return works_in_sales(user) and (
        order.created_by_id == user.pk
        or user.has_role(Role.SALES_ADMIN_MANAGER)
        or is_on_owner_side(user, order.contract.owner_id)
    )


def can_open_implementation_menu(user: Any) -> bool:
    """The menu entry: for the implementation department and the sales-admin (商务) manager; business
    staff reach their implementation orders from the execution order, contract and customer pages."""
    return works_in_sales(user) and (user.has_role(Role.SALES_ADMIN_MANAGER) or is_implementation_staff(user))


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


# Who sells on the front line: dealt leads by the rotation (L1) and ranked (003 §12.4)
SELLER_ROLES = (Role.REP,)
TEAM_LEAD_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)


def frontline_sellers() -> QuerySet[User]:
    """003 §12.4 ranks the 销售人员: the active sellers who lead no team. The lead rotation deals leads to
    them alone and the rankings rank them alone (A2's bottom 3 loses lead assignment: a manager with no
    sales of their own must never land there; a manager is measured through the team)."""
    qs = User.objects.filter(is_active=True, groups__name__in=SELLER_ROLES)
    return qs.exclude(groups__name__in=TEAM_LEAD_ROLES).distinct()


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


# ---- imports (issue 16/17) --------------------------------------------------------------------------


def can_import(user: Any, kind: str) -> bool:
    """Leads and opportunities: the pipeline's users; customers and their contacts: the customer book's."""
    if kind in ("lead", "opportunity"):
        return can_open_pipeline(user)
    if kind in ("customer", "contact"):
        return can_open_customers(user)
    if kind == "product":
        return can_manage_price_book(user)
    return False


def can_open_imports(user: Any) -> bool:
    return can_open_customers(user) or can_open_pipeline(user) or can_manage_price_book(user)


def import_kinds_for(user: Any) -> list[str]:
    return [k for k in ("lead", "customer", "contact", "opportunity", "product") if can_import(user, k)]


def import_jobs_visible_to(user: Any) -> QuerySet[ImportJob]:
    """One's own imports (the report names rows of one's own file)."""
    if not is_signed_in(user):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(requested_by=user)


def can_import_for(user: Any, owner: User) -> bool:
    """Imported rows are owned by the importer or by someone the importer may assign them to."""
    return bool(owner.pk == user.pk or can_assign_lead_to(user, owner))


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


# ---- List tools (issue 16): saved filters, column choice, owner/team filters, bulk actions ----------

# Which page rule opens each list that has the list tools (the key its saved filters are stored under).
LIST_PAGE_RULES = {
    "customers": can_open_customers,
    "contracts": can_open_contracts,
    "orders": can_open_orders,
    "opportunities": can_open_pipeline,
    "contacts": can_open_customers,
    "quotes": can_open_pipeline,
    "leads": can_open_pipeline,
}


def can_use_list_tools(user: Any) -> bool:
    """Saving a filter or choosing columns: anyone who opens a list with the tools."""
    return any(rule(user) for rule in LIST_PAGE_RULES.values())


def can_open_list(user: Any, list_key: str) -> bool:
    rule = LIST_PAGE_RULES.get(list_key)
    return rule is not None and rule(user)


DOCUMENT_LISTS = frozenset({"contracts", "orders", "quotes"})


def can_export_list(user: Any, list_key: str) -> bool:
    """A list of documents exports what the user opens (a rep their own, finance the orders); contacts,
    leads and opportunities (C11 customer data) are a manager privilege, as the customer list's export."""
    return can_open_list(user, list_key) and (list_key in DOCUMENT_LISTS or can_export_customers(user))


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
    if not user.sees_everything and len(team_member_ids(user)) == 1:
        return User.objects.none()
    return selectors.assignable_users(user=user)


def list_team_choices(user: Any) -> QuerySet[Any]:
    """Which teams (departments) the team filter offers: all for the top roles, those a manager runs."""
    if not works_in_sales(user):
        return Department.objects.none()
    if user.sees_everything:
        return Department.objects.order_by("path")
    members = team_member_ids(user)
    if len(members) == 1:
        return Department.objects.none()
    return Department.objects.filter(members__in=members).distinct().order_by("path")
