"""What the calculator returns: one explained line per band / step / category, and the total."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from common.fen import ZERO


@dataclass(frozen=True)
class ResultLine:
    component: str  # the component's id in the plan
    type: str  # its type (progressive, bracket, …)
    label: str
    base: Decimal
    rate: Decimal | None
    exact: Decimal  # base × rate at full precision
    amount: Decimal  # rounded half-up to the fen: what is paid
    band: str = ""  # which band / step / category / class, in words
    band_words: Mapping[str, Any] | None = None  # the band as words when the calculator worded it (issue 15)
    category: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)

    def explanation(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "component": self.component,
            "type": self.type,
            "label": self.label,
            "base": f"{self.base:.2f}",
            "rate": None if self.rate is None else fmt_rate(self.rate),
            "band": self.band,
            "exact": fmt_exact(self.exact),
            "amount": f"{self.amount:.2f}",
        }
        if self.band_words:
            out["band_words"] = dict(self.band_words)
        if self.category:
            out["category"] = self.category
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class Result:
    plan_code: str
    lines: tuple[ResultLine, ...]
    sales: Decimal
    attainment: Decimal | None
    notes: tuple[str, ...] = ()  # plan rules applied to the whole result (gate, leaver), in words
    notes_words: tuple[dict[str, Any], ...] = ()  # the same as words (common.deferred_text), for storing

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def by_component(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            out[line.component] += line.amount
        return dict(out)

    def exact_by_component(self) -> dict[str, Decimal]:
        """Each component's total at full precision (before any rounding): K5's advance is a ratio of
        it, rounded once (`key_account_advance`)."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            out[line.component] += line.exact
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan_code,
            "sales": f"{self.sales:.2f}",
            "attainment": None if self.attainment is None else fmt_exact(self.attainment),
            "total": f"{self.total:.2f}",
            "lines": [line.explanation() for line in self.lines],
            **({"notes": list(self.notes), "notes_words": list(self.notes_words)} if self.notes else {}),
        }


def fmt_rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f") if rate else "0"


def fmt_exact(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.00" if text != "0" else "0.00"


def yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"
