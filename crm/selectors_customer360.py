"""Customer 360 (issue 16): what the customer page's tabs show a user, and how many rows each holds.

Every tab is scoped by crm.policy (C11: a manager sees the team's opportunities of this customer, a rep
only their own); the counts in the tab headers come from one query however long the history (plus one
per tab a higher app adds through crm.extensions: partners' collisions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm import policy
from crm.extensions import COLLISIONS_TAB, PAYMENT_PLANS_TAB, CustomerTab, customer_tab
from crm.models import (
    Customer,
    FollowUp,
    OpportunityAttachment,
    OwnershipChange,
    Payment,
    PaymentInstalment,
    User,
)
from crm.services.receivables import orders_with_money


class SubqueryCount(Subquery):
    """COUNT(*) of a queryset as a scalar subquery (no GROUP BY, no fan-out)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    count: int
    empty_hint: str | Promise = ""
    extension: CustomerTab | None = None


# Tab order on the page; the collisions slot shows only when a higher app (partners) fills it.
TAB_ORDER = (
    "contacts",
    "followups",
    "opportunities",
    "quotes",
    "contracts",
    "implementation",
    "orders",
    PAYMENT_PLANS_TAB,
    "payments",
    "receivables",
    COLLISIONS_TAB,
    "ownership",
    "attachments",
)

LABELS: dict[str, Promise] = {
    "contacts": pgettext_lazy("menu", "联系人"),
    "followups": _("跟进记录"),
    "opportunities": pgettext_lazy("menu", "商机"),
    "quotes": pgettext_lazy("menu", "报价单"),
    "contracts": pgettext_lazy("menu", "合同"),
    "implementation": pgettext_lazy("menu", "实施单"),
    "orders": pgettext_lazy("menu", "订单"),
    PAYMENT_PLANS_TAB: pgettext_lazy("menu", "回款计划"),
    "payments": pgettext_lazy("menu", "回款"),
    "receivables": _("应收"),
    "ownership": pgettext_lazy("menu", "负责人变更"),
    "attachments": pgettext_lazy("menu", "附件"),
}

# What the empty tab tells the user to do.
EMPTY_HINTS: dict[str, Promise] = {
    "contacts": _("还没有联系人：点击“添加联系人”录入对方的决策人和经办人。"),
    "followups": _("还没有跟进记录：用上方的“快速记录沟通”记下第一次沟通。"),
    "opportunities": _("还没有您可见的商机：点击“报备商机”为该客户登记一个项目。"),
    "quotes": _("还没有您可见的报价单：从商机或“新建报价”开始报价。"),
    "contracts": _("还没有您可见的合同：报价被接受后可转为合同。"),
    "implementation": _("还没有实施单：执行单审批通过后，商务人员可发起实施单通知实施部门。"),
    "orders": _("还没有您可见的订单：合同签订后在合同页下单。"),
    PAYMENT_PLANS_TAB: _("还没有回款计划：在合同页面按期生成回款计划。"),
    "payments": _("还没有回款：财务登记到账后会显示在这里。"),
    "receivables": _("没有未收的应收款。"),
    "ownership": _("负责人从未变更。"),
    "attachments": _("还没有附件：在商机页面上传合同扫描件等文件。"),
}


def tab_querysets(*, customer: Customer, user: User) -> dict[str, QuerySet[Any]]:
    """The rows of each built-in tab this user may see, in the order the tab lists them."""
    opportunities = policy.opportunities_visible_to(user).filter(customer=customer)
    orders = policy.orders_visible_to(user).filter(customer=customer)
    contracts = policy.contracts_visible_to(user).filter(customer=customer)
    return {
        "contacts": customer.contacts.order_by("id"),
        "followups": FollowUp.objects.filter(customer=customer)
        .select_related("author", "contact")
        .order_by("-occurred_at", "-id"),
        "opportunities": opportunities.select_related("owner").order_by("-registered_at", "-id"),
        "quotes": policy.quotes_visible_to(user)
        .filter(customer=customer)
        .select_related("owner")
        .order_by("-id"),
        "contracts": contracts.select_related("owner").order_by("-id"),
        # 003 §9.5: the customer's implementation orders (实施单), with their progress on the detail page.
        "implementation": policy.implementation_orders_visible_to(user)
        .filter(contract__customer=customer)
        .select_related("contract", "lead")
        .order_by("-id"),
        "orders": orders.select_related("owner", "contract").order_by("-booked_at", "-id"),
        # The contracts that have a plan; the tab shows each with its plan vs actual.
        PAYMENT_PLANS_TAB: contracts.filter(
            Exists(PaymentInstalment.objects.filter(contract=OuterRef("pk")))
        ).order_by("-id"),
        "payments": Payment.objects.filter(order__in=orders.values("pk"))
        .select_related("order")
        .order_by("-received_on", "-id"),
        "receivables": orders_with_money(policy.receivables_visible_to(user).filter(customer=customer))
        .filter(outstanding_sum__gt=0)  # type: ignore[misc]
        .select_related("owner")
        .order_by("due_on", "id"),
        "ownership": OwnershipChange.objects.filter(customer=customer)
        .select_related("from_user", "to_user", "changed_by")
        .order_by("-changed_at", "-id"),
        "attachments": OpportunityAttachment.objects.filter(opportunity__in=opportunities.values("pk"))
        .select_related("opportunity", "uploaded_by")
        .order_by("-id"),
    }


def customer_tabs(*, customer: Customer, user: User) -> list[Tab]:
    """The tabs with their counts: one query for crm's own, one per tab added by a higher app."""
    querysets = tab_querysets(customer=customer, user=user)
    counts = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(**{f"n_{key}": SubqueryCount(qs.order_by().values("pk")) for key, qs in querysets.items()})
        .values(*(f"n_{key}" for key in querysets))
        .get()
    )
    tabs = []
    for key in TAB_ORDER:
        if key in querysets:
            tabs.append(Tab(key, LABELS[key], counts[f"n_{key}"], EMPTY_HINTS[key]))
            continue
        extension = customer_tab(key)
        if extension is not None:
            tabs.append(
                Tab(key, extension.label, extension.count(customer=customer, user=user), extension=extension)
            )
    return tabs
