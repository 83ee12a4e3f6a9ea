"""Customer-list export (CSV or Excel, text formula-escaped): managers only, every export logged
(who, when, how many rows)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.exports import export_log_record
from common.spreadsheet import spreadsheet_row
from crm import policy
from crm.models import Customer, Role, User

EXPORT_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)


def can_export_customers(user: User) -> bool:
    return user.is_active and (user.sees_everything or user.has_role(*EXPORT_ROLES))


def customer_export(
    *, user: User, qs: QuerySet[Customer] | None = None, filters: str = ""
) -> Iterator[list[str]]:
    """The header and one row per customer the manager may see (narrowed by `qs` when given); logs it."""
    if not can_export_customers(user):
        raise DomainError(_("只有经理可以导出客户名单。"), code="export_not_allowed", status=403)
    visible = policy.customer_scope(user)
    if qs is not None:
        visible = visible.filter(pk__in=qs.values("pk"))
    visible = visible.select_related("owner", "region", "industry").order_by("id")
    export_log_record(user=user, kind="customer_list", rows=visible.count(), filters=filters)
    return _rows(visible)


def _rows(qs: QuerySet[Customer]) -> Iterator[list[str]]:
    yield [
        str(_("客户名称")),
        str(_("客户等级")),
        str(_("客户状态")),
        str(_("大区")),
        str(_("行业")),
        str(_("负责人")),
        str(_("联系人")),
        str(_("联系电话")),
    ]
    for c in qs.iterator(chunk_size=1000):
        yield spreadsheet_row(
            [
                c.name,
                c.get_grade_display(),
                c.get_status_display(),
                str(c.region or ""),
                str(c.industry or ""),
                str(c.owner or ""),
                c.contact_person,
                c.phone,
            ]
        )
