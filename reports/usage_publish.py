"""A2 (003 §12.4) when a month closes: rank the month company-wide and publish its top and bottom sellers to
crm, whose lead rotation applies them (crm.selectors_rotation). Publishing a month twice is harmless."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from common.timeutil import month_start
from crm.models import RotationMonth, User
from crm.selectors_rotation import rotation_standings
from crm.services.rotation import rotation_standings_publish
from reports.filters import Period, add_months
from reports.selectors_people import usage_ranking


def a2_publish(*, month: dt.date) -> RotationMonth:
    usage = usage_ranking(period=Period.of(month_start(month)))
    return rotation_standings_publish(
        month=month,
        top=[r.person.user_id for r in usage.top],
        bottom=[r.person.user_id for r in usage.bottom],
    )


def month_closed(today: dt.date) -> dt.date:
    """The month that closed before `today`'s month (the job runs on the 1st)."""
    return add_months(today, -1)


def rotation_explained() -> dict[str, Any]:
    """What the lead rotation applies now, for the A2 page: who is dealt to first and who gets no lead, with
    the published months it rests on."""
    standings = rotation_standings()
    names = {
        u.pk: str(u)
        for u in User.objects.filter(pk__in=[*standings.priority, *standings.excluded]).only(
            "username", "display_name", "first_name", "last_name"
        )
    }
    return {
        "month": standings.month,
        "priority": [names[pk] for pk in standings.priority if pk in names],
        "excluded": [names[pk] for pk in standings.excluded if pk in names],
        "strike_months": ", ".join(f"{m:%Y-%m}" for m in reversed(standings.strike_months)),
        "strikes": int(settings.LEAD_ROTATION_BOTTOM_STRIKES),
        "top_priority": bool(settings.LEAD_ROTATION_TOP_PRIORITY),
    }
