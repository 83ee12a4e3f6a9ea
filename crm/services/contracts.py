"""Q3: contracts, only with customers in the system; one transition table; non-standard terms (or
big amounts, or deep discounts) go through the countersign chain of the authority matrix."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import Words, words, words_json, words_stored_text
from common.errors import DomainError
from common.money import format_cny, round_fen
from crm import policy
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    ApprovalStatus,
    Contract,
    ContractStatus,
    Customer,
    Opportunity,
    Quote,
    QuoteStatus,
    StatusChange,
    User,
)
from crm.selectors import normalize_name
from crm.services.approvals import approval_request_create, latest_request_for
from crm.services.numbering import assign_number, provisional_number

S = ContractStatus
# (from, to) → who may make the move: owner, manager (of the owner), system (the approval engine).
CONTRACT_TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.IN_REVIEW): "owner",
    (S.IN_REVIEW, S.DRAFT): "system",  # rejected in review
    (S.IN_REVIEW, S.SIGNED): "owner",  # only once the matrix approved it
    (S.SIGNED, S.IN_DELIVERY): "owner",
    (S.IN_DELIVERY, S.COMPLETED): "owner",
    (S.DRAFT, S.TERMINATED): "manager",
    (S.IN_REVIEW, S.TERMINATED): "manager",
    (S.SIGNED, S.TERMINATED): "manager",
    (S.IN_DELIVERY, S.TERMINATED): "manager",
}


def _money(value: Any, field: str, label: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("%(label)s不是有效的金额。") % {"label": label}, field=field) from exc
    if not d.is_finite() or d != round_fen(d):
        raise DomainError(_("%(label)s须精确到分。") % {"label": label}, field=field)
    if d <= 0:
        raise DomainError(_("%(label)s必须大于0。") % {"label": label}, field=field)
    return d


def contract_price_ratio(contract: Contract) -> Decimal:
    if not contract.list_amount:
        return Decimal("1")
    return (contract.amount / contract.list_amount).quantize(Decimal("0.000001"))


@transaction.atomic
def contract_create(
    *,
    by: User,
    title: str,
    amount: Any = None,
    customer: Customer | None = None,
    customer_id: int | None = None,
    customer_name: str = "",
    standard_template: bool = True,
    list_amount: Any = None,
    quote: Quote | None = None,
    opportunity: Opportunity | None = None,
) -> Contract:
    """Q3: a draft contract with a customer that exists in the system (and that `by` may see)."""
    visible = policy.customer_scope(by)
    if customer is None:
        if customer_id:
            customer = visible.filter(pk=customer_id).first()
        elif (customer_name or "").strip():
            customer = visible.filter(name_normalized=normalize_name(customer_name)).first()
    elif not visible.filter(pk=customer.pk).exists():
        customer = None
    if customer is None:
        raise DomainError(
            _("客户不在系统中（或不是您负责的客户）：合同只能与系统中已录入的客户签订。"),
            code="unknown_customer",
            field="customer",
        )
    if quote is not None:
        if quote.customer_id != customer.pk:
            raise DomainError(_("报价单不属于该客户。"), field="quote")
        if quote.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
            raise DomainError(
                _("报价单尚未审批通过，不能转为合同。"), code="quote_not_approved", field="quote"
            )
        # Issue 17: the amount and the list amount are the approved quote's, never typed.
        if amount not in (None, "") and _money(amount, "amount", _("合同金额")) != quote.quoted_total:
            raise DomainError(
                _("合同金额须与报价单的报价总额 %(t)s 一致；如需变更请先修改报价并重新审批。")
                % {"t": format_cny(quote.quoted_total)},
                code="amount_not_quote",
                field="amount",
            )
        list_amount = quote.list_total
        amount = quote.quoted_total
        title = (title or "").strip() or quote.title
        opportunity = opportunity or quote.opportunity
    else:
        # Without a quote there are no price-book lines to price it against: the contract is valued at
        # its own amount (its orders are still checked line by line against the price book).
        list_amount = None
    if not (title or "").strip():
        raise DomainError(_("请填写合同名称。"), code="required", field="title")
    amount_d = _money(amount, "amount", _("合同金额"))
    list_d = _money(list_amount, "list_amount", _("标准价总额")) if list_amount not in (None, "") else None
    contract = Contract.objects.create(
        number=provisional_number(),
        customer=customer,
        owner=by,
        opportunity=opportunity,
        quote=quote,
        title=title.strip()[:200],
        amount=amount_d,
        list_amount=list_d,
        standard_template=standard_template,
    )
    assign_number(contract, prefix="HT")
    StatusChange.objects.create(
        contract=contract, from_status="", to_status=S.DRAFT, changed_by=by, changed_at=timezone.now()
    )
    return contract


def _move(contract: Contract, to: str, *, by: User | None, comment: str | Words = "") -> Contract:
    frm = contract.status
    contract.status = to
    fields = ["status", "updated_at"]
    if to == S.SIGNED:
        contract.signed_on = timezone.localdate()
        fields.append("signed_on")
    contract.save(update_fields=fields)
    StatusChange.objects.create(
        contract=contract,
        from_status=frm,
        to_status=to,
        changed_by=by,
        changed_at=timezone.now(),
        comment=words_stored_text(comment)[:500],
        comment_words=words_json(comment) if isinstance(comment, Words) else None,  # issue 15
    )
    return contract


@transaction.atomic
def contract_transition(*, contract: Contract, to: str, by: User, comment: str = "") -> Contract:
    """The one way a contract changes status. Submitting routes it through the matrix; signing needs
    the matrix's approval; terminating is the manager's call and needs a reason."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    who = CONTRACT_TRANSITIONS.get((contract.status, to))
    if who is None or who == "system":
        raise DomainError(
            _("合同当前状态为“%(s)s”，不能执行此操作。") % {"s": contract.get_status_display()},
            code="invalid_transition",
            status=409,
        )
    if who == "owner" and not policy.can_move_contract(by, contract, who):
        raise DomainError(_("只有合同负责人或其上级可以操作。"), code="not_allowed", status=403)
    if who == "manager" and not policy.can_move_contract(by, contract, who):
        raise DomainError(_("只有负责人的上级可以终止合同。"), code="not_allowed", status=403)
    if to == S.TERMINATED and not (comment or "").strip():
        raise DomainError(_("终止合同请填写原因。"), code="reason_required", field="comment")
    if to == S.SIGNED:
        req = latest_request_for(contract)
        if req is None or req.status != ApprovalStatus.APPROVED:
            raise DomainError(_("合同审批尚未通过，不能签约。"), code="not_approved", status=409)
    _move(contract, to, by=by, comment=comment)
    if to == S.IN_REVIEW:
        # 002 §2 (客户部) vs 003 §9.2 (销售部) disagree on who reviews a changed agreement: the rule book of
        # the owner's department governs (CUSTOMER_DEPARTMENT_NAMES lists the departments under 002).
        customer_department = (
            not contract.standard_template
            and contract.owner.department is not None
            and contract.owner.department.name in settings.CUSTOMER_DEPARTMENT_NAMES
        )
        approval_request_create(
            kind=ApprovalKind.AGREEMENT_CHANGE if customer_department else ApprovalKind.CONTRACT,
            subject=contract,
            requested_by=by,
            title=words(
                gettext_noop("合同 %(n)s（%(c)s）%(a)s"),
                n=contract.number,
                c=contract.customer,
                a=format_cny(contract.amount),
            ),
            ratio=contract_price_ratio(contract),
            amount=contract.amount,
            standard_template=contract.standard_template,
        )
    return contract


def contract_on_approval(*, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None) -> None:
    contract = Contract.objects.select_for_update().get(pk=request.object_id)
    if approved:
        approved_words = words(gettext_noop("审批通过，可以签约"))  # issue 15: read in the reader's language
        StatusChange.objects.create(
            contract=contract,
            from_status=contract.status,
            to_status=contract.status,
            changed_by=by,
            changed_at=timezone.now(),
            comment=words_stored_text(approved_words),
            comment_words=words_json(approved_words),
        )
    else:
        step = request.steps.filter(decided_by=by).order_by("-order").first()
        rejected = words(gettext_noop("审批驳回：%(r)s"), r=step.reason if step else "")
        _move(contract, S.DRAFT, by=by, comment=rejected)
