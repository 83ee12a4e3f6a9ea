"""Hypothesis properties of the calculator and the exact split (SPEC §5)."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.calculator.engine import calculate
from commissions.calculator.facts import Facts, LineFact, summed_lines
from common.fen import FEN, round_fen, split_by_shares

PLANS = Path(__file__).resolve().parents[2] / "commissions" / "plans"
PROGRESSIVE = json.loads((PLANS / "sales_progressive.json").read_text(encoding="utf-8"))
BRACKET = json.loads((PLANS / "sales_bracket.json").read_text(encoding="utf-8"))
BASE_ONLY = {**PROGRESSIVE, "components": PROGRESSIVE["components"][:1]}
MAX_RATE = D("0.10")
N_BANDS = len(BASE_ONLY["components"][0]["bands"])

money = st.decimals(
    min_value=D("0"), max_value=D("20000000"), places=2, allow_nan=False, allow_infinity=False
)
small = st.decimals(min_value=D("0"), max_value=D("100000"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(sales=money, more=small)
def test_marginal_commission_is_continuous_and_never_decreases(sales, more):
    before = calculate(BASE_ONLY, Facts(sales=sales)).total
    after = calculate(BASE_ONLY, Facts(sales=sales + more)).total
    assert after >= before
    # continuous: never more than the top rate on the extra sales, plus one fen of rounding per band
    assert after - before <= more * MAX_RATE + N_BANDS * FEN


@settings(max_examples=300, deadline=None)
@given(sales=money)
def test_band_lines_sum_to_the_total_and_cover_the_sales(sales):
    result = calculate(BASE_ONLY, Facts(sales=sales))
    assert sum(x.amount for x in result.lines) == result.total
    assert sum(x.base for x in result.lines) == sales
    exact = sum(x.exact for x in result.lines)
    assert abs(result.total - exact) <= N_BANDS * D("0.005")
    for line in result.lines:
        assert line.amount == round_fen(line.base * line.rate)


@settings(max_examples=300, deadline=None)
@given(sales=money)
def test_bracket_total_is_the_whole_amount_at_one_rate(sales):
    result = calculate(BRACKET, Facts(sales=sales))
    if sales == 0:
        assert result.lines == ()
    else:
        assert len(result.lines) == 1 and result.total == round_fen(sales * result.lines[0].rate)


shares_st = st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=8)


@settings(max_examples=500, deadline=None)
@given(
    amount=st.decimals(min_value=D("-1000000"), max_value=D("1000000"), places=2, allow_nan=False),
    weights=shares_st,
)
def test_split_by_shares_loses_or_creates_no_fen(amount, weights):
    total = sum(weights)
    shares = [D(w) / D(total) for w in weights]
    parts = split_by_shares(amount, shares)
    assert sum(parts) == amount
    for part, share in zip(parts, shares, strict=True):
        assert part == part.quantize(FEN)
        assert abs(part - amount * share) < FEN


ALL_PLANS = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PLANS.glob("*.json"))]
line_facts = st.builds(
    LineFact,
    category=st.sampled_from(
        ["regular", "high_end", "new_product", "partner_referral", "sourced", "outsourced"]
    ),
    amount=st.decimals(min_value=D("0"), max_value=D("500000"), places=2, allow_nan=False),
    quantity=st.decimals(min_value=D("0"), max_value=D("50"), places=6, allow_nan=False),
    cost=st.decimals(min_value=D("0"), max_value=D("500000"), places=6, allow_nan=False),
    tax=st.decimals(min_value=D("0"), max_value=D("9999"), places=2, allow_nan=False),
    logistics=st.decimals(min_value=D("0"), max_value=D("999"), places=2, allow_nan=False),
    below_floor=st.booleans(),
    below_floor_rate=st.one_of(st.none(), st.sampled_from([D("0.02"), D("0.035")])),
    key_account_class=st.sampled_from(["", "core", "strategic", "important"]),
    key_account_uplift=st.booleans(),
    ref=st.sampled_from(["1", "2", "3"]),
)


@settings(max_examples=300, deadline=None)
@given(
    plan=st.sampled_from(ALL_PLANS),
    lines=st.lists(line_facts, max_size=12),
    target=st.one_of(st.none(), st.sampled_from([D("1000.00"), D("300000.00")])),
    grade=st.sampled_from(["A", "B", "C"]),
)
def test_the_calculator_gives_the_same_result_from_summed_lines(plan, lines, target, grade):
    """The ledger run's per-category path hands the calculator a payee's sums (`summed_lines`, one line
    per category, key-account class and uplift; below-floor lines alone): every plan gives the same
    result, every digit and every word, as from the order lines themselves."""
    whole = calculate(plan, Facts(lines=tuple(lines), target=target, grade=grade))
    summed = calculate(plan, Facts(lines=summed_lines(lines), target=target, grade=grade))
    assert summed.to_dict() == whole.to_dict()
    assert [(x.base, str(x.exact), x.amount) for x in summed.lines] == [
        (x.base, str(x.exact), x.amount) for x in whole.lines
    ]
