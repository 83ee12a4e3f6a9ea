"""Every URL pattern (pages and /api/ routes) for every role: the answer (200/302 vs 403/404) is what the
owning app's policy says, for an object the role may see and one it may not; and the menu offers exactly
the pages the role may open. A new URL pattern that is not classified below fails the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from commissions import policy as commissions_policy
from common.menu import nav_for
from crm import policy as crm_policy
from crm.models import (
    Role,
)
from partners import policy as partners_policy
from reports import policy as reports_policy
from settlements import policy as settlements_policy
from tests import policy_world

world = policy_world.world  # the world, built once per module

# Open: the page or the route answers (a form with errors, a redirect, a refusal of the action itself
# with a reason: 403 from a service for this object and this person, e.g. deciding one's own request).
ALLOWED = {200, 201, 202, 204, 302, 400, 403, 409}
# Closed: the role may not open the page, or the row is not theirs to see.
DENIED = {403, 404}
# A page or GET route that is open answers 200 (or a redirect); only POST-only actions may refuse.
OPEN_GET = {200, 302}

Check = Callable[[Any], bool]


def _walk(patterns: list[Any], prefix: str = "", ns: str | None = None) -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), inner)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else (p.name or "")
            yield name, prefix + str(p.pattern), p.callback


def all_patterns() -> list[tuple[str, str, Any]]:
    return list(_walk(get_resolver().url_patterns))


# --------------------------------------------------------------------------------------------------
# Classification: URL name -> (who may open it, whose rows it shows)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    check: Check  # the policy's page/route rule
    scope: str | None = None  # the object kind in the path (its policy scope decides visibility)
    menu: bool = False  # a top-level page: in the menu exactly when the policy opens it
    public: bool = False  # open to anonymous users too


def signed_in(user: Any) -> bool:
    return crm_policy.is_signed_in(user)


def anyone(user: Any) -> bool:
    return True


c, p, k, s, r = crm_policy, partners_policy, commissions_policy, settlements_policy, reports_policy

PAGES: dict[str, Rule] = {
    "crm:my_day": Rule(signed_in, menu=True),  # a partner is sent to the portal (302)
    "crm:customer_list": Rule(c.can_open_customers, menu=True),
    "crm:customer_export": Rule(c.can_export_customers),  # managers only (003 export log)
    "crm:customer_bulk": Rule(c.can_open_customers),  # each action asks its own rule (transfer, export, …)
    "crm:contact_list": Rule(c.can_open_customers, menu=True),
    "crm:list_filter_save": Rule(c.can_use_list_tools),  # issue 16: the list's own rule decides (404)
    "crm:list_filter_delete": Rule(c.can_use_list_tools),
    "crm:list_columns_save": Rule(c.can_use_list_tools),
    # issue 16: a list's Excel export (the contracts list here; tests/crm/test_list_export.py the others)
    "crm:list_export": Rule(lambda user: c.can_export_list(user, "contracts")),
    "crm:customer_create": Rule(c.can_open_customers),
    "crm:customer_detail": Rule(c.can_open_customers, "customer"),
    "crm:customer_edit": Rule(c.can_open_customers, "customer"),
    "crm:customer_tab": Rule(c.can_open_customers, "customer"),  # issue 16: one tab of the customer 360
    "crm:customer_assign": Rule(c.can_open_customers, "customer_assign"),
    "crm:followup_create": Rule(c.can_open_customers, "customer"),
    "crm:contact_create": Rule(c.can_open_customers, "customer"),
    "crm:customer_review": Rule(c.can_open_customers, "customer"),
    "crm:review_queue": Rule(c.can_open_review_queue),  # reached from the approvals centre's tab
    "crm:outing_list": Rule(c.can_open_pipeline, menu=True),
    "crm:outing_create": Rule(c.can_open_pipeline, menu=True),
    "crm:lead_list": Rule(c.can_open_pipeline, menu=True),
    "crm:lead_create": Rule(c.can_open_pipeline),
    "crm:lead_import": Rule(c.can_open_pipeline),
    "crm:lead_bulk_assign": Rule(c.can_open_pipeline),  # issue 16: each lead through lead_assign's rule
    "crm:import_start": Rule(c.can_open_imports),
    "crm:import_template": Rule(c.can_open_imports),
    "crm:import_job": Rule(c.can_open_imports, "import_job"),
    "crm:import_report": Rule(c.can_open_imports, "import_job"),
    "crm:lead_detail": Rule(c.can_open_pipeline, "lead"),
    "crm:lead_assign": Rule(c.can_open_pipeline, "lead"),
    "crm:opportunity_list": Rule(c.can_open_pipeline, menu=True),
    "crm:opportunity_create": Rule(c.can_open_pipeline),
    "crm:opportunity_detail": Rule(c.can_open_pipeline, "opportunity"),
    "crm:opportunity_confirm": Rule(c.can_open_pipeline, "opportunity"),
    "crm:opportunity_attach": Rule(c.can_open_pipeline, "opportunity"),
    "crm:opportunity_activity": Rule(c.can_open_pipeline, "opportunity"),
    "crm:opportunity_attachment_download": Rule(c.can_open_pipeline, "attachment"),
    "crm:approval_inbox": Rule(c.can_open_approvals, menu=True),
    "crm:concession_create": Rule(c.can_open_pipeline),
    "crm:rebate_payments": Rule(c.can_open_rebate_payments, menu=True),
    "crm:approval_detail": Rule(c.can_open_approvals, "approval"),
    "crm:approval_decide": Rule(c.can_open_approvals, "approval"),
    "crm:approval_centre_decide": Rule(c.can_open_approvals),
    "crm:approval_centre_bulk": Rule(c.can_open_approvals),
    "crm:quote_list": Rule(c.can_open_pipeline, menu=True),
    "crm:quote_create": Rule(c.can_open_pipeline),
    "crm:quote_detail": Rule(c.can_open_pipeline, "quote"),
    "crm:quote_print": Rule(c.can_open_pipeline, "quote"),
    "crm:org": Rule(c.can_manage_org, menu=True),
    "crm:org_region_create": Rule(c.can_manage_org),
    "crm:org_region_edit": Rule(c.can_manage_org, "region"),
    "crm:org_department_create": Rule(c.can_manage_org),
    "crm:org_department_edit": Rule(c.can_manage_org, "department"),
    "crm:org_person_create": Rule(c.can_manage_org),
    "crm:org_person_edit": Rule(c.can_manage_org, "user"),
    "crm:authority_matrix": Rule(c.can_manage_authority_matrix, menu=True),
    "crm:authority_rule_create": Rule(c.can_manage_authority_matrix),
    "crm:authority_rule_edit": Rule(c.can_manage_authority_matrix, "authority_rule"),
    "crm:product_list": Rule(c.can_open_price_book, menu=True),
    "crm:product_export": Rule(c.can_open_price_book),
    "crm:product_detail": Rule(c.can_open_price_book, "product"),
    "crm:product_create": Rule(c.can_manage_price_book),
    "crm:product_edit": Rule(c.can_manage_price_book, "product"),
    "crm:product_import": Rule(c.can_manage_price_book),
    "crm:quote_transition": Rule(c.can_open_pipeline, "quote"),
    "crm:contract_list": Rule(c.can_open_contracts, menu=True),
    "crm:contract_create": Rule(c.can_open_contracts),
    "crm:contract_detail": Rule(c.is_internal, "contract"),
    "crm:contract_payment_plan": Rule(c.is_internal, "contract_plan"),  # owner side only (404 otherwise)
    "crm:contract_transition": Rule(c.is_internal, "contract"),
    "crm:order_create": Rule(c.can_open_contracts, "contract"),
    "crm:execution_order_list": Rule(c.can_open_contracts),  # reached from the contract pages
    "crm:execution_order_detail": Rule(c.is_internal, "execution_order"),
    "crm:execution_order_create": Rule(c.is_internal, "execution_order_raise"),  # the owner only
    # 003 §9.5 实施单: the menu offers the list to the implementation side (can_open_implementation_menu).
    "crm:implementation_order_list": Rule(c.can_open_contracts),
    "crm:implementation_order_detail": Rule(c.is_internal, "implementation_order"),
    "crm:implementation_order_create": Rule(c.is_internal, "implementation_order_raise"),
    "crm:implementation_order_transition": Rule(c.is_internal, "implementation_order"),
    "crm:implementation_item_assign": Rule(c.is_internal, "implementation_item"),
    "crm:order_list": Rule(c.can_open_orders, menu=True),
    "crm:order_detail": Rule(c.can_open_orders, "order"),
    "crm:order_writeoff": Rule(c.can_open_orders, "order"),
    "crm:order_line_costs": Rule(c.can_record_money_in, "order"),
    "crm:order_writeoff_resolution": Rule(c.can_record_money_decisions, "writeoff"),  # finance, 002 §8.3
    "crm:receivable_aging": Rule(c.can_open_receivables, menu=True),
    "crm:pool_list": Rule(c.can_open_pool, menu=True),
    "crm:pool_claim": Rule(c.can_open_pool, "pool"),
    "crm:pool_assign": Rule(c.can_assign_from_pool, "pool"),
    "crm:notifications": Rule(signed_in),  # the header's bell, not a menu entry
    "crm:search": Rule(c.can_search),  # the header's search box, not a menu entry
    "crm:task_list": Rule(c.can_open_tasks),  # reached from "my day"
    "crm:task_create": Rule(c.can_open_tasks),
    "crm:task_done": Rule(c.can_open_tasks, "task"),
    "partners:partner_list": Rule(p.can_manage_partners, menu=True),
    "partners:partner_create": Rule(p.can_manage_partners),
    "partners:portal": Rule(p.can_open_portal, menu=True),
    "partners:referral_create": Rule(p.can_record_referral, menu=True),
    "partners:collision_list": Rule(p.can_open_collisions, menu=True),
    "partners:collision_report": Rule(p.can_open_collision_report, menu=True),
    "partners:collision_detail": Rule(p.can_open_collisions, "collision"),
    "partners:collision_act": Rule(p.can_open_collisions, "collision"),
    "partners:order_credit": Rule(signed_in, "order_credit"),
    "partners:executive_attach": Rule(c.can_open_customers, "customer"),
    "commissions:statement": Rule(k.can_open_statement, menu=True),
    "commissions:line_detail": Rule(k.can_open_statement, "line"),
    "commissions:what_if": Rule(k.can_open_what_if, menu=True),
    "commissions:my_plan": Rule(k.can_open_my_plan, menu=True),
    "commissions:forfeit": Rule(k.can_forfeit, menu=True),
    "commissions:plan_list": Rule(k.can_manage_plans, menu=True),
    "commissions:plan_edit": Rule(k.can_manage_plans, "plan"),
    "commissions:champion_list": Rule(k.can_open_champions),  # linked from the perks page
    "commissions:perk_list": Rule(k.can_open_perks, menu=True),
    "commissions:perk_detail": Rule(k.can_open_perks, "perk"),
    "commissions:upgrade_review": Rule(k.can_open_upgrade_review, menu=True),
    "settlements:list": Rule(s.can_open_settlements, menu=True),
    "settlements:dashboard": Rule(s.can_open_settlement_dashboard, menu=True),
    "settlements:inbox": Rule(s.can_open_settlement_inbox),  # staff: the approvals centre's tab
    "settlements:generate": Rule(s.can_generate),
    "settlements:bulk_payout": Rule(s.can_pay),
    "settlements:tickets": Rule(s.can_record_tickets, menu=True),
    "settlements:export_start": Rule(s.can_export),
    "settlements:export_job": Rule(s.can_export, "export"),
    "settlements:export_download": Rule(s.can_export, "export_file"),
    "settlements:detail": Rule(s.can_open_settlements, "settlement"),
    "settlements:transition": Rule(s.can_open_settlements, "settlement"),
    "settlements:payout": Rule(s.can_pay, "settlement"),
    "settlements:line_defer": Rule(s.can_open_settlements, "settlement_line"),
    "settlements:dispute_create": Rule(s.can_open_settlements, "settlement"),
    "settlements:tax": Rule(s.can_open_settlements, "settlement"),  # POST; the service asks finance
    "settlements:dispute_resolve": Rule(s.can_open_settlements, "settlement_dispute"),
    "settlements:export_one": Rule(s.can_open_settlements, "settlement"),
    # reports: each role's home at `/` (a rep's is "my day" plus their figures) and the report pages
    "home": Rule(signed_in),  # the menu offers it as "my dashboard" to non-reps (reports.policy)
    "reports:funnel": Rule(r.can_open_sales_reports, menu=True),
    "reports:trend": Rule(r.can_open_money_reports, menu=True),
    "reports:activity": Rule(r.can_open_sales_reports, menu=True),
    "reports:rankings": Rule(r.can_open_rankings, menu=True),
    "reports:usage": Rule(r.can_open_rankings, menu=True),
    "reports:sales": Rule(r.can_open_money_reports, menu=True),
    "reports:a3_list": Rule(r.can_open_a3),  # staff's menu entry; the partner's is its own month
    "reports:a3_mine": Rule(r.can_fill_a3, menu=True),
    "reports:a3_detail": Rule(r.can_open_a3, "a3"),
    "reports:sales_export": Rule(r.can_open_money_reports),
    "reports:chart_export": Rule(r.can_export_charts),  # each chart asks its report's rule (404)
    "reports:worklogs": Rule(r.can_open_work_reports, menu=True),
    "reports:worklog_write": Rule(r.can_write_work_reports),
    "reports:worklog_team": Rule(r.can_open_team_work_reports, menu=True),
    "reports:worklog_detail": Rule(r.can_open_work_reports, "work_report"),
    "reports:worklog_comment": Rule(r.can_open_team_work_reports, "work_report"),
    # one's own password (signed in); a forgotten one (signed out too)
    "password_change": Rule(signed_in),
    "password_change_done": Rule(signed_in),
    "password_reset": Rule(anyone, public=True),
    "password_reset_done": Rule(anyone, public=True),
    "password_reset_confirm": Rule(anyone, public=True),  # a bad link renders "invalid link" (200)
    "password_reset_complete": Rule(anyone, public=True),
    # site-wide
    "login": Rule(anyone, public=True),
    "logout": Rule(anyone, public=True),
    "set_language": Rule(anyone, public=True),
    "admin:index": Rule(c.can_open_admin, menu=True),
}

API: dict[str, Rule] = {
    "schema": Rule(anyone, public=True),
    "api-docs": Rule(anyone, public=True),
    "api-token": Rule(anyone, public=True),
    "crm_api:api-root": Rule(signed_in),
    "crm_api:customer-list": Rule(c.can_open_customers),
    "crm_api:contact-list": Rule(c.can_open_customers),
    "crm_api:contact-export": Rule(lambda user: c.can_export_list(user, "contacts")),  # issue 16
    "crm_api:customer-review-queue": Rule(c.can_open_customers),
    "crm_api:customer-export": Rule(c.can_export_customers),
    "crm_api:customer-release-to-pool": Rule(c.can_release_to_pool),
    "crm_api:customer-detail": Rule(c.can_open_customers, "customer"),
    "crm_api:customer-followups": Rule(c.can_open_customers, "customer"),
    "crm_api:customer-contacts": Rule(c.can_open_customers, "customer"),
    "crm_api:customer-timeline": Rule(c.can_open_customers, "customer"),
    "crm_api:customer-review": Rule(c.can_open_customers, "customer"),
    "crm_api:customer-assign": Rule(c.can_open_customers, "customer"),  # the service refuses (403)
    "crm_api:outing-list": Rule(c.can_open_pipeline),
    "crm_api:lead-list": Rule(c.can_open_pipeline),
    "crm_api:lead-export": Rule(lambda user: c.can_export_list(user, "leads")),
    "crm_api:lead-import-file": Rule(c.can_open_pipeline),
    "crm_api:lead-bulk-assign": Rule(c.can_open_pipeline),  # issue 16: each lead through lead_assign
    "crm_api:import-job-list": Rule(c.can_open_imports),
    "crm_api:import-job-detail": Rule(c.can_open_imports, "import_job"),
    "crm_api:lead-detail": Rule(c.can_open_pipeline, "lead"),
    "crm_api:lead-assign": Rule(c.can_open_pipeline, "lead"),
    "crm_api:lead-convert": Rule(c.can_open_pipeline, "lead"),
    "crm_api:opportunity-list": Rule(c.can_open_pipeline),
    "crm_api:opportunity-export": Rule(lambda user: c.can_export_list(user, "opportunities")),
    "crm_api:opportunity-stages": Rule(c.can_open_pipeline),
    "crm_api:opportunity-detail": Rule(c.can_open_pipeline, "opportunity"),
    "crm_api:opportunity-activities": Rule(c.can_open_pipeline, "opportunity"),
    "crm_api:opportunity-attachments": Rule(c.can_open_pipeline, "opportunity"),
    "crm_api:opportunity-confirm": Rule(c.can_open_pipeline, "opportunity"),
    "crm_api:opportunity-transition": Rule(c.can_open_pipeline, "opportunity"),
    "crm_api:approval-list": Rule(c.can_open_approvals),
    "crm_api:approval-inbox": Rule(c.can_open_approvals),
    "crm_api:approval-detail": Rule(c.can_open_approvals, "approval"),
    "crm_api:approval-decide": Rule(c.can_open_approvals, "approval"),
    "crm_api:concession-list": Rule(c.can_open_pipeline),
    "crm_api:concession-pay": Rule(c.can_record_money_decisions, "concession"),  # finance pays, 002 §6
    "crm_api:quote-list": Rule(c.can_open_pipeline),
    "crm_api:quote-export": Rule(lambda user: c.can_export_list(user, "quotes")),
    "crm_api:product-category-list": Rule(c.can_open_price_book),
    "crm_api:product-category-detail": Rule(c.can_open_price_book, "category"),
    "crm_api:product-list": Rule(c.can_open_price_book),
    "crm_api:product-import-file": Rule(c.can_open_price_book),
    "crm_api:product-export": Rule(c.can_open_price_book),
    "crm_api:product-detail": Rule(c.can_open_price_book, "product"),
    "crm_api:product-prices": Rule(c.can_open_price_book, "product"),
    "crm_api:quote-detail": Rule(c.can_open_pipeline, "quote"),
    "crm_api:quote-transition": Rule(c.can_open_pipeline, "quote"),
    "crm_api:contract-list": Rule(c.is_internal),
    "crm_api:contract-export": Rule(lambda user: c.can_export_list(user, "contracts")),
    "crm_api:contract-detail": Rule(c.is_internal, "contract"),
    "crm_api:contract-payment-plan": Rule(c.is_internal, "contract"),  # GET for all who see it
    "crm_api:contract-transition": Rule(c.is_internal, "contract"),
    "crm_api:execution-order-list": Rule(c.is_internal),
    "crm_api:execution-order-detail": Rule(c.is_internal, "execution_order"),
    "crm_api:implementation-order-list": Rule(c.is_internal),
    "crm_api:implementation-order-detail": Rule(c.is_internal, "implementation_order"),
    "crm_api:implementation-order-transition": Rule(c.is_internal, "implementation_order"),
    "crm_api:implementation-order-assign": Rule(c.is_internal, "implementation_order"),
    "crm_api:order-list": Rule(c.can_open_orders),
    "crm_api:order-export": Rule(lambda user: c.can_export_list(user, "orders")),
    "crm_api:order-detail": Rule(c.can_open_orders, "order"),
    "crm_api:order-money": Rule(c.can_open_orders, "order"),
    "crm_api:order-line-costs": Rule(c.can_open_orders, "order"),
    "crm_api:order-payments": Rule(c.can_open_orders, "order"),
    "crm_api:order-writeoff": Rule(c.can_open_orders, "order"),
    "crm_api:order-writeoff-resolution": Rule(c.can_record_money_decisions, "writeoff"),
    "crm_api:receivable-list": Rule(c.can_open_receivables),
    "crm_api:pool-list": Rule(c.can_open_pool),
    "crm_api:pool-claim": Rule(c.can_open_pool, "pool"),
    "crm_api:pool-assign": Rule(c.can_assign_from_pool, "pool"),
    "crm_api:notification-list": Rule(signed_in),
    "crm_api:notification-unread": Rule(signed_in),
    "crm_api:search": Rule(c.can_search),
    "crm_api:task-list": Rule(c.can_open_tasks),
    "crm_api:task-detail": Rule(c.can_open_tasks, "task"),
    "crm_api:task-done": Rule(c.can_open_tasks, "task"),
    "crm_api:task-undo": Rule(c.can_open_tasks, "task"),
    "crm_api:notification-mark-read": Rule(signed_in),
    "crm_api:region-list": Rule(c.is_internal),
    "crm_api:region-detail": Rule(c.is_internal, "region"),
    "crm_api:department-list": Rule(c.is_internal),
    "crm_api:department-detail": Rule(c.is_internal, "department"),
    "crm_api:industry-list": Rule(c.is_internal),
    "crm_api:industry-detail": Rule(c.is_internal, "industry"),
    "crm_api:user-list": Rule(c.is_internal),
    "crm_api:user-detail": Rule(c.is_internal, "user"),
    "reports_api:home": Rule(signed_in),
    "reports_api:funnel": Rule(r.can_open_sales_reports),
    "reports_api:trend": Rule(r.can_open_money_reports),
    "reports_api:activity": Rule(r.can_open_sales_reports),
    "reports_api:rankings": Rule(r.can_open_rankings),
    "reports_api:usage": Rule(r.can_open_rankings),
    "reports_api:sales": Rule(r.can_open_money_reports),
    "reports_api:worklogs": Rule(r.can_open_work_reports),
    "reports_api:worklog_prefill": Rule(r.can_write_work_reports),
    "reports_api:worklog_team": Rule(r.can_open_team_work_reports),
    "reports_api:worklog_detail": Rule(r.can_open_work_reports, "work_report"),
    "reports_api:worklog_comment": Rule(r.can_open_team_work_reports, "work_report"),
    "reports_api:a3_list": Rule(r.can_open_a3),
    "reports_api:a3_mine": Rule(r.can_fill_a3),
    "reports_api:a3_detail": Rule(r.can_open_a3, "a3"),
    "reports_api:a3_comment": Rule(r.can_open_a3, "a3"),  # the partner itself, a draft: 403
    "partners_api:api-root": Rule(signed_in),
    "partners_api:collision-list": Rule(p.can_open_collisions),
    "partners_api:collision-detail": Rule(p.can_open_collisions, "collision"),
    "partners_api:collision-transition": Rule(p.can_open_collisions, "collision"),
    "partners_api:collision-report": Rule(p.can_open_collision_report),
    "partners_api:referral-create": Rule(signed_in),  # the service refuses others (403)
    "partners_api:order-credit": Rule(signed_in, "order_credit"),
    "partners_api:customer-executive": Rule(p.can_attach_executives, "customer"),
    "partners_api:partner-list": Rule(p.can_manage_partners),
    "partners_api:partner-detail": Rule(p.can_manage_partners, "partner"),
    "partners_api:portal-customer-list": Rule(p.can_open_portal),
    "partners_api:portal-referral-list": Rule(p.can_open_portal),
    "partners_api:portal-order-list": Rule(p.can_open_portal),
    "commissions_api:api-root": Rule(signed_in),
    "commissions_api:statement": Rule(k.can_open_statement),
    "commissions_api:what_if": Rule(k.can_open_what_if),
    "commissions_api:my_plan": Rule(k.can_open_my_plan),
    "commissions_api:plan_objection": Rule(k.can_open_my_plan),
    "commissions_api:plans": Rule(k.can_manage_plans),
    "commissions_api:plan_publish": Rule(k.can_manage_plans, "plan"),
    "commissions_api:line-list": Rule(k.can_open_statement),
    "commissions_api:line-detail": Rule(k.can_open_statement, "line"),
    "commissions_api:champions": Rule(k.can_open_champions),
    "commissions_api:upgrade_review": Rule(k.can_open_upgrade_review),
    "commissions_api:perk-list": Rule(k.can_open_perks),
    "commissions_api:perk-detail": Rule(k.can_open_perks, "perk"),
    "commissions_api:perk-redeem": Rule(k.can_open_perks, "perk"),  # the partner itself: 403
    "settlements_api:api-root": Rule(signed_in),
    "settlements_api:settlement-list": Rule(s.can_open_settlements),
    "settlements_api:settlement-inbox": Rule(s.can_open_settlements),
    "settlements_api:settlement-generate": Rule(s.can_generate),
    "settlements_api:settlement-bulk-transition": Rule(s.can_open_settlements),
    "settlements_api:settlement-bulk-payout": Rule(s.can_open_settlements),  # refused per sheet
    "settlements_api:settlement-detail": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:settlement-lines": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:settlement-steps": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:settlement-transition": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:settlement-payout": Rule(s.can_pay, "settlement"),
    "settlements_api:settlement-tax": Rule(s.can_open_settlements, "settlement"),  # the service asks finance
    "settlements_api:settlement-tax-import": Rule(s.can_open_settlements),
    "settlements_api:settlement-tickets": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:settlement-defer": Rule(s.can_open_settlements, "settlement"),
    "settlements_api:dispute-list": Rule(s.can_open_settlements),
    "settlements_api:dispute-detail": Rule(s.can_open_settlements, "dispute"),
    "settlements_api:dispute-resolve": Rule(s.can_open_settlements, "dispute"),
    "settlements_api:export-list": Rule(s.can_export),
    "settlements_api:export-detail": Rule(s.can_export, "export"),
    "settlements_api:ticket-stock-list": Rule(s.can_record_tickets),
    "crm_api:rebate-payment-list": Rule(c.can_open_rebate_payments),
    "settlements_api:ticket-sale-list": Rule(s.can_record_tickets),
}

RULES = {**PAGES, **API}


def _classify(name: str, route: str) -> str | None:
    """The rule key of a pattern: its name; the Django admin's own pages are one family (the admin
    checks is_staff itself; admin:index stands for them); DRF's format-suffix twins share their name."""
    if route.startswith("admin/"):
        return "admin"
    return name if name in RULES else None


