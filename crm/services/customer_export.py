"""Customer-list export (CSV or Excel, text formula-escaped): managers only, every export logged
(who, when, how many rows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    visible = visible.order_by("id")
    export_log_record(user=user, kind="customer_list", rows=visible.count(), filters=filters)
    return _rows(visible)


def _labels(field: str) -> dict[str, str]:
    """A choice field's value → its label in the current language, translated once per export."""
    model_field: Any = Customer._meta.get_field(field)
    return {str(value): str(label) for value, label in model_field.flatchoices}


def _person(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """As `User.__str__` shows a person (display name, else full name, else login)."""
    return display_name or f"{first_name} {last_name}".strip() or username


def _rows(qs: QuerySet[Customer]) -> Iterator[list[str]]:
    """Read as plain values (no model instances, only the eight columns' fields): 100,000 rows in a few
    seconds and constant memory (the rows stream from the database in chunks)."""
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
    grades, statuses = _labels("grade"), _labels("status")
    values = qs.values_list(
        "name",
        "grade",
        "status",
        "region__name",
        "industry__name",
        "owner__display_name",
        "owner__first_name",
        "owner__last_name",
        "owner__username",
        "contact_person",
        "phone",
    )
    for (
        name,
        grade,
        status,
        region,
        industry,
        o_display,
        o_first,
        o_last,
        o_login,
        contact,
        phone,
    ) in values.iterator(chunk_size=2000):
        yield spreadsheet_row(
            [
                name,
                grades.get(grade, grade),
                statuses.get(status, status),
                region or "",
                industry or "",
                _person(o_display, o_first, o_last, o_login) if o_login else "",
                contact,
                phone,
            ]
        )
