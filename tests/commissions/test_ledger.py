"""The commission ledger (K1/K4/K5/K8/K10/K11/K13, P4 shares): runs, idempotency, closed periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from commissions.models import CommissionLine, LineKind, LineStatus, PeriodCalculation, SalesTarget
from commissions.selectors import next_open_period, period_is_closed
from commissions.services.collection import commission_payable_refresh
from commissions.services.forfeit import commission_forfeit
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.periods import commission_period_close
from common.errors import Conflict, DomainError
from crm.models import ProductCategory, Role, WriteOff, WriteOffStatus
from partners.models import CreditRole, CreditShare, Partner, PartnerKind
from tests.commissions.factories import booked, install_plan, pay, plan_definition
from tests.factories import CustomerFactory, make_order

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)
REG = ProductCategory.REGULAR


def snapshot(period=None):
    qs = CommissionLine.objects.order_by("source_key")
    if period:
        qs = qs.filter(period=period)
    return list(qs.values_list("source_key", "amount", "status", "kind", "corrects_id"))


def lines_of(user, **kw):
    return list(CommissionLine.objects.filter(payee_user=user, **kw).order_by("order_id", "component"))


@pytest.fixture
def progressive(org):
    return install_plan("sales_progressive", role=Role.REP)


def test_spec_example_through_the_ledger_split_over_orders(org, progressive):
    # Given a rep who booked 400,000 and 200,000 in October (600,000 → ¥30,000 under K1)
    rep = org.rep_a1
    o1 = make_order(owner=rep, lines=[(REG, D("1"), D("400000"))], booked_at=booked(dt.date(2026, 10, 3)))
    o2 = make_order(owner=rep, lines=[(REG, D("2"), D("100000"))], booked_at=booked(dt.date(2026, 10, 30)))
    make_order(owner=rep, lines=[(REG, D("1"), D("999"))], booked_at=booked(dt.date(2026, 11, 1)))  # November
    # When October is computed
    run = ledger_recalculate(period=OCT)
    # Then the rep earns 30,000.00, allocated to the orders by their share of the sales, pending collection
    lines = lines_of(rep, period=OCT)
    assert [(x.order_id, x.amount, x.status) for x in lines] == [
        (o1.pk, D("20000.00"), LineStatus.PENDING),
        (o2.pk, D("10000.00"), LineStatus.PENDING),
    ]
    assert run.total == D("30000.00")
    calc = PeriodCalculation.objects.get(period=OCT, payee_user=rep)
    assert calc.total == D("30000.00") and calc.sales == D("600000.00")
    assert [x["amount"] for x in calc.result["lines"]] == ["3000.00", "20000.00", "7000.00"]
    assert lines[0].explanation["calculation"] == calc.key
    assert lines[0].explanation["order_base"] == "400000.00"


def test_k8_payable_only_when_fully_collected(org, progressive):
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("1"), D("100000"))], booked_at=booked(dt.date(2026, 10, 5)))
    ledger_recalculate(period=OCT)
    pay(order, "60000", dt.date(2026, 10, 20), org.finance)
    commission_payable_refresh()
    (line,) = lines_of(rep)
    assert line.status == LineStatus.PENDING and line.amount == D("3000.00")  # partial: still pending
    pay(order, "40000", dt.date(2026, 11, 2), org.finance)
    assert commission_payable_refresh() == 1
    line.refresh_from_db()
    assert line.status == LineStatus.PAYABLE and line.amount == D("3000.00")


def test_k8_pro_rata_plan_releases_the_collected_part(org):
    definition = {**plan_definition("category_rates"), "payable": "pro_rata"}
    install_plan("category_rates", role=Role.REP, definition=definition)
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("3"), D("3333.33"))], booked_at=booked(dt.date(2026, 10, 5)))
    # 9,999.99 × 5% = 499.9995 → 500.00 earned
    pay(order, "3333.33", dt.date(2026, 10, 6), org.finance)  # one third collected
    ledger_recalculate(period=OCT)
    payable = lines_of(rep, status=LineStatus.PAYABLE)
    pending = lines_of(rep, status=LineStatus.PENDING)
    assert [x.amount for x in payable] == [D("166.67")]  # 500.00 × 3333.33/9999.99 = 166.666… → 166.67
    assert [x.amount for x in pending] == [D("333.33")]
    before = snapshot()
    ledger_recalculate(period=OCT)  # idempotent with a released tranche
    assert snapshot() == before
    pay(order, "6666.66", dt.date(2026, 10, 25), org.finance)
    commission_payable_refresh()
    assert sum(x.amount for x in lines_of(rep, status=LineStatus.PAYABLE)) == D("500.00")
    assert lines_of(rep, status=LineStatus.PENDING) == []


def test_70_30_split_with_odd_fens_adds_up_exactly(org):
    install_plan("category_rates", role=Role.REP)
    install_plan("category_rates", role=Role.ACCOUNT_EXECUTIVE)
    rep, executive = org.rep_a1, org.executive
    order = make_order(
        owner=rep,
        lines=[(REG, D("1"), D("1000.01"))],
        booked_at=booked(dt.date(2026, 10, 5)),
        shares=[(rep, D("0.7")), (executive, D("0.3"))],
    )
    ledger_recalculate(period=OCT)
    rep_line = lines_of(rep)[0]
    exec_line = lines_of(executive)[0]
    # The 1000.01 base splits 700.01 : 300.00 (largest remainder, no fen lost) ...
    assert (rep_line.base, exec_line.base) == (D("700.01"), D("300.00"))
    assert rep_line.base + exec_line.base == order.total
    # ... and the order's one commission, 5% × 1,000.01 = 50.0005 → 50.00, is split 35.00 : 15.00 (P4).
    assert (rep_line.amount, exec_line.amount) == (D("35.00"), D("15.00"))


def test_recalculation_is_idempotent_and_follows_changes(org, progressive):
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("150000"))], booked_at=booked(dt.date(2026, 10, 5)))
    ledger_recalculate(period=OCT)
    first = snapshot()
    run = ledger_recalculate(period=OCT)
    assert snapshot() == first and run.created == 0 and run.updated == 0
    # A late order in the same open month re-prices the rep's whole month (marginal bands).
    make_order(owner=rep, lines=[(REG, D("1"), D("50000"))], booked_at=booked(dt.date(2026, 10, 28)))
    ledger_recalculate(period=OCT)
    assert sum(x.amount for x in lines_of(rep)) == D("8000.00")  # 3000 + 100000 × 5%


def test_refund_before_settlement_reprices_the_open_month(org, progressive):
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("1"), D("100000"))], booked_at=booked(dt.date(2026, 10, 5)))
    pay(order, "100000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    pay(order, "-20000", dt.date(2026, 10, 9), org.finance)
    ledger_recalculate(period=OCT)
    (line,) = lines_of(rep)
    assert line.amount == D("2400.00") and line.kind == LineKind.EARNED  # 80,000 × 3%
    assert not CommissionLine.objects.filter(kind=LineKind.CLAWBACK).exists()


def _settle(period):
    """What the settlement app does on approval and payout (the contract)."""
    CommissionLine.objects.filter(period=period, status=LineStatus.PAYABLE).update(status=LineStatus.PAID)
    commission_period_close(period=period)


def test_k10_clawback_after_payout_goes_to_the_next_open_month(org, progressive):
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("1"), D("100000"))], booked_at=booked(dt.date(2026, 10, 5)))
    pay(order, "100000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    (original,) = lines_of(rep)
    assert original.status == LineStatus.PAYABLE and original.amount == D("3000.00")
    _settle(OCT)
    assert period_is_closed(OCT)
    # A 30% return in November, after payout
    pay(order, "-30000", dt.date(2026, 11, 3), org.finance)
    with pytest.raises(Conflict):
        ledger_recalculate(period=OCT)  # a closed month is never recomputed
    ledger_recalculate(period=NOV)
    original.refresh_from_db()
    assert (original.amount, original.status) == (D("3000.00"), LineStatus.PAID)  # untouched
    (claw,) = lines_of(rep, kind=LineKind.CLAWBACK)
    assert (claw.period, claw.amount, claw.corrects_id, claw.status) == (
        NOV,
        D("-900.00"),
        original.pk,
        LineStatus.PAYABLE,
    )
    before = snapshot()
    ledger_recalculate(period=NOV)
    assert snapshot() == before  # idempotent: no second clawback
    # A further write-off of the rest, approved in December, after November was settled too
    _settle(NOV)
    WriteOff.objects.create(
        order=order,
        amount=D("70000"),
        reason="坏账",
        status=WriteOffStatus.APPROVED,
        proposed_by=org.finance,
        approved_by=org.president,
        approved_on=dt.date(2026, 12, 2),
    )
    assert next_open_period(after=NOV) == DEC
    ledger_recalculate(period=DEC)
    claws = lines_of(rep, kind=LineKind.CLAWBACK)
    assert [(x.period, x.amount) for x in claws] == [(NOV, D("-900.00")), (DEC, D("-2100.00"))]
    assert sum(x.amount for x in lines_of(rep)) == D("0.00")


def test_refund_after_a_month_closed_with_the_line_still_pending(org, progressive):
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("1"), D("10000"))], booked_at=booked(dt.date(2026, 10, 5)))
    ledger_recalculate(period=OCT)
    commission_period_close(period=OCT)
    pay(order, "10000", dt.date(2026, 11, 1), org.finance)
    pay(order, "-5000", dt.date(2026, 11, 2), org.finance)
    ledger_recalculate(period=NOV)
    amounts = sorted((x.kind, x.amount, x.status) for x in lines_of(rep))
    assert amounts == [
        (LineKind.CLAWBACK, D("-150.00"), LineStatus.PAYABLE),
        (LineKind.EARNED, D("300.00"), LineStatus.PAYABLE),
    ]


def test_k11_forfeit_cancels_only_unpaid_lines(org, progressive):
    rep = org.rep_a1
    paid_order = make_order(
        owner=rep, lines=[(REG, D("1"), D("10000"))], booked_at=booked(dt.date(2026, 10, 5))
    )
    pay(paid_order, "10000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    _settle(OCT)
    make_order(owner=rep, lines=[(REG, D("1"), D("20000"))], booked_at=booked(dt.date(2026, 11, 5)))
    ledger_recalculate(period=NOV)
    with pytest.raises(DomainError):
        commission_forfeit(payee=rep, reason="虚假销售", by=org.rep_a2)
    with pytest.raises(DomainError):
        commission_forfeit(payee=rep, reason=" ", by=org.finance)
    record = commission_forfeit(payee=rep, reason="虚假销售，已查实", by=org.finance)
    assert (record.lines, record.amount) == (1, D("600.00"))
    statuses = sorted((x.period, x.status) for x in lines_of(rep))
    assert statuses == [(OCT, LineStatus.PAID), (NOV, LineStatus.FORFEITED)]
    ledger_recalculate(period=NOV)  # a re-run does not revive forfeited lines
    assert lines_of(rep, period=NOV)[0].status == LineStatus.FORFEITED


def test_k13_partner_rebate_lines_for_the_partner(org):
    install_plan("partner_rebate", partner_kind=PartnerKind.ORDINARY)
    partner = Partner.objects.create(name="王合伙", kind=PartnerKind.ORDINARY)
    rep = org.rep_a1
    order = make_order(
        owner=rep,
        lines=[("family_edu_ticket", D("3"), D("1980")), ("books", D("7"), D("38.10"))],
        booked_at=booked(dt.date(2026, 10, 5)),
        shares=[],
    )
    order.credit_shares.all().delete()
    CreditShare.objects.create(order=order, partner=partner, role=CreditRole.REFERRAL, share=D("1"))
    ledger_recalculate(period=OCT)
    lines = CommissionLine.objects.filter(payee_partner=partner).order_by("component", "id")
    assert sum(x.amount for x in lines) == D("1822.01")
    assert {x.kind for x in lines} == {LineKind.REBATE}  # 5940 × 30% + 266.70 × 15% (40.005 → 40.01)


def test_k5_key_account_monthly_advance_and_year_end_true_up(org):
    install_plan("key_account", role=Role.REP)
    rep = org.rep_a1
    customer = CustomerFactory(owner=rep, key_account_class="strategic")
    for month in range(1, 13):
        order = make_order(
            owner=rep,
            customer=customer,
            lines=[(REG, D("1"), D("10000"))],
            booked_at=booked(dt.date(2026, month, 5)),
        )
        pay(order, "10000", dt.date(2026, month, 6), org.finance)
    SalesTarget.objects.create(user=rep, period=dt.date(2026, 1, 1), annual=True, amount=D("120000"))
    for month in range(1, 13):
        ledger_recalculate(period=dt.date(2026, month, 1))
    earned = lines_of(rep, kind=LineKind.EARNED, order__isnull=False)
    assert {x.amount for x in earned} == {D("160.00")}  # 80% of 10,000 × 2%
    balance = CommissionLine.objects.get(source_key__endswith=":balance")
    bonus = CommissionLine.objects.get(source_key__endswith=":bonus")
    assert (balance.period, balance.amount) == (DEC, D("480.00"))  # 12 × 200 − 12 × 160
    assert bonus.amount == D("240.00")  # annual target met: 10% of 2,400
    before = snapshot()
    ledger_recalculate(period=DEC)
    assert snapshot() == before


def test_k5_uplift_for_a_new_key_account(org):
    from commissions.models import KeyAccountUplift

    install_plan("key_account", role=Role.REP)
    rep = org.rep_a1
    customer = CustomerFactory(owner=rep, key_account_class="core")
    KeyAccountUplift.objects.create(customer=customer, user=rep, year=2026, reason="新开发大客户")
    make_order(
        owner=rep,
        customer=customer,
        lines=[(REG, D("1"), D("100000"))],
        booked_at=booked(dt.date(2026, 10, 5)),
    )
    ledger_recalculate(period=OCT)
    (line,) = lines_of(rep)
    assert line.amount == D("1600.00")  # 100,000 × (1.5% + 0.5%) = 2,000 × 80% advance


def test_no_plan_no_lines_and_closed_period_hook(org):
    make_order(owner=org.rep_a1, booked_at=booked(dt.date(2026, 10, 5)))
    run = ledger_recalculate(period=OCT)
    assert run.skipped_no_plan == 1 and not CommissionLine.objects.exists()
    assert not period_is_closed(OCT)
    commission_period_close(period=dt.date(2026, 10, 17))
    assert period_is_closed(OCT)
    with pytest.raises(Conflict):
        ledger_recalculate(period=OCT)
