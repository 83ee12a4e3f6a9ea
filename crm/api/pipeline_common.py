"""Small helpers shared by the pipeline API modules."""

from __future__ import annotations

from django.utils.translation import gettext as _

from common.errors import DomainError
from crm import policy
from crm.models import Customer, User


def visible_customer(*, user: User, pk: int | None, field: str = "customer") -> Customer:
    customer = policy.customers_visible_to(user).filter(pk=pk).first() if pk else None
    if customer is None:
        raise DomainError(_("客户不在系统中或不是您负责的客户。"), code="unknown_customer", field=field)
    return customer
