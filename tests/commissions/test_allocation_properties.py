"""Issue 12 point 3 as a property (pure, no database): allocating a payee's component total over their
orders by what each order earned (`calculator.earned_weight`) gives each order its own commission to
within rounding, and the orders' lines add up to the payee's total exactly."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from commissions.calculator.engine import calculate, earned_weight
from commissions.calculator.facts import Facts, LineFact
from common.fen import allocate

PLANS = Path(__file__).resolve().parents[2] / "commissions" / "plans"
CATEGORY_RATES = json.loads((PLANS / "category_rates.json").read_text(encoding="utf-8"))
RATES = {"regular": D("0.05"), "high_end": D("0.08"), "new_product": D("0.10"), "outsourced": D("0")}

line_st = st.tuples(
    st.sampled_from(sorted(RATES)),
    st.decimals(min_value=D("0.01"), max_value=D("500000"), places=2, allow_nan=False),
)
orders_st = st.lists(st.lists(line_st, min_size=1, max_size=3), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(orders=orders_st)
def test_each_order_carries_what_it_earned_and_the_lines_add_up(orders):
    facts = [[LineFact(category=c, amount=a, ref=str(i)) for c, a in lines] for i, lines in enumerate(orders)]
    comp = CATEGORY_RATES["components"][0]
    result = calculate(CATEGORY_RATES, Facts(lines=tuple(x for o in facts for x in o)))
    total = result.by_component().get(comp["id"], D("0.00"))
    weights = [earned_weight(comp, o, has_below_floor=True) for o in facts]
    if not any(weights):
        assert total == 0
        return
    parts = allocate(total, weights)
    assert sum(parts) == total
    categories = len({c for o in orders for c, _a in o})
    for part, lines in zip(parts, orders, strict=True):
        own = sum(a * RATES[c] for c, a in lines)  # what this order earned, exactly
        # within a fen of allocation plus half a fen per category line of the month's rounding
        assert abs(part - own) <= D("0.01") + D("0.005") * categories