def test_every_url_pattern_is_classified() -> None:
    unlisted = sorted(
        {
            f"{name or '(unnamed)'} {route}"
            for name, route, _cb in all_patterns()
            if not _classify(name, route)
        }
    )
    assert unlisted == [], "classify these URL patterns in tests/test_policy_urls.py: " + ", ".join(unlisted)
    known = {name for name, _route, _cb in all_patterns()}
    stale = sorted(set(RULES) - known)
    assert stale == [], f"rules for URL names that no longer exist: {stale}"


# What each object kind's policy scope says (the same functions the pages and API call).
def _visible(kind: str, user: Any, obj: Any) -> bool:
    if isinstance(user, AnonymousUser):
        return False
    if kind == "customer":
        return crm_policy.customers_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "customer_assign":
        return crm_policy.can_assign_customer(user, obj)
    if kind == "lead":
        return crm_policy.leads_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "opportunity":
        return crm_policy.opportunities_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "quote":
        return crm_policy.quotes_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "contract_plan":
        return crm_policy.contracts_visible_to(user).filter(pk=obj.pk).exists() and (
            crm_policy.can_edit_payment_plan(user, obj)
        )
    if kind == "execution_order":
        return crm_policy.execution_orders_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "execution_order_raise":
        return crm_policy.contracts_visible_to(user).filter(pk=obj.pk).exists() and (
            crm_policy.can_raise_execution_order(user, obj)
        )
    if kind == "implementation_order":
        return crm_policy.implementation_orders_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "implementation_item":
        return crm_policy.implementation_orders_visible_to(user).filter(pk=obj.order_id).exists()
    if kind == "implementation_order_raise":
        return crm_policy.execution_orders_visible_to(user).filter(pk=obj.pk).exists() and (
            crm_policy.can_raise_implementation_order(user, obj)
        )
    if kind == "task":
        return crm_policy.tasks_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "contract":
        return crm_policy.contracts_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "order":
        return crm_policy.orders_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "approval":
        return crm_policy.approvals_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "attachment":
        return crm_policy.opportunities_visible_to(user).filter(pk=obj.opportunity_id).exists()
    if kind == "writeoff":
        return crm_policy.orders_visible_to(user).filter(pk=obj[0].pk).exists()
    if kind == "order_credit":
        return partners_policy.order_credit_visible(user, obj.pk) is not None
    if kind == "collision":
        return partners_policy.collisions_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "a3":
        return reports_policy.a3_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "perk":
        return commissions_policy.perks_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "line":
        return commissions_policy.lines_visible_to(user).filter(pk=obj.pk).exists()
    if kind in ("settlement", "settlement_line"):
        return settlements_policy.settlements_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "settlement_dispute":
        return settlements_policy.settlements_visible_to(user).filter(pk=obj[0].pk).exists()
    if kind == "dispute":
        return settlements_policy.settlements_visible_to(user).filter(pk=obj.settlement_id).exists()
    if kind == "work_report":
        return reports_policy.work_reports_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "export":
        return bool(obj.requested_by_id == user.pk)
    if kind == "import_job":
        return crm_policy.import_jobs_visible_to(user).filter(pk=obj.pk).exists()
    if kind == "export_file":  # the file of one's own finished export
        return bool(obj.requested_by_id == user.pk and obj.file)
    return True  # pool customers, org rows, partners: the page/route rule alone decides


