"""Pure fen arithmetic (no Django import): the one rounding rule and the exact split.

`common.money` re-exports these next to the model fields; pure code such as the commission calculator
imports them from here so it never pulls in the ORM.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def round_fen(value: Decimal | int | str) -> Decimal:
    """Round half-up to ¥0.01 — the only rounding used for payable amounts."""
    if isinstance(value, float):  # pragma: no cover - guard against accidental floats
        raise TypeError("money must never be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def split_by_shares(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """Split a fen amount by shares (summing to 1) so that the parts add up to it exactly.

    Largest-remainder method: each part is rounded down to the fen, and the fens left over go to the
    parts with the largest remainders (ties to the earlier share), so no fen is lost or created.
    """
    amount = round_fen(amount)
    if not shares:
        return []
    total_fen = int(amount / FEN)
    sign = -1 if total_fen < 0 else 1
    total_fen = abs(total_fen)
    exact = [Decimal(total_fen) * s for s in shares]
    floors = [int(e) for e in exact]
    left = total_fen - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * Decimal(f) * FEN for f in floors]


def format_cny(value: Decimal | None) -> str:
    if value is None:
        return ""
    value = round_fen(value)
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"
