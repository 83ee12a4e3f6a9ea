"""003 §9.3/§9.5: execution orders (执行单). The owner of a signed contract raises one (what is to be
delivered, when it ships and is implemented, how much is to be collected and when); the authority
matrix routes it (by default to the 销售管理部商务经理) and its approval state follows the request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import DomainError
from common.money import format_cny, round_fen
from crm import policy
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    Contract,
    ContractStatus,
    ExecutionOrder,
    ExecutionOrderStatus,
    Role,
    User,
)
from crm.services.approvals import approval_request_create
from crm.services.numbering import assign_number, provisional_number

EXECUTABLE = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)


def _money(value: Any) -> Decimal:
    try:
        amount = round_fen(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("请输入正确的金额。"), code="invalid_amount", field="collect_amount") from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError(_("应收金额须大于0。"), code="invalid_amount", field="collect_amount")
    return amount


def execution_order_open_amount(contract: Contract) -> Decimal:
    """What is still free to execute: the contract amount less the live (not rejected) orders."""
    used = ExecutionOrder.objects.filter(contract=contract).exclude(
        status=ExecutionOrderStatus.REJECTED
    ).aggregate(s=Sum("collect_amount"))["s"] or Decimal("0.00")
    return contract.amount - used


@transaction.atomic
def execution_order_create(
    *,
    contract: Contract,
    by: User,
    deliverables: str,
    ship_on: dt.date | None,
    collect_amount: Any,
    collect_on: dt.date | None,
    implement_on: dt.date | None = None,
    note: str = "",
) -> ExecutionOrder:
    """Raise an execution order on a signed contract and send it for approval. Refuses anyone but
    the contract's owner, an unsigned contract, and amounts beyond what the contract has left."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not policy.can_raise_execution_order(by, contract):
        raise DomainError(_("只有合同负责人可以发起执行单。"), code="not_allowed", status=403)
    if contract.status not in EXECUTABLE:
        raise DomainError(
            _("合同签约后才能发起执行单（当前状态：%(s)s）。") % {"s": contract.get_status_display()},
            code="contract_not_signed",
            status=409,
        )
    deliverables = (deliverables or "").strip()
    if not deliverables:
        raise DomainError(_("请填写交付内容。"), code="required", field="deliverables")
    if ship_on is None:
        raise DomainError(_("请填写计划发货日期。"), code="required", field="ship_on")
    if collect_on is None:
        raise DomainError(_("请填写计划收款日期。"), code="required", field="collect_on")
    if implement_on is not None and implement_on < ship_on:
        raise DomainError(_("计划实施日期不能早于发货日期。"), code="invalid_date", field="implement_on")
    amount = _money(collect_amount)
    left = execution_order_open_amount(contract)
    if amount > left:
        raise DomainError(
            _("应收金额 %(a)s 超过合同尚未执行的金额 %(l)s。")
            % {"a": format_cny(amount), "l": format_cny(left)},
            code="over_contract",
            field="collect_amount",
        )
    eo = ExecutionOrder.objects.create(
        number=provisional_number(),
        contract=contract,
        deliverables=deliverables[:2000],
        ship_on=ship_on,
        implement_on=implement_on,
        collect_amount=amount,
        collect_on=collect_on,
        note=(note or "").strip()[:500],
        created_by=by,
    )
    assign_number(eo, prefix="EO")
    approval_request_create(
        kind=ApprovalKind.EXECUTION_ORDER,
        subject=eo,
        requested_by=by,
        title=words(gettext_noop("执行单 %(n)s（合同 %(c)s）"), n=eo.number, c=contract.number),
        amount=amount,
        customer_owner=contract.owner,
    )
    return eo


def execution_order_on_approval(
    *, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None
) -> None:
    status = ExecutionOrderStatus.APPROVED if approved else ExecutionOrderStatus.REJECTED
    ExecutionOrder.objects.filter(pk=request.object_id).update(status=status)
    if approved:
        _notify_approved(ExecutionOrder.objects.select_related("contract").get(pk=request.object_id))


def _notify_approved(eo: ExecutionOrder) -> None:
    """003 §9.3: once approved, the people who act on it are told to start: the delivery VP (delivery
    and implementation), finance (collection) and the contract's owner (who raises the 实施单)."""
    from django.db.models import Q
    from django.urls import reverse

    from common.notifications import notify

    text = words(
        gettext_noop(
            "执行单 %(n)s（合同 %(c)s）已审批通过：请于 %(ship)s 发货，%(on)s 收款 %(amount)s，并安排实施。"
        ),
        n=eo.number,
        c=eo.contract.number,
        ship=eo.ship_on.isoformat(),
        on=eo.collect_on.isoformat(),
        amount=format_cny(eo.collect_amount),
    )
    link = reverse("crm:execution_order_detail", args=[eo.pk])

    def send() -> None:
        users = list(
            User.objects.filter(
                Q(groups__name__in=[Role.DELIVERY_VP, Role.FINANCE]) | Q(pk=eo.contract.owner_id),
                is_active=True,
            )
            .distinct()
            .order_by("id")
        )
        notify(users=users, text=text, link=link)

    transaction.on_commit(send)
