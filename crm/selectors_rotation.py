"""What the lead rotation applies from the published A2 standings (003 §12.4), with the months it rests on
so a page can say why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings

from crm.models import RotationMonth, RotationStanding, StandingKind


@dataclass
class RotationStandings:
    month: dt.date | None = None  # the last published month (None: nothing published yet)
    priority: list[int] = field(default_factory=list)  # its top sellers, first first (when the setting is on)
    strike_months: list[dt.date] = field(default_factory=list)  # the last K published months, newest first
    excluded: list[int] = field(default_factory=list)  # at the bottom in every one of them


def rotation_standings() -> RotationStandings:
    """LEAD_ROTATION_TOP_PRIORITY: the last published month's top sellers are dealt to first.
    LEAD_ROTATION_BOTTOM_STRIKES (K): a seller at the bottom of each of the last K published months loses
    lead assignment until a published month breaks the streak (K ≤ 0: nobody does)."""
    strikes = int(settings.LEAD_ROTATION_BOTTOM_STRIKES)
    months = list(RotationMonth.objects.order_by("-month").values_list("id", "month")[: max(strikes, 1)])
    if not months:
        return RotationStandings()
    out = RotationStandings(month=months[0][1])
    if settings.LEAD_ROTATION_TOP_PRIORITY:
        out.priority = list(
            RotationStanding.objects.filter(month_id=months[0][0], kind=StandingKind.TOP)
            .order_by("position")
            .values_list("user_id", flat=True)
        )
    if strikes > 0 and len(months) == strikes and _consecutive([m for _id, m in months]):
        out.strike_months = [m for _id, m in months]
        counts: dict[int, int] = {}
        for user_id in RotationStanding.objects.filter(
            month_id__in=[i for i, _m in months], kind=StandingKind.BOTTOM
        ).values_list("user_id", flat=True):
            counts[user_id] = counts.get(user_id, 0) + 1
        out.excluded = sorted(u for u, n in counts.items() if n == strikes)
    return out


def _consecutive(months: list[dt.date]) -> bool:
    """连续: newest first, each the calendar month before the previous (a month never published breaks it)."""
    index = [m.year * 12 + m.month for m in months]
    return all(newer - older == 1 for older, newer in zip(index[1:], index[:-1], strict=True))
