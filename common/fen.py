"""Pure fen arithmetic (no Django import): the one rounding rule and the exact split.

`common.money` re-exports these next to the model fields; pure code such as the commission calculator
imports them from here so it never pulls in the ORM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def round_fen(value: Decimal | int | str) -> Decimal:
    """Round half-up to ¥0.01 — the only rounding used for payable amounts."""
    if isinstance(value, float):  # pragma: no cover - guard against accidental floats
        raise TypeError("money must never be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def allocate(amount: Decimal | int | str, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """THE allocation routine: divide a money amount over weights so that the parts add up to it exactly.

    Every place that divides money (credit shares, per-order lines, the executive's 30%, settlement
    lines, partner rebates) calls this; no other code divides money. `amount` is rounded to the fen
    first; each part gets the whole fens of its exact share (amount × weight / sum of weights, in exact
    integer arithmetic), and the fens left over go one each to the parts with the largest remainders —
    ties to the earlier part, so the same input always gives the same split. Weights are any
    non-negative Decimals (shares, sales, what each order earned); they need not sum to 1. A negative
    amount is split like its absolute value, every part negative. All-zero weights leave nothing to
    split by: the amount must then be 0 (else ValueError — money would be lost).
    """
    fens = int(round_fen(amount) / FEN)
    n = len(weights)
    if n == 0:
        if fens:
            raise ValueError("nothing to allocate to")
        return []
    # Exact integers: each weight as a fraction over one common denominator (Decimal is exact base 10,
    # so its fraction is too); scaling every weight by the same factor leaves the split unchanged.
    try:  # NaN and infinities have no integer ratio
        ratios = [(w if isinstance(w, Decimal) else Decimal(w)).as_integer_ratio() for w in weights]
    except (ValueError, OverflowError):
        raise ValueError("weights must be finite and not negative") from None
    if any(num < 0 for num, _d in ratios):
        raise ValueError("weights must be finite and not negative")
    scale = math.lcm(*(d for _n, d in ratios))
    ints = [num * (scale // d) for num, d in ratios]
    total = sum(ints)
    if total == 0:
        if fens:
            raise ValueError("cannot allocate a non-zero amount over zero weights")
        return [ZERO] * n
    sign = -1 if fens < 0 else 1
    fens = abs(fens)
    floors, rems = [], []
    for w in ints:
        q, r = divmod(fens * w, total)
        floors.append(q)
        rems.append(r)
    left = fens - sum(floors)
    if left:  # largest remainders first, ties to the earlier part (a reversed sort is still stable)
        for i in sorted(range(n), key=rems.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    return [(sign * f * FEN) for f in floors]


def split_by_shares(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split a fen amount by credit shares (they sum to 1): `allocate` by those shares."""
    return allocate(amount, shares)


def format_cny(value: Decimal | None) -> str:
    if value is None:
        return ""
    value = round_fen(value)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def pct(value: Any, places: Any = None, *, points: bool = False) -> str:
    """The one rate formatter, for Python and for templates (`{{ rate|pct }}`, `{{ rate|pct:2 }}`, the filter
    registered in common/templatetags/money.py).

    A rate stored as a fraction, shown as a percentage with no trailing zeros: 0.030000 -> "3%",
    0.0125 -> "1.25%"; `places` first rounds half-up to that many decimals of the percentage
    (0.123456 with 2 -> "12.35%"). With points=True the value is already in percent, as a report
    computed and rounded it, and is shown as is (12.5 -> "12.5%", 100.0 -> "100.0%").
    None or "" -> "" (a template adds `|default:"—"` where a dash reads better)."""
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        raise TypeError("rates are Decimal, never float")
    try:
        number = Decimal(value)
        if points:
            return f"{number:f}%"
        number *= 100
        if places is not None and places != "":
            number = number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    return f"{number.normalize():f}%"
