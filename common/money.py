"""Money: Decimal only, one field shape, one rounding rule (half-up to the fen)."""

from __future__ import annotations

from typing import Any

from django.db import models

from common.fen import FEN, ZERO, allocate, format_cny, round_fen, split_by_shares

MONEY_MAX_DIGITS = 16
MONEY_DECIMAL_PLACES = 2
RATE_MAX_DIGITS = 9
RATE_DECIMAL_PLACES = 6

__all__ = [
    "FEN",
    "ZERO",
    "MoneyField",
    "RateField",
    "allocate",
    "format_cny",
    "round_fen",
    "split_by_shares",
]


class MoneyField(models.DecimalField):
    """DecimalField with the project-wide money precision."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs


class RateField(models.DecimalField):
    """A rate or share as a decimal fraction (0.05 = 5%)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", RATE_MAX_DIGITS)
        kwargs.setdefault("decimal_places", RATE_DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs
