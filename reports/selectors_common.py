"""What every report shares: percentages, changes, names, the signed statuses, the department filter."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from crm.models import ContractStatus, Department, Grade

SIGNED_STATUSES = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY, ContractStatus.COMPLETED)
HUNDRED = Decimal("100")


class Percent(Decimal):
    """A percentage (one decimal), told apart from money (two decimals) when it is written as JSON."""


def pct(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part ÷ whole as a percentage to one decimal (half-up); None when there is nothing to divide by."""
    if not whole:
        return None
    return Percent(
        (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )


def change_pct(current: Decimal, previous: Decimal) -> Decimal | None:
    """环比 / 同比: the change against the earlier figure in percent (None when that was zero)."""
    if not previous:
        return None
    return pct(current - previous, previous)


def person_name(row: Any, prefix: str = "") -> str:
    return (
        row.get(f"{prefix}display_name")
        or f"{row.get(f'{prefix}last_name') or ''}{row.get(f'{prefix}first_name') or ''}"
        or row.get(f"{prefix}username")
        or ""
    )


def departments_for_filter() -> QuerySet[Department]:
    return Department.objects.order_by("path")


GRADES = [g for g, _label in Grade.choices]