def _kwargs(kind: str, obj: Any, route: str) -> dict[str, Any]:
    if kind == "settlement_line":
        return {"pk": obj.pk, "line_pk": obj.lines.first().pk}
    if kind == "settlement_dispute":
        return {"pk": obj[0].pk, "dispute_pk": obj[1].pk}
    if kind == "writeoff":
        order, writeoff = obj
        key = "writeoff_id" if "writeoff_id" in route else "writeoff_pk"
        return {"pk": order.pk, key: writeoff.pk}
    if "<int:contract_pk>" in route:
        return {"contract_pk": obj.pk}
    if "<slug:tab>" in route:
        return {"pk": obj.pk, "tab": "orders"}
    return {"pk": obj.pk}


def _targets() -> list[tuple[str, str, Rule]]:
    """Each named pattern once (format-suffix twins and the admin's own pages are covered by their
    representative), with its rule."""
    seen: set[str] = set()
    out = []
    for name, route, _cb in all_patterns():
        key = _classify(name, route)
        if key is None or key == "admin" or name in seen or "(?P<format>" in route:
            continue
        seen.add(name)
        out.append((name, route, RULES[name]))
    return out


def _request(client: Client, url: str) -> tuple[int, bool]:
    """GET; a route that only takes POST is POSTed (empty body) inside a transaction rolled back.
    Returns the status and whether it was POSTed."""
    with transaction.atomic():
        status, posted = client.get(url).status_code, False
        if status == 405:
            status, posted = client.post(url, {}).status_code, True
        transaction.set_rollback(True)
    return status, posted


