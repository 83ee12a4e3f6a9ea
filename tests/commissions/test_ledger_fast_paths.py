"""The month run's shortcuts (issue 12, benchmark) change no fen: the categories no plan names summed in
SQL, a shared order held only by people taking its sums whole, and the re-run leaving the payees whose
inputs did not change as they are."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.models import CommissionLine, LineStatus, PeriodCalculation
from commissions.services import ledger_run
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.sales_facts import _fen_whole, plan_categories
from common.fen import allocate
from crm.models import Customer, OrderLine, ProductCategory, Role
from partners.models import CreditRole, CreditShare, Partner, PartnerKind
from tests.commissions.factories import booked, install_plan, pay, plan_definition
from tests.factories import make_order

OCT = dt.date(2026, 10, 1)
REG, HIGH, OUT, SRC = (
    ProductCategory.REGULAR,
    ProductCategory.HIGH_END,
    ProductCategory.OUTSOURCED,
    ProductCategory.SOURCED,
)


def ledger():
    """Every line and calculation as stored (on SQLite, whose sums come back with more or fewer trailing
    zeros, the explanation's order base as a number; on PostgreSQL the text itself)."""
    lines = list(
        CommissionLine.objects.order_by("source_key").values_list(
            "source_key",
            "payee_user_id",
            "payee_partner_id",
            "base",
            "rate",
            "amount",
            "status",
            "explanation",
        )
    )
    if connection.vendor != "postgresql":
        for *_rest, explanation in lines:
            explanation["order_base"] = D(explanation["order_base"])
    calcs = []
    for key, sales, total, result in PeriodCalculation.objects.order_by("key").values_list(
        "key", "sales", "total", "result"
    ):
        calcs.append((key, sales, total, {k: v for k, v in result.items() if k != "inputs"}))
    return lines, calcs


def awkward_month(org):
    """Mixed categories, an excluded (outsourced) line, a below-floor line, a refunded order, a 70:30
    split of odd fens, a three-way ⅓ split and an order a partner shares."""
    a1, a2, b1 = org.rep_a1, org.rep_a2, org.rep_b1
    day = booked(dt.date(2026, 10, 5))
    make_order(owner=a1, lines=[(REG, D("3"), D("333.33")), (HIGH, D("1"), D("1000.01"))], booked_at=day)
    make_order(owner=a1, lines=[(REG, D("1"), D("120000.00")), (OUT, D("1"), D("5000.00"))], booked_at=day)
    below = make_order(
        owner=a1, lines=[(REG, D("1"), D("800.00")), (SRC, D("2.5"), D("99.99"))], booked_at=day
    )
    OrderLine.objects.filter(order=below, category=REG).update(floor_price=D("900.00"))
    refunded = make_order(
        owner=a2, lines=[(REG, D("1"), D("777.77")), (HIGH, D("1"), D("0.03"))], booked_at=day
    )
    pay(refunded, "-100.01", dt.date(2026, 10, 9), org.finance)
    make_order(
        owner=a1,
        lines=[(REG, D("1"), D("2000.10")), (HIGH, D("1"), D("0.05"))],
        booked_at=day,
        shares=[(a1, D("0.7")), (a2, D("0.3"))],
    )
    third = D("0.3333")
    make_order(
        owner=b1,
        lines=[(REG, D("1"), D("100.00")), (HIGH, D("1"), D("0.01"))],
        booked_at=day,
        shares=[(b1, D("0.3334")), (a1, third), (a2, third)],
    )
    shared = make_order(
        owner=a2, lines=[(REG, D("1"), D("1000.01")), (HIGH, D("3"), D("0.03"))], booked_at=day
    )
    shared.credit_shares.update(share=D("0.7"))
    partner = Partner.objects.create(name="李合伙", kind=PartnerKind.ORDINARY)
    CreditShare.objects.create(order=shared, partner=partner, role=CreditRole.REFERRAL, share=D("0.3"))


def test_plan_categories_names_what_the_plans_price_separately():
    assert plan_categories([plan_definition("sales_progressive")]) == frozenset({"outsourced"})
    assert plan_categories([plan_definition("category_rates")]) is None  # every category is its own line


def margin_only() -> dict:
    """The category plan without its category rates: a margin component names `sourced`."""
    d = plan_definition("category_rates")
    return {**d, "code": "margin_only", "components": d["components"][1:], "annual_true_up": False}


@pytest.mark.parametrize(
    "plans", [("sales_progressive",), ("sales_bracket", "key_account"), ("margin_only",)]
)
def test_summing_unnamed_categories_changes_no_fen(org, monkeypatch, plans):
    for name in plans:
        install_plan(name, role=Role.REP, definition=margin_only() if name == "margin_only" else None)
    awkward_month(org)
    Customer.objects.filter(owner=org.rep_a1).update(key_account_class="core")
    monkeypatch.setattr(ledger_run, "plan_categories", lambda definitions: None)  # every category apart
    ledger_recalculate(period=OCT)
    apart = ledger()
    assert apart[0], "the month has lines"
    CommissionLine.objects.all().delete()
    PeriodCalculation.objects.all().delete()
    monkeypatch.undo()
    ledger_recalculate(period=OCT)
    assert ledger() == apart


awkward_value = st.one_of(
    st.none(),
    st.decimals(min_value=D("-100000"), max_value=D("100000"), places=6, allow_nan=False),
    st.sampled_from([D("0"), D("0.005"), D("-0.005"), D("0.015"), D("2000.10"), D("100.00"), D("0.01")]),
)
awkward_shares = st.sampled_from(
    [
        [D("0.7"), D("0.3")],
        [D("0.3334"), D("0.3333"), D("0.3333")],
        [D("0.5"), D("0.5")],
        [D("1")],
        [D("0.6"), D("0.4")],
        [D("0.25"), D("0.25"), D("0.25"), D("0.25")],
    ]
)


@settings(max_examples=300, deadline=None)
@given(value=awkward_value, shares=awkward_shares)
def test_a_shared_orders_whole_is_the_sum_of_its_exact_parts(value, shares):
    """People sharing an order share one commission: their exact parts of each sum (ties, ⅓ splits,
    70:30 of odd fens) add up to the whole rounded to the fen — the same Decimal, digits and all."""
    parts = [D("0.00")] * len(shares) if not value else allocate(value, shares)
    summed = sum(parts, D("0.00"))
    whole = _fen_whole(value)
    assert (whole, str(whole)) == (summed, str(summed))


def test_rerun_leaves_unchanged_payees_as_they_are_and_recomputes_the_others(org):
    install_plan("sales_progressive", role=Role.REP)
    awkward_month(org)
    first = ledger_recalculate(period=OCT)
    before = ledger()
    again = ledger_recalculate(period=OCT)
    assert (again.created, again.updated, again.zeroed) == (0, 0, 0)
    assert again.reused == again.calculations == first.calculations == 3  # rep_a1, rep_a2, rep_b1
    assert ledger() == before
    # A new order of rep_a2's: only rep_a2's month is computed again, and it is re-priced in full.
    make_order(
        owner=org.rep_a2, lines=[(REG, D("1"), D("200000.00"))], booked_at=booked(dt.date(2026, 10, 20))
    )
    third = ledger_recalculate(period=OCT)
    assert (third.reused, third.created) == (2, 1)
    calc = PeriodCalculation.objects.get(key=f"202610:u{org.rep_a2.pk}:sales_progressive")
    assert calc.total == sum(
        (x.amount for x in CommissionLine.objects.filter(explanation__calculation=calc.key)), D("0")
    )
    assert ledger() != before
    # A line gone from under a calculation (or a run in another language) is not taken as unchanged.
    CommissionLine.objects.filter(payee_user=org.rep_b1).delete()
    fourth = ledger_recalculate(period=OCT)
    assert (fourth.reused, fourth.created) == (2, 1)
    with translation.override("en"):
        fifth = ledger_recalculate(period=OCT)
    assert fifth.reused == 0
    translation.activate("zh-hans")
    sixth = ledger_recalculate(period=OCT)
    assert sixth.reused == 0  # the words are Chinese again
    assert ledger_recalculate(period=OCT).reused == 3


def test_rerun_recomputes_a_payee_whose_sums_or_shares_changed_with_the_same_rows(org):
    """The inputs digest covers every aggregated row's values (on PostgreSQL the database's hash of the
    row) and every slice's share: a fen more on one line, or a 70:30 split turned 60:40, and that
    payee's month is computed again although no row came or went."""
    install_plan("category_rates", role=Role.REP)
    awkward_month(org)
    ledger_recalculate(period=OCT)
    assert ledger_recalculate(period=OCT).reused == 3
    refunded_high = OrderLine.objects.get(order__owner=org.rep_a2, category=HIGH, amount=D("0.03"))
    OrderLine.objects.filter(pk=refunded_high.pk).update(amount=D("0.04"))
    again = ledger_recalculate(period=OCT)
    assert again.reused == 2  # rep_a2's month only
    assert ledger_recalculate(period=OCT).reused == 3
    OrderLine.objects.filter(pk=refunded_high.pk).update(tax=D("0.01"))  # a cost the margin reads
    assert ledger_recalculate(period=OCT).reused == 2
    split = CreditShare.objects.filter(order__lines__amount=D("2000.10"))
    split.filter(user=org.rep_a1).update(share=D("0.6"))
    split.filter(user=org.rep_a2).update(share=D("0.4"))
    assert ledger_recalculate(period=OCT).reused == 2  # rep_a1's month, where the shared order is priced
    assert ledger_recalculate(period=OCT).reused == 3


def test_rerun_recomputes_a_line_reopened_after_a_run_that_could_not_touch_it(org):
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("100000.00"))], booked_at=booked(dt.date(2026, 10, 5)))
    ledger_recalculate(period=OCT)
    (line,) = CommissionLine.objects.filter(payee_user=rep)
    assert line.amount == D("3000.00")
    CommissionLine.objects.filter(pk=line.pk).update(status=LineStatus.FORFEITED)  # not open any more
    # A second order moves the month into the 5% band; the forfeited line is not touched ...
    make_order(owner=rep, lines=[(REG, D("1"), D("100000.00"))], booked_at=booked(dt.date(2026, 10, 6)))
    assert ledger_recalculate(period=OCT).reused == 0
    line.refresh_from_db()
    assert line.amount == D("3000.00")
    # ... and should it ever be reopened, the next run re-prices it although no input changed.
    CommissionLine.objects.filter(pk=line.pk).update(status=LineStatus.PENDING)
    assert ledger_recalculate(period=OCT).reused == 0
    assert sum(x.amount for x in CommissionLine.objects.filter(payee_user=rep)) == D("8000.00")
    assert ledger_recalculate(period=OCT).reused == 1


