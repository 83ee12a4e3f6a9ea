"""Issue 12: money exact where it is divided, moved in time or corrected. Amounts worked out by hand
from the rule books (SPEC K1/K4/K5/K10, P4; seed 002 第十条 2 — 共享因该客户获得的销售佣金，7:3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from commissions.models import CommissionLine, LineKind, LineStatus, PeriodCalculation
from commissions.services.collection import commission_payable_refresh
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.periods import commission_period_close
from crm.models import ProductCategory, Role
from partners.models import CreditRole, CreditShare
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)
REG = ProductCategory.REGULAR
HIGH = ProductCategory.HIGH_END


def shared_order(owner, amount, day, holders, category=REG, customer=None):
    """An order with the given credit shares [(user, role, share)]."""
    order = make_order(
        owner=owner, customer=customer, lines=[(category, D("1"), D(amount))], booked_at=booked(day)
    )
    order.credit_shares.all().delete()
    for user, role, share in holders:
        CreditShare.objects.create(order=order, user=user, role=role, share=D(share))
    return order


def total_of(user, **kw):
    qs = CommissionLine.objects.filter(payee_user=user, **kw).exclude(status=LineStatus.FORFEITED)
    return sum((x.amount for x in qs), D("0.00"))


def settle(period):
    """What the settlement app does on approval and payout (the contract)."""
    CommissionLine.objects.filter(period=period, status=LineStatus.PAYABLE).update(status=LineStatus.PAID)
    commission_period_close(period=period)


# --- 1. the executive's 30% is of the commission, not of the sales --------------------------------


def test_executive_gets_30_percent_of_the_commission_the_manager_earns_on_full_sales(org):
    install_plan("sales_progressive", role=Role.REP)
    install_plan("sales_progressive", role=Role.ACCOUNT_EXECUTIVE)
    rep, executive = org.rep_a1, org.executive
    shared_order(
        rep,
        "400000",
        dt.date(2026, 10, 5),
        [(rep, CreditRole.OWNER, "0.7"), (executive, CreditRole.EXECUTIVE, "0.3")],
    )
    ledger_recalculate(period=OCT)
    # The manager's bands see the whole ¥400,000: 100,000 × 3% + 300,000 × 5% = ¥18,000 (not 16,000)
    assert total_of(rep) + total_of(executive) == D("18000.00")
    assert total_of(rep) == D("12600.00")  # 70%
    assert total_of(executive) == D("5400.00")  # 30% of 18,000
    calc = PeriodCalculation.objects.get(period=OCT, payee_user=rep)
    assert calc.sales == D("400000.00") and calc.total == D("18000.00")
    exec_line = CommissionLine.objects.get(payee_user=executive, component="base")
    assert exec_line.explanation["calculation"] == calc.key
    assert "30%" in exec_line.explanation["note"] and str(rep) in exec_line.explanation["note"]
    assert exec_line.explanation["order_commission"] == "18000.00"


def test_attaching_an_executive_never_changes_the_total_and_their_own_bands_are_theirs(org):
    install_plan("sales_progressive", role=Role.REP)
    install_plan("sales_progressive", role=Role.ACCOUNT_EXECUTIVE)
    rep, executive = org.rep_a1, org.executive
    shared_order(
        rep,
        "400000",
        dt.date(2026, 10, 5),
        [(rep, CreditRole.OWNER, "0.7"), (executive, CreditRole.EXECUTIVE, "0.3")],
    )
    # The executive also sells ¥200,000 to a customer of their own: 3,000 + 5,000 = 8,000 in their bands
    make_order(owner=executive, lines=[(REG, D("1"), D("200000"))], booked_at=booked(dt.date(2026, 10, 9)))
    ledger_recalculate(period=OCT)
    assert total_of(executive) == D("13400.00")  # 8,000 own + 5,400 (30% of the manager's 18,000)
    assert total_of(rep) == D("12600.00")


# --- 2. a split never creates or loses a fen ---------------------------------------------------------


def test_70_30_of_a_flat_5_percent_on_2000_10_pays_the_whole_100_01(org):
    install_plan("category_rates", role=Role.REP)
    install_plan("category_rates", role=Role.ACCOUNT_EXECUTIVE)
    rep, executive = org.rep_a1, org.executive
    shared_order(
        rep,
        "2000.10",
        dt.date(2026, 10, 5),
        [(rep, CreditRole.OWNER, "0.7"), (executive, CreditRole.EXECUTIVE, "0.3")],
    )
    ledger_recalculate(period=OCT)
    # 5% × 2,000.10 = 100.005 → ¥100.01; 70:30 by largest remainder: 70.007 → 70.01, 30.003 → 30.00
    assert (total_of(rep), total_of(executive)) == (D("70.01"), D("30.00"))


def test_three_way_collision_split_of_100_pays_100(org):
    install_plan("category_rates", role=Role.REP)
    a, b, c = org.rep_a1, org.rep_a2, org.rep_b1
    shared_order(
        a,
        "2000.00",
        dt.date(2026, 10, 5),
        [
            (a, CreditRole.OWNER, "0.333334"),
            (b, CreditRole.COLLISION, "0.333333"),
            (c, CreditRole.COLLISION, "0.333333"),
        ],
    )
    ledger_recalculate(period=OCT)
    # 5% × 2,000 = ¥100.00 split in three: 33.34 + 33.33 + 33.33 (it paid 3 × 33.33 = 99.99)
    assert [total_of(u) for u in (a, b, c)] == [D("33.34"), D("33.33"), D("33.33")]


# --- 3. each order's line carries what that order earned ---------------------------------------------


def test_mixed_category_rates_each_order_carries_its_own_commission(org):
    install_plan("category_rates", role=Role.REP)
    rep = org.rep_a1
    regular = make_order(owner=rep, lines=[(REG, D("1"), D("10000"))], booked_at=booked(dt.date(2026, 10, 3)))
    high = make_order(owner=rep, lines=[(HIGH, D("1"), D("10000"))], booked_at=booked(dt.date(2026, 10, 4)))
    ledger_recalculate(period=OCT)
    by_order = {x.order_id: x.amount for x in CommissionLine.objects.filter(payee_user=rep)}
    # 10,000 × 5% = 500 and 10,000 × 8% = 800 (it was 650 each: the month's 1,300 weighted by sales)
    assert by_order == {regular.pk: D("500.00"), high.pk: D("800.00")}
    # Collecting only the regular order releases its own 500.00
    pay(regular, "10000", dt.date(2026, 10, 20), org.finance)
    commission_payable_refresh()
    assert total_of(rep, status=LineStatus.PAYABLE) == D("500.00")
    # A full return of the high-end order after the month closed claws back exactly what it paid
    settle(OCT)
    pay(high, "-10000", dt.date(2026, 11, 3), org.finance)
    ledger_recalculate(period=NOV)
    claw = CommissionLine.objects.get(payee_user=rep, kind=LineKind.CLAWBACK)
    assert (claw.order_id, claw.amount, claw.period) == (high.pk, D("-800.00"), NOV)
    assert total_of(rep) == D("500.00")


def test_key_accounts_of_different_classes_in_one_month(org):
    install_plan("key_account", role=Role.REP)
    rep = org.rep_a1
    strategic = CustomerFactory(owner=rep, key_account_class="strategic")
    important = CustomerFactory(owner=rep, key_account_class="important")
    o1 = make_order(
        owner=rep,
        customer=strategic,
        lines=[(REG, D("1"), D("10000"))],
        booked_at=booked(dt.date(2026, 10, 3)),
    )
    o2 = make_order(
        owner=rep,
        customer=important,
        lines=[(REG, D("1"), D("10000"))],
        booked_at=booked(dt.date(2026, 10, 4)),
    )
    ledger_recalculate(period=OCT)
    by_order = {x.order_id: x.amount for x in CommissionLine.objects.filter(payee_user=rep)}
    # 80% advance of 10,000 × 2% = 160 and of 10,000 × 1% = 80 (it was 120 each)
    assert by_order == {o1.pk: D("160.00"), o2.pk: D("80.00")}


# --- 4. a clawback costs the same before and after the lock ------------------------------------------


def test_refund_after_the_lock_costs_what_it_would_have_cost_before(org):
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    big = make_order(owner=rep, lines=[(REG, D("1"), D("400000"))], booked_at=booked(dt.date(2026, 10, 3)))
    small = make_order(owner=rep, lines=[(REG, D("1"), D("200000"))], booked_at=booked(dt.date(2026, 10, 4)))
    ledger_recalculate(period=OCT)
    # 600,000 → 3,000 + 20,000 + 7,000 = 30,000: 20,000 on the big order, 10,000 on the small one
    lines = {x.order_id: x for x in CommissionLine.objects.filter(payee_user=rep)}
    assert (lines[big.pk].amount, lines[small.pk].amount) == (D("20000.00"), D("10000.00"))
    settle(OCT)
    pay(small, "-200000", dt.date(2026, 11, 3), org.finance)  # the small order is returned in full
    ledger_recalculate(period=NOV)
    # Re-priced as if known in October: 400,000 → 3,000 + 15,000 = 18,000 (the refund costs 12,000, as
    # it would have before the lock; the old proportional clawback took only the small order's 10,000)
    nov = {x.corrects_id: x for x in CommissionLine.objects.filter(payee_user=rep, period=NOV)}
    assert nov[lines[small.pk].pk].amount == D("-10000.00")
    assert nov[lines[small.pk].pk].kind == LineKind.CLAWBACK
    assert nov[lines[big.pk].pk].amount == D("-2000.00")
    assert total_of(rep) == D("18000.00")
    words = nov[lines[big.pk].pk].explanation
    assert words["original_amount"] == "20000.00" and words["repriced_amount"] == "18000.00"
    assert "2026-10" in words["note"]
    # Original lines untouched; a second run adds nothing
    assert CommissionLine.objects.get(pk=lines[big.pk].pk).amount == D("20000.00")
    before = CommissionLine.objects.count()
    ledger_recalculate(period=NOV)
    assert CommissionLine.objects.count() == before


# --- 7. K5 advance computed at full precision and rounded once -----------------------------------


def test_k5_advance_rounded_once_and_advance_plus_balance_is_the_years_commission(org):
    install_plan("key_account", role=Role.REP)
    rep = org.rep_a1
    customer = CustomerFactory(owner=rep, key_account_class="strategic")
    make_order(
        owner=rep,
        customer=customer,
        lines=[(REG, D("1"), D("10000.25"))],
        booked_at=booked(dt.date(2026, 12, 3)),
    )
    ledger_recalculate(period=DEC)
    # 10,000.25 × 2% = 200.005 → the year's commission ¥200.01; the advance is 80% × 200.005 = 160.004
    # → ¥160.00 (not 80% of the rounded 200.01 = 160.008 → 160.01); the year-end balance is 40.01
    advance = CommissionLine.objects.get(payee_user=rep, order__isnull=False)
    balance = CommissionLine.objects.get(source_key__endswith=":balance")
    assert (advance.amount, balance.amount) == (D("160.00"), D("40.01"))
    assert advance.amount + balance.amount == D("200.01")


def test_shared_and_repriced_lines_explain_themselves_in_words_on_the_page_and_api(org, client_for, api_for):
    install_plan("sales_progressive", role=Role.REP)
    rep, executive = org.rep_a1, org.executive
    order = shared_order(
        rep,
        "400000",
        dt.date(2026, 10, 5),
        [(rep, CreditRole.OWNER, "0.7"), (executive, CreditRole.EXECUTIVE, "0.3")],
    )
    pay(order, "400000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    settle(OCT)
    pay(order, "-100000", dt.date(2026, 11, 3), org.finance)
    ledger_recalculate(period=NOV)
    exec_line = CommissionLine.objects.get(payee_user=executive, period=OCT)
    page = client_for(executive).get(f"/commissions/lines/{exec_line.pk}/").content.decode()
    assert "¥18,000.00" in page and "30%" in page and str(rep) in page
    # 300,000 re-priced: 3,000 + 10,000 = 13,000; the executive's 30% drops from 5,400 to 3,900
    claw = CommissionLine.objects.get(payee_user=executive, period=NOV)
    assert (claw.kind, claw.amount, claw.corrects_id) == (LineKind.CLAWBACK, D("-1500.00"), exec_line.pk)
    data = api_for(executive).get(f"/api/commissions/lines/{claw.pk}/").json()
    words = " ".join(
        str(v) for row in data["explanation_text"] for v in (row.values() if isinstance(row, dict) else row)
    )
    assert "2026-10" in words and "¥3,900.00" in words and "¥5,400.00" in words
    assert total_of(rep) + total_of(executive) == D("13000.00")