def _expect(user: Any, rule: Rule, obj_kind: str | None, obj: Any, *, api: bool, posted: bool) -> set[int]:
    if isinstance(user, AnonymousUser) and not rule.public:
        return {401, 403} if api else {302}
    allowed = rule.check(user) and (obj_kind is None or _visible(obj_kind, user, obj))
    if not allowed:
        return DENIED
    return ALLOWED if posted or rule.public else OPEN_GET


# Routes whose path takes something that is not a row: a made-up reset link (the page says it is invalid).
FIXED_KWARGS: dict[str, dict[str, str]] = {
    "password_reset_confirm": {"uidb64": "MQ", "token": "bad-token"},
    "crm:approval_centre_decide": {"tab": "quotes", "pk": "1"},
    "crm:approval_centre_bulk": {"tab": "quotes"},
    "crm:list_export": {"key": "contracts"},
}

ROLES = [*Role.values, "anonymous"]


@pytest.mark.django_db
@pytest.mark.timeout(900)  # one role walks every URL; slow on the shared 2-core machine
@pytest.mark.parametrize("role", ROLES)
def test_every_url_answers_as_the_policy_says(world, role) -> None:  # type: ignore[no-untyped-def]
    user = world.users[role]
    client = Client()
    if not isinstance(user, AnonymousUser):
        client.force_login(user)
    wrong = []
    for name, route, rule in _targets():
        api = name in API
        objs = world.objects[rule.scope] if rule.scope else [None]
        for obj in objs:
            kwargs = _kwargs(rule.scope, obj, route) if rule.scope else FIXED_KWARGS.get(name)
            url = reverse(name, kwargs=kwargs)
            status, posted = _request(client, url)
            expected = _expect(user, rule, rule.scope, obj, api=api, posted=posted)
            if rule.public and not isinstance(user, AnonymousUser):
                client.force_login(user)  # logout / set_language / token: sign in again for the next URL
            if status not in expected or status == 500:
                wrong.append(f"{url} ({name}): {status}, policy says {sorted(expected)}")
    # The Django admin: staff only (the others are sent to the admin's login).
    status = client.get(reverse("admin:index")).status_code
    if status != (200 if crm_policy.can_open_admin(user) else 302):
        wrong.append(f"/admin/: {status}")
    assert wrong == [], f"{role}: " + "; ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_menu_offers_exactly_the_pages_the_role_may_open(world, role) -> None:  # type: ignore[no-untyped-def]
    user = world.users[role]
    request = RequestFactory().get("/")
    request.user = user
    offered = {item.url for group in nav_for(request) for item in group.items}
    client = Client()
    if not isinstance(user, AnonymousUser):
        client.force_login(user)
    dead = sorted(url for url in offered if client.get(url).status_code != 200)
    assert dead == [], f"{role}: menu links that do not open: {dead}"
    missing = []
    for name, rule in RULES.items():
        if not rule.menu or not rule.check(user):
            continue
        url = reverse(name)
        if client.get(url).status_code == 200 and url not in offered:
            missing.append(url)
    assert missing == [], f"{role}: pages the policy opens that the menu does not offer: {missing}"