def test_a_plan_of_period_components_still_leaves_out_its_excluded_categories(org):
    """001 l.287: the 市场部 plan (progressive + target share, no per-line component) excludes outsourced
    sales; the run must still read categories to leave them out (it once summed every category)."""
    install_plan("marketing", role=Role.REP)
    make_order(
        owner=org.rep_a1,
        lines=[(REG, D("1"), D("20000.00")), (OUT, D("1"), D("50000.00"))],
        booked_at=booked(dt.date(2026, 10, 5)),
    )
    ledger_recalculate(period=OCT)
    amounts = CommissionLine.objects.filter(payee_user=org.rep_a1).values_list("amount", flat=True)
    # 10% of the first ¥10,000 + 15% of the next ¥10,000; the ¥50,000 outsourced line earns nothing
    assert sum(amounts, D("0")) == D("2500.00")


@pytest.mark.parametrize(
    "plans", [("category_rates", "sales_progressive"), ("key_account", "sales_bracket"), ("partner_rebate",)]
)
def test_pricing_a_payees_summed_facts_changes_no_fen(org, monkeypatch, plans):
    """The per-category path: the calculator given each payee's sums (`summed_lines`) instead of every
    order's lines writes the same ledger — lines, amounts, explanations and calculations — on the
    awkward month (a refunded order's payee keeps its lines: its sums are not exact)."""
    from commissions.models import KeyAccountUplift

    for name in plans:
        if name == "partner_rebate":  # the partner's plan, beside the reps' category plan
            install_plan(name, partner_kind=PartnerKind.ORDINARY)
            install_plan("category_rates", role=Role.REP)
        else:
            install_plan(name, role=Role.REP)
    awkward_month(org)
    customers = Customer.objects.filter(owner=org.rep_a1)
    customers.update(key_account_class="core")
    KeyAccountUplift.objects.create(customer=customers.first(), user=org.rep_a1, year=2026, reason="新开发")
    monkeypatch.setattr(ledger_run, "SUM_FACTS", False)  # every order's lines, as before
    ledger_recalculate(period=OCT)
    whole = ledger()
    assert len(whole[0]) >= 10, "the month has lines"
    CommissionLine.objects.all().delete()
    PeriodCalculation.objects.all().delete()
    monkeypatch.undo()
    ledger_recalculate(period=OCT)
    assert ledger() == whole
