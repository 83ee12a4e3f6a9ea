"""The CRM's entries in the role menu (common.menu); each asks crm.policy who may see it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.menu import MenuEntry, forget_menus_on, register
from crm import approvals_centre as centre
from crm import policy
from crm.models import Department, Region, User


def register_menu() -> None:
    # the policy reads the org beyond the user's own row (a manager's team: departments, regions, reports)
    forget_menus_on(User, Department, Region)
    register(
        MenuEntry("home", _("我的一天"), "crm:my_day", "sun", policy.can_open_my_day, order=10),
        MenuEntry(
            "customers",
            pgettext_lazy("menu", "客户"),
            "crm:customer_list",
            "users",
            policy.can_open_customers,
            order=10,
        ),
        MenuEntry(
            "customers",
            pgettext_lazy("menu", "联系人"),
            "crm:contact_list",
            "address-book",
            policy.can_open_customers,
            order=15,
        ),
        MenuEntry("customers", _("公海"), "crm:pool_list", "droplet", policy.can_open_pool, order=20),
        MenuEntry(
            "customers", _("去向登记"), "crm:outing_create", "map-pin", policy.can_open_pipeline, order=30
        ),
        MenuEntry("customers", _("外出情况"), "crm:outing_list", "map", policy.can_open_pipeline, order=40),
        MenuEntry(
            "sales",
            pgettext_lazy("menu", "线索"),
            "crm:lead_list",
            "bulb",
            policy.can_open_pipeline,
            order=10,
        ),
        MenuEntry(
            "sales",
            pgettext_lazy("menu", "商机"),
            "crm:opportunity_list",
            "target",
            policy.can_open_pipeline,
            order=20,
        ),
        MenuEntry(
            "sales",
            pgettext_lazy("menu", "报价"),
            "crm:quote_list",
            "file-dollar",
            policy.can_open_pipeline,
            order=30,
        ),
        MenuEntry(
            "sales", _("产品与价格表"), "crm:product_list", "package", policy.can_open_price_book, order=35
        ),
        MenuEntry(
            "sales",
            pgettext_lazy("menu", "合同"),
            "crm:contract_list",
            "file-text",
            policy.can_open_contracts,
            order=40,
        ),
        MenuEntry("sales", _("订单回款"), "crm:order_list", "receipt", policy.can_open_orders, order=50),
        # 003 §9.5: the implementation department's (and the 商务 manager's) worklist; business staff
        # reach theirs from the execution order, contract and customer pages.
        MenuEntry(
            "sales",
            pgettext_lazy("menu", "实施单"),
            "crm:implementation_order_list",
            "tools",
            policy.can_open_implementation_menu,
            order=60,
        ),
        # Issue 15: one approvals centre (quotes, discounts, new customers, contracts, settlements,
        # collisions); its badge counts everything waiting for the user, in a fixed number of queries.
        MenuEntry(
            "approvals",
            _("审批中心"),
            "crm:approval_inbox",
            "checklist",
            policy.can_open_approvals,
            badge=centre.waiting_total,
            order=10,
        ),
        MenuEntry(
            "money",
            _("应收账龄"),
            "crm:receivable_aging",
            "calendar-due",
            policy.can_open_receivables,
            order=40,
        ),
        MenuEntry("system", _("组织架构"), "crm:org", "sitemap", policy.can_manage_org, order=10),
        MenuEntry(
            "system",
            _("权限矩阵"),
            "crm:authority_matrix",
            "shield-check",
            policy.can_manage_authority_matrix,
            order=15,
        ),
        MenuEntry(
            "money",
            _("客户佣金支付"),
            "crm:rebate_payments",
            "cash",
            policy.can_open_rebate_payments,
            order=45,
        ),
        MenuEntry("system", _("后台管理"), "admin:index", "settings", policy.can_open_admin, order=90),
    )
