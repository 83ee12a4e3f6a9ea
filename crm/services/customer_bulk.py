"""Issue 16: bulk actions on the customer list and the lead list. Each row goes through the same service as
the one-by-one action (customer_assign: C11 team rule, P1 history, partner rights; lead_assign), so a bulk
action can never do what the single one refuses; each row is its own transaction and its own answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm import policy
from crm.models import User
from crm.services.customers import customer_assign
from crm.services.leads import lead_assign


@dataclass
class BulkResult:
    done: list[Any] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (row name or id, reason)


def bulk_selection_check(ids: list[int], *, nothing: str, too_many: str) -> None:
    """A bulk action needs at least one row ticked and at most CRM_LIST_BULK_MAX (`too_many` names %(n)d)."""
    if not ids:
        raise DomainError(nothing, code="nothing_selected")
    if len(ids) > settings.CRM_LIST_BULK_MAX:
        raise DomainError(too_many % {"n": settings.CRM_LIST_BULK_MAX}, code="too_many_selected")


def _each(
    ids: list[int],
    visible: dict[int, Any],
    act: Callable[[Any], Any],
    name: Callable[[Any], str],
    missing: str,
) -> BulkResult:
    """`act` on each visible row once, in the order chosen; a row not visible is "not found", a row the
    one-by-one service refuses is listed with its reason."""
    result = BulkResult()
    for pk in dict.fromkeys(ids):
        row = visible.get(pk)
        if row is None:
            result.refused.append((f"#{pk}", missing))
            continue
        try:
            result.done.append(act(row))
        except DomainError as exc:
            result.refused.append((name(row), str(exc.message)))
    return result


def customers_bulk_transfer(
    *, customer_ids: list[int], to_user: User, by: User, note: str = ""
) -> BulkResult:
    """Transfer each selected customer the manager may see to `to_user`; the others are refused with
    the reason (a customer the manager may not see is "not found", as on its page)."""
    bulk_selection_check(customer_ids, nothing=_("请先勾选客户。"), too_many=_("一次最多处理 %(n)d 个客户。"))
    visible = {c.pk: c for c in policy.customer_scope(by).filter(pk__in=customer_ids)}
    return _each(
        customer_ids,
        visible,
        lambda customer: customer_assign(customer=customer, to_user=to_user, by=by, note=note),
        lambda customer: customer.name,
        str(_("客户不存在或您无权查看。")),
    )


def leads_bulk_assign(*, lead_ids: list[int], to_user_id: int | None, by: User) -> BulkResult:
    """L1: a manager hands the ticked leads to one member of the team (`policy.lead_assignees`), each
    through lead_assign (team rule, industry rule, a converted lead stays as it is); the refused ones are
    listed with the reason. Someone the manager may not give leads to is refused before any lead."""
    to_user = policy.lead_assignees(by).filter(pk=to_user_id or 0).first()
    if to_user is None:
        raise DomainError(_("请选择接收线索的团队成员。"), code="not_allowed", field="to_user", status=403)
    bulk_selection_check(lead_ids, nothing=_("请先勾选线索。"), too_many=_("一次最多处理 %(n)d 条线索。"))
    visible = {x.pk: x for x in policy.leads_visible_to(by).filter(pk__in=lead_ids)}
    return _each(
        lead_ids,
        visible,
        lambda lead: lead_assign(lead=lead, to_user=to_user, by=by),
        lambda lead: lead.company,
        str(_("线索不存在或您无权查看。")),
    )
