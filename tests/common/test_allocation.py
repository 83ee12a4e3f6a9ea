"""Issue 12 point 2: the one allocation routine (largest remainder, exact, deterministic ties)."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.fen import FEN, allocate

amounts = st.decimals(min_value=D("-10000000"), max_value=D("10000000"), places=2, allow_nan=False)
weights_st = st.lists(
    st.decimals(min_value=D("0"), max_value=D("1000000"), places=6, allow_nan=False), min_size=1, max_size=9
).filter(lambda ws: sum(ws) > 0)


def test_three_way_third_split_of_100_pays_100():
    assert allocate(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]


def test_70_30_of_the_whole_commission_keeps_the_odd_fen():
    # 5% of ¥2,000.10 = 100.005 → ¥100.01: split 70:30 it is 70.01 + 30.00, not 70.00 + 30.00.
    assert allocate(D("100.01"), [D("0.7"), D("0.3")]) == [D("70.01"), D("30.00")]


def test_ties_go_to_the_earlier_part_and_negative_amounts_split_alike():
    assert allocate(D("0.01"), [D(1), D(1)]) == [D("0.01"), D("0.00")]
    assert allocate(D("-0.05"), [D(1), D(1)]) == [D("-0.03"), D("-0.02")]


def test_weights_need_not_sum_to_one_and_zero_weights_get_nothing():
    assert allocate(D("1300.00"), [D("500"), D("0"), D("800")]) == [D("500.00"), D("0.00"), D("800.00")]
    assert allocate(D("0"), [D("0"), D("0")]) == [D("0.00"), D("0.00")]
    with pytest.raises(ValueError):
        allocate(D("1.00"), [D("0"), D("0")])
    with pytest.raises(ValueError):
        allocate(D("1.00"), [D("-1"), D("2")])


@settings(max_examples=500, deadline=None)
@given(amount=amounts, weights=weights_st)
def test_parts_add_up_exactly_and_each_is_within_a_fen_of_its_exact_share(amount, weights):
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    total = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        assert part == part.quantize(FEN)
        exact = Fraction(amount) * Fraction(w) / Fraction(total)
        assert abs(Fraction(part) - exact) < Fraction(FEN)
        assert part * amount >= 0  # every part has the amount's sign (or is 0)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, weights=weights_st)
def test_deterministic_and_a_bigger_weight_never_gets_less(amount, weights):
    parts = allocate(amount, weights)
    assert allocate(amount, list(weights)) == parts
    for i, wi in enumerate(weights):
        for j, wj in enumerate(weights):
            if wi > wj:
                assert abs(parts[i]) >= abs(parts[j])
