"""What the calculator is given: one payee's order lines and period facts, plain data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from common.fen import ZERO

ONE = Decimal("1")


@dataclass(slots=True)
class LineFact:
    """One order line as the calculator sees it (already multiplied by the holder's credit share)."""

    category: str
    amount: Decimal  # revenue: quantity × unit price (net of the discount given)
    quantity: Decimal = ONE
    unit_price: Decimal | None = None
    cost: Decimal = ZERO  # K7 purchase cost (quantity × unit cost)
    tax: Decimal = ZERO
    logistics: Decimal = ZERO
    below_floor: bool = False  # K9: sold under the floor price
    below_floor_rate: Decimal | None = None  # K9: the rate the approver set (None: margin)
    key_account_class: str = ""  # K5: strategic / core / important ("" = not a key account)
    key_account_uplift: bool = False  # K5: new key account won or its class raised
    ref: str = ""  # where it came from (order number / line id), echoed in the explanation


@dataclass(frozen=True)
class Facts:
    """What the calculator needs to know about one payee for one period."""

    sales: Decimal | None = None  # period sales; default: sum of the line amounts
    target: Decimal | None = None  # the target for the same period (K3, K6 attainment)
    attainment: Decimal | None = None  # explicit attainment (1 = 100%); default: sales / target
    lines: tuple[LineFact, ...] = ()
    grade: str = ""  # K6: A / B / C
    annual_target_met: bool = False  # K5 year-end bonus
    year_end: bool = False  # K5/K3: the year-end run (annual components apply only then)
    left_in_period: bool = False  # K11: the payee left the company in this period
    profit_ratio: Decimal | None = None  # 001 2.2: the department's profit ratio (default: the plan's)

    def period_sales(self) -> Decimal:
        if self.sales is not None:
            return Decimal(self.sales)
        return sum((line.amount for line in self.lines), ZERO)

    def period_attainment(self) -> Decimal | None:
        if self.attainment is not None:
            return Decimal(self.attainment)
        if self.target is None or Decimal(self.target) <= 0:
            return None
        return self.period_sales() / Decimal(self.target)


def facts_from_dict(data: Mapping[str, Any]) -> Facts:
    """Facts from plain JSON-ish data (strings for numbers) — used by the preview command and API."""

    def dec(v: Any) -> Decimal | None:
        return None if v in (None, "") else Decimal(str(v))

    lines = tuple(
        LineFact(
            category=str(x["category"]),
            amount=Decimal(str(x["amount"])),
            quantity=dec(x.get("quantity")) or ONE,
            unit_price=dec(x.get("unit_price")),
            cost=dec(x.get("cost")) or ZERO,
            tax=dec(x.get("tax")) or ZERO,
            logistics=dec(x.get("logistics")) or ZERO,
            below_floor=bool(x.get("below_floor", False)),
            below_floor_rate=dec(x.get("below_floor_rate")),
            key_account_class=str(x.get("key_account_class", "")),
            key_account_uplift=bool(x.get("key_account_uplift", False)),
            ref=str(x.get("ref", "")),
        )
        for x in data.get("lines", [])
    )
    return Facts(
        sales=dec(data.get("sales")),
        target=dec(data.get("target")),
        attainment=dec(data.get("attainment")),
        lines=lines,
        grade=str(data.get("grade", "")),
        annual_target_met=bool(data.get("annual_target_met", False)),
        year_end=bool(data.get("year_end", False)),
        left_in_period=bool(data.get("left_in_period", False)),
        profit_ratio=dec(data.get("profit_ratio")),
    )


def summed_lines(lines: tuple[LineFact, ...] | list[LineFact]) -> tuple[LineFact, ...]:
    """The same facts with the lines the calculator prices only by their sums merged: one line per
    (category, key-account class, uplift) — what every component groups by — while each below-floor
    line stays on its own (K9 prices it alone and names it). Every component gives the same result
    from these as from the lines they came from, provided every sum of the lines is exact (amounts in
    fen, costs to 6 places, no net factor applied): the month run's per-category path calls it so that
    the calculator works on a payee's few category sums instead of every order's lines."""
    sums: dict[tuple[str, str, bool], list[Decimal]] = {}
    alone: list[LineFact] = []
    for x in lines:
        if x.below_floor:
            alone.append(x)
            continue
        key = (x.category, x.key_account_class, x.key_account_uplift)
        s = sums.get(key)
        if s is None:
            sums[key] = [ZERO + x.amount, ZERO + x.quantity, ZERO + x.cost, ZERO + x.tax, ZERO + x.logistics]
        else:
            s[0] += x.amount
            s[1] += x.quantity
            s[2] += x.cost
            s[3] += x.tax
            s[4] += x.logistics
    merged = [
        LineFact(
            category=category,
            amount=s[0],
            quantity=s[1],
            cost=s[2],
            tax=s[3],
            logistics=s[4],
            key_account_class=klass,
            key_account_uplift=uplift,
        )
        for (category, klass, uplift), s in sums.items()
    ]
    return (*merged, *alone)
