"""Issue 16: how the CRM's lists describe themselves to the list tools (common.listtools): their
columns, which column sorts by which field, and what "team" means (a department with its
sub-departments, by the row owner's department)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.listtools import Column, ListSpec
from crm.models import Department


def people_in_department(person: str) -> Callable[[int], Q]:
    """What "team" means for a list: the rows whose `person` (the owner, the customer's owner, the lead's
    assignee) works in this department or one below it."""

    def condition(department_id: int) -> Q:
        path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first()
        if not path:
            return Q(pk__in=[])
        return Q(**{f"{person}__department__path__startswith": path})

    return condition


owner_in_department = people_in_department("owner")


CUSTOMER_LIST = ListSpec(
    key="customers",
    title=pgettext_lazy("menu", "客户"),
    page_url_name="crm:customer_list",
    columns=(
        Column("name", _("客户名称"), sort="name", required=True, cursor_safe=True),
        Column("grade", _("等级"), sort="grade", cursor_safe=True),
        Column("status", _("状态"), sort="status", cursor_safe=True),
        Column("region", _("大区"), sort="region__name"),
        Column("industry", _("行业"), sort="industry__name"),
        Column("owner", _("负责人"), sort="owner__display_name"),
        Column("last_contacted", _("最近联系"), sort="last_contacted_at"),
        Column("contact", _("联系人"), default=False),
        Column("phone", _("联系电话"), default=False),
        Column("created", _("创建时间"), sort="created_at", default=False, cursor_safe=True),
    ),
    filter_params=("q", "grade", "region", "industry", "status"),
    date_field="created_at",
    date_label=_("创建时间"),
    team_condition=owner_in_department,
)

CONTRACT_LIST = ListSpec(
    key="contracts",
    title=pgettext_lazy("menu", "合同"),
    page_url_name="crm:contract_list",
    columns=(
        Column("number", _("编号"), sort="number", required=True, cursor_safe=True),
        Column("title", _("合同名称"), sort="title", cursor_safe=True),
        Column("customer", _("客户"), sort="customer__name"),
        Column("amount", _("金额"), sort="amount", cursor_safe=True, numeric=True),
        Column("status", _("状态"), sort="status", cursor_safe=True),
        Column("owner", _("负责人"), sort="owner__display_name"),
        Column("signed_on", _("签约日期"), sort="signed_on", default=False),
        Column("created", _("创建时间"), sort="created_at", default=False, cursor_safe=True),
    ),
    filter_params=("q", "status"),
    date_field="created_at",
    date_label=_("创建时间"),
    team_condition=owner_in_department,
)

ORDER_LIST = ListSpec(
    key="orders",
    title=pgettext_lazy("menu", "订单"),
    page_url_name="crm:order_list",
    columns=(
        Column("number", _("订单号"), sort="number", required=True, cursor_safe=True),
        Column("customer", _("客户"), sort="customer__name"),
        Column("booked", _("下单时间"), sort="booked_at", cursor_safe=True),
        Column("total", _("金额"), sort="total", cursor_safe=True, numeric=True),
        Column("invoiced", _("已开票"), sort="invoiced_sum", numeric=True),
        Column("received", _("已回款"), sort="received_sum", numeric=True),
        Column("outstanding", _("未收"), sort="outstanding_sum", numeric=True),
        Column("status", _("状态"), sort="status", cursor_safe=True),
        Column("owner", _("负责人"), sort="owner__display_name"),
        Column("due", _("到期日"), sort="due_on", default=False),
    ),
    filter_params=("q", "status"),
    date_field="booked_at",
    date_label=_("下单时间"),
    team_condition=owner_in_department,
)

OPPORTUNITY_LIST = ListSpec(
    key="opportunities",
    title=pgettext_lazy("menu", "商机"),
    page_url_name="crm:opportunity_list",
    columns=(
        Column("name", _("商机名称"), sort="name", required=True, cursor_safe=True),
        Column("customer", _("客户"), sort="customer__name"),
        Column("stage", _("阶段")),
        Column("amount", _("预计金额"), sort="amount", cursor_safe=True, numeric=True),
        Column("expected_sign", _("预计签约"), sort="expected_sign_date"),
        Column("owner", _("负责人"), sort="owner__display_name"),
        Column("registered", _("报备时间"), sort="registered_at", cursor_safe=True),
        Column("competitors", _("竞争对手"), default=False),
    ),
    # `view=list`: the pipeline page shows the list, not the kanban (kept in saved filters too).
    filter_params=("view", "q", "stage"),
    page_query="view=list",
    date_field="registered_at",
    date_label=_("报备时间"),
    team_condition=owner_in_department,
)

CONTACT_LIST = ListSpec(
    key="contacts",
    title=pgettext_lazy("menu", "联系人"),
    page_url_name="crm:contact_list",
    columns=(
        Column("name", _("姓名"), sort="name", required=True, cursor_safe=True),
        Column("customer", _("客户"), sort="customer__name"),
        Column("position", _("职务"), sort="position", cursor_safe=True),
        Column("role", _("角色"), sort="role", cursor_safe=True),
        Column("phone", _("电话")),
        Column("email", _("邮箱"), default=False),
        Column("owner", _("负责人"), sort="customer__owner__display_name"),
        Column("created", _("创建时间"), sort="created_at", default=False, cursor_safe=True),
    ),
    filter_params=("q", "role"),
    owner_field="customer__owner_id",
    date_field="created_at",
    date_label=_("创建时间"),
    team_condition=people_in_department("customer__owner"),
    # Counting contacts goes through their customers (one index probe per customer): a rep's 10,000 cost
    # 70–180 ms at 1M under load (bench/pipeline_lists.py), so contacts are estimated from fewer rows.
    estimate_above_setting="CRM_CONTACT_LIST_ESTIMATE_ABOVE",
)

QUOTE_LIST = ListSpec(
    key="quotes",
    title=pgettext_lazy("menu", "报价单"),
    page_url_name="crm:quote_list",
    columns=(
        Column("number", _("单号"), sort="number", required=True, cursor_safe=True),
        Column("title", _("报价名称"), sort="title", cursor_safe=True),
        Column("customer", _("客户"), sort="customer__name"),
        Column(
            "list_total", _("标准价总额"), sort="list_total", default=False, cursor_safe=True, numeric=True
        ),
        Column("quoted_total", _("报价总额"), sort="quoted_total", cursor_safe=True, numeric=True),
        Column("discount", _("整单折扣"), numeric=True),
        Column("status", _("状态"), sort="status", cursor_safe=True),
        Column("owner", _("负责人"), sort="owner__display_name"),
        Column("sent", _("发送时间"), sort="sent_at", default=False),
        Column("created", _("创建时间"), sort="created_at", default=False, cursor_safe=True),
    ),
    filter_params=("q", "status"),
    date_field="created_at",
    date_label=_("创建时间"),
    team_condition=owner_in_department,
)

LEAD_LIST = ListSpec(
    key="leads",
    title=pgettext_lazy("menu", "线索"),
    page_url_name="crm:lead_list",
    columns=(
        Column("company", _("公司名称"), sort="company", required=True, cursor_safe=True),
        Column("contact", _("联系人"), sort="contact_person", default=False, cursor_safe=True),
        Column("phone", _("联系电话"), default=False),
        Column("source", _("来源"), sort="source", cursor_safe=True),
        Column("region", _("大区"), sort="region__name"),
        Column("industry", _("行业"), sort="industry__name"),
        Column("assigned_to", pgettext_lazy("column", "分配给"), sort="assigned_to__display_name"),
        Column("status", _("状态"), sort="status", cursor_safe=True),
        Column("created", _("创建时间"), sort="created_at", default=False, cursor_safe=True),
    ),
    filter_params=("q", "status"),
    owner_field="assigned_to_id",
    date_field="created_at",
    date_label=_("创建时间"),
    team_condition=people_in_department("assigned_to"),
)

LIST_SPECS = {
    spec.key: spec
    for spec in (
        CUSTOMER_LIST,
        CONTRACT_LIST,
        ORDER_LIST,
        OPPORTUNITY_LIST,
        CONTACT_LIST,
        QUOTE_LIST,
        LEAD_LIST,
    )
}
