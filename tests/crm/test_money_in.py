"""Q1/Q3/Q4/Q5: quotes need an on-site visit, contracts a customer in the system, orders freeze
credit shares and wait for below-floor approval, payments and refunds exact to the fen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.errors import DomainError
from crm.models import (
    ApprovalRequest,
    Contract,
    ContractStatus,
    FollowUpChannel,
    Order,
    OrderStatus,
    Payment,
    Quote,
    QuoteStatus,
)
from crm.services import contracts as contract_services
from crm.services import orders as order_services
from crm.services import payments as payment_services
from crm.services import quotes as quote_services
from crm.services.approvals import approval_decide
from partners.models import CreditShare
from tests.crm.factories import priced_product, signed_contract, visited_customer
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db
D = Decimal
LINE = {"product": "软件许可", "quantity": "3", "quoted_price": "33.33"}


@pytest.fixture(autouse=True)
def _price_book(db):  # type: ignore[no-untyped-def]
    """The price book these tests sell from: list, floor and cost are never on the lines."""
    priced_product("软件许可", "33.33")
    priced_product(
        "服务器", "1000.00", "300.00", unit_cost="200.00", cost_basis="sourced", category="sourced"
    )


def test_quote_refused_for_customer_never_visited_on_site(rep):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=rep)
    FollowUpFactory(customer=customer, author=rep, channel=FollowUpChannel.PHONE_FIRST)
    with pytest.raises(DomainError) as exc:
        quote_services.quote_create(by=rep, customer=customer, title="报价", lines=[LINE])
    assert exc.value.code == "no_onsite_visit"
    assert Quote.objects.count() == 0


def test_quote_at_list_price_still_goes_to_the_team_manager(org):  # type: ignore[no-untyped-def]
    # 003 §9.1: every quote is submitted to management; at list price the shortest chain, the team manager
    rep = org.rep_a1
    quote = quote_services.quote_create(by=rep, customer=visited_customer(rep), title="报价", lines=[LINE])
    assert (quote.list_total, quote.quoted_total) == (D("99.99"), D("99.99"))
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    with pytest.raises(DomainError):
        quote_services.quote_transition(quote=quote, to=QuoteStatus.SENT, by=rep)
    req = ApprovalRequest.objects.get()
    assert [s.assignee for s in req.steps.all()] == [org.manager_a]
    approval_decide(request=req, by=org.manager_a, approve=True, reason="按标准价，同意")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED


def test_quote_cannot_be_sent_or_contracted_until_approved(org):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    customer = visited_customer(rep)
    quote = quote_services.quote_create(
        by=rep, customer=customer, title="报价", lines=[{**LINE, "quoted_price": "10.00"}]
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    with pytest.raises(DomainError):
        quote_services.quote_transition(quote=quote, to=QuoteStatus.SENT, by=rep)
    with pytest.raises(DomainError) as exc:
        contract_services.contract_create(by=rep, customer=customer, title="合同", quote=quote)
    assert exc.value.code == "quote_not_approved"
    approval_decide(request=ApprovalRequest.objects.get(), by=org.vp, approve=True, reason="战略客户")
    quote.refresh_from_db()
    quote_services.quote_transition(quote=quote, to=QuoteStatus.SENT, by=rep)
    contract = contract_services.contract_create(by=rep, customer=customer, title="合同", quote=quote)
    assert (contract.amount, contract.list_amount) == (D("30.00"), D("99.99"))
    assert list(quote.history.values_list("to_status", flat=True)) == ["draft", "pending", "approved", "sent"]


def test_contract_refused_for_customer_not_in_system(rep, other_rep):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        contract_services.contract_create(by=rep, customer_name="不存在的公司", title="合同", amount="100.00")
    assert exc.value.code == "unknown_customer"
    with pytest.raises(DomainError):
        contract_services.contract_create(by=rep, customer_id=987654, title="合同", amount="100.00")
    theirs = CustomerFactory(owner=other_rep)
    with pytest.raises(DomainError):
        contract_services.contract_create(by=rep, customer_id=theirs.pk, title="合同", amount="100.00")
    assert Contract.objects.count() == 0


def test_contract_status_table_refuses_skips(org):  # type: ignore[no-untyped-def]
    contract = contract_services.contract_create(
        by=org.rep_a1, customer=CustomerFactory(owner=org.rep_a1), title="合同", amount="100.00"
    )
    with pytest.raises(DomainError) as exc:
        contract_services.contract_transition(contract=contract, to=ContractStatus.COMPLETED, by=org.rep_a1)
    assert exc.value.code == "invalid_transition"
    with pytest.raises(DomainError):  # the owner cannot terminate; the manager needs a reason
        contract_services.contract_transition(contract=contract, to=ContractStatus.TERMINATED, by=org.rep_a1)
    with pytest.raises(DomainError):
        contract_services.contract_transition(
            contract=contract, to=ContractStatus.TERMINATED, by=org.manager_a
        )
    contract_services.contract_transition(
        contract=contract, to=ContractStatus.TERMINATED, by=org.manager_a, comment="客户取消"
    )
    assert list(contract.history.values_list("to_status", flat=True)) == ["draft", "terminated"]


def test_full_contract_lifecycle(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a)
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_DELIVERY, by=org.rep_a1)
    contract_services.contract_transition(contract=contract, to=ContractStatus.COMPLETED, by=org.rep_a1)
    contract.refresh_from_db()
    assert contract.status == ContractStatus.COMPLETED
    assert contract.signed_on is not None


ORDER_LINE = {"product": "服务器", "quantity": "3", "unit_price": "333.33"}


def test_order_books_total_and_freezes_credit_shares(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a)
    order = order_services.order_create(by=org.rep_a1, contract=contract, lines=[ORDER_LINE])
    assert order.status == OrderStatus.BOOKED
    assert order.total == D("999.99")
    assert order.due_on is not None
    assert list(CreditShare.objects.filter(order=order).values_list("user_id", "share")) == [
        (org.rep_a1.pk, D("1"))
    ]


def test_order_from_unsigned_contract_refused(org):  # type: ignore[no-untyped-def]
    contract = contract_services.contract_create(
        by=org.rep_a1, customer=CustomerFactory(owner=org.rep_a1), title="合同", amount="100.00"
    )
    with pytest.raises(DomainError) as exc:
        order_services.order_create(by=org.rep_a1, contract=contract, lines=[ORDER_LINE])
    assert exc.value.code == "contract_not_signed"
    assert Order.objects.count() == 0


def test_below_floor_order_waits_for_regional_manager_who_sets_rate(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a)
    order = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{**ORDER_LINE, "unit_price": "299.99"}]
    )
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert not CreditShare.objects.filter(order=order).exists()
    req = ApprovalRequest.objects.get(kind="below_floor", object_id=order.pk)
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.manager_a, approve=True, rate=D("0.01"))
    assert exc.value.code == "above_authority"
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.regional_manager, approve=True)
    assert exc.value.code == "rate_required"
    approval_decide(request=req, by=org.regional_manager, approve=True, rate=D("0.015"))
    order.refresh_from_db()
    assert order.status == OrderStatus.BOOKED
    assert order.below_floor_rate == D("0.015")
    assert CreditShare.objects.filter(order=order).count() == 1


def _booked_order(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a)
    return order_services.order_create(by=org.rep_a1, contract=contract, lines=[ORDER_LINE])


def test_payments_and_refunds_exact_to_the_fen(org):  # type: ignore[no-untyped-def]
    order = _booked_order(org)
    payment_services.payment_record(order=order, amount="500.01", by=org.finance)
    payment_services.payment_record(order=order, amount=D("0.99"), by=org.finance)
    payment_services.refund_record(order=order, amount="100.50", reason="退货1台", by=org.finance)
    order.refresh_from_db()
    assert order.received == D("400.50")
    assert order.outstanding == D("599.49")
    refund = Payment.objects.get(kind="refund")
    assert (refund.amount, refund.reason) == (D("-100.50"), "退货1台")


def test_refund_cannot_exceed_received_and_needs_reason(org):  # type: ignore[no-untyped-def]
    order = _booked_order(org)
    payment_services.payment_record(order=order, amount="100.00", by=org.finance)
    with pytest.raises(DomainError) as exc:
        payment_services.refund_record(order=order, amount="100.01", reason="退货", by=org.finance)
    assert exc.value.code == "refund_exceeds_received"
    with pytest.raises(DomainError):
        payment_services.refund_record(order=order, amount="10.00", reason=" ", by=org.finance)
    assert order.received == D("100.00")


def test_only_finance_records_money_and_amounts_have_at_most_two_decimals(org):  # type: ignore[no-untyped-def]
    order = _booked_order(org)
    with pytest.raises(DomainError) as exc:
        payment_services.payment_record(order=order, amount="10.00", by=org.rep_a1)
    assert exc.value.code == "finance_only"
    with pytest.raises(DomainError):
        payment_services.payment_record(order=order, amount="10.001", by=org.finance)
    with pytest.raises(DomainError) as exc:
        payment_services.payment_record(order=order, amount="1000.00", by=org.finance)
    assert exc.value.code == "over_payment"
    assert Payment.objects.count() == 0


def test_invoices_capped_at_order_total(org):  # type: ignore[no-untyped-def]
    order = _booked_order(org)
    payment_services.invoice_record(order=order, amount="999.99", by=org.finance, number="FP001")
    assert order.invoiced == D("999.99")
    with pytest.raises(DomainError):
        payment_services.invoice_record(order=order, amount="0.01", by=org.finance)


def test_future_payment_date_refused(org):  # type: ignore[no-untyped-def]
    import datetime as dt

    from common.timeutil import local_today

    order = _booked_order(org)
    with pytest.raises(DomainError) as exc:
        payment_services.payment_record(
            order=order, amount="1.00", by=org.finance, received_on=local_today() + dt.timedelta(days=1)
        )
    assert exc.value.code == "future_date"
