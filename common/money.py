"""Money: Decimal only, one field shape, one rounding rule (half-up to the fen)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from common.fen import FEN, ZERO, allocate, format_cny, round_fen, split_by_shares

MONEY_MAX_DIGITS = 16
MONEY_DECIMAL_PLACES = 2
RATE_MAX_DIGITS = 9
RATE_DECIMAL_PLACES = 6

# Issue 17: the largest amount a money column holds (¥99,999,999,999,999.99) and the largest quantity
# a line holds; anything larger is refused with a message instead of overflowing the database.
MONEY_LIMIT = Decimal(10) ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)
QUANTITY_LIMIT = Decimal(10) ** 10


def check_amount_fits(value: Decimal, *, label: str, limit: Decimal = MONEY_LIMIT) -> Decimal:
    """Refuse an amount (or quantity) that the database could not store; returns it unchanged."""
    from django.utils.translation import gettext as _

    from common.errors import DomainError

    if not value.is_finite() or abs(value) >= limit:
        raise DomainError(
            _("%(label)s超出允许的范围（最大 %(max)s）。") % {"label": label, "max": f"{limit - FEN:,}"},
            code="too_large",
            field="lines",
        )
    return value


__all__ = [
    "FEN",
    "MONEY_LIMIT",
    "QUANTITY_LIMIT",
    "ZERO",
    "MoneyField",
    "RateField",
    "allocate",
    "check_amount_fits",
    "format_cny",
    "round_fen",
    "split_by_shares",
]


class _FixedDecimalField(models.DecimalField):
    """A DecimalField whose precision is the project's, not the migration's: the defaults come from
    the class and stay out of `deconstruct`, so changing them is one line here."""

    max_digits_default = MONEY_MAX_DIGITS
    decimal_places_default = MONEY_DECIMAL_PLACES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", self.max_digits_default)
        kwargs.setdefault("decimal_places", self.decimal_places_default)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs


class MoneyField(_FixedDecimalField):
    """DecimalField with the project-wide money precision."""


class RateField(_FixedDecimalField):
    """A rate or share as a decimal fraction (0.05 = 5%)."""

    max_digits_default = RATE_MAX_DIGITS
    decimal_places_default = RATE_DECIMAL_PLACES
