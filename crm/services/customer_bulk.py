"""Issue 16: bulk actions on the customer list. Each customer goes through the same service as the
one-by-one action (customer_assign: C11 team rule, P1 history, partner rights), so a bulk action can
never do what the single one refuses; each customer is its own transaction and its own answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm import policy
from crm.models import Customer, User
from crm.services.customers import customer_assign


@dataclass
class BulkResult:
    done: list[Customer] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (customer name or id, reason)


def customers_bulk_transfer(
    *, customer_ids: list[int], to_user: User, by: User, note: str = ""
) -> BulkResult:
    """Transfer each selected customer the manager may see to `to_user`; the others are refused with
    the reason (a customer the manager may not see is "not found", as on its page)."""
    if not customer_ids:
        raise DomainError(_("请先勾选客户。"), code="nothing_selected")
    if len(customer_ids) > settings.CRM_LIST_BULK_MAX:
        raise DomainError(
            _("一次最多处理 %(n)d 个客户。") % {"n": settings.CRM_LIST_BULK_MAX}, code="too_many_selected"
        )
    visible = {c.pk: c for c in policy.customer_scope(by).filter(pk__in=customer_ids)}
    result = BulkResult()
    for pk in dict.fromkeys(customer_ids):  # once each, in the order chosen
        customer = visible.get(pk)
        if customer is None:
            result.refused.append((f"#{pk}", str(_("客户不存在或您无权查看。"))))
            continue
        try:
            result.done.append(customer_assign(customer=customer, to_user=to_user, by=by, note=note))
        except DomainError as exc:
            result.refused.append((customer.name, str(exc.message)))
    return result
