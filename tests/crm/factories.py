"""Pipeline test helpers: approvers for the countersign roles, visited customers, signed contracts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from crm.models import (
    ApprovalRequest,
    Category,
    Contract,
    ContractStatus,
    FollowUpChannel,
    Product,
    ProductPrice,
    Role,
    User,
)
from crm.services import contracts as contract_services
from crm.services.approvals import approval_decide
from tests.factories import CustomerFactory, FollowUpFactory, UserFactory


@dataclass
class Approvers:
    sales_admin: User
    rd_vp: User
    delivery_vp: User
    customer_director: User


def build_approvers() -> Approvers:
    return Approvers(
        UserFactory(username="sam", display_name="销管经理", roles=[Role.SALES_ADMIN_MANAGER]),
        UserFactory(username="rdvp", display_name="研发副总", roles=[Role.RD_VP]),
        UserFactory(username="dvp", display_name="交付副总", roles=[Role.DELIVERY_VP]),
        UserFactory(username="cdir", display_name="客户总监", roles=[Role.CUSTOMER_DIRECTOR]),
    )


def priced_product(
    code: str,
    list_price: str,
    floor_price: str = "0.00",
    *,
    category: str = "regular",
    unit_cost: str | None = None,
    cost_basis: str = "own",
    name: str | None = None,
    on: dt.date = dt.date(2020, 1, 1),
) -> Product:
    """A catalogue product (code = the name tests write on lines) with its price-book row from `on`."""
    product, _created = Product.objects.get_or_create(
        code=code,
        defaults={
            "name": name or code,
            # get_or_create: transactional (browser) tests flush the migration-seeded categories
            "category": Category.objects.get_or_create(code=category, defaults={"name": category})[0],
            "cost_basis": cost_basis,
        },
    )
    ProductPrice.objects.update_or_create(
        product=product,
        effective_from=on,
        defaults={
            "list_price": Decimal(list_price),
            "floor_price": Decimal(floor_price),
            "unit_cost": Decimal(unit_cost) if unit_cost is not None else None,
        },
    )
    return product


def visited_customer(owner: User, **kw):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=owner, **kw)
    FollowUpFactory(customer=customer, author=owner, channel=FollowUpChannel.VISIT_NEW)
    return customer


def signed_contract(
    owner: User, manager: User, amount: Decimal = Decimal("100000.00"), customer=None
) -> Contract:  # type: ignore[no-untyped-def]
    customer = customer or CustomerFactory(owner=owner)
    contract = contract_services.contract_create(
        by=owner, customer=customer, title="年度框架合同", amount=amount
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=owner)
    req = ApprovalRequest.objects.get(object_id=contract.pk, kind="contract")
    approval_decide(request=req, by=manager, approve=True, reason="同意")
    contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=owner)
    contract.refresh_from_db()
    return contract


def days_ago(n: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)
