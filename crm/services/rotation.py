"""003 §12.4 (前3名 … 取得商机客户的优先分配权 … 连续倒数三名 … 取消商机客户的分配权): the published A2
standings the lead rotation applies. The reports app computes the ranking when a month closes and calls
`rotation_standings_publish`; crm never imports reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.timeutil import month_start
from crm.models import RotationMonth, RotationStanding, StandingKind


@transaction.atomic
def rotation_standings_publish(*, month: dt.date, top: Sequence[int], bottom: Sequence[int]) -> RotationMonth:
    """Record `month`'s top and bottom sellers (user ids, first / last first). Publishing the same month
    again replaces its standings: the job is safe to run twice."""
    if set(top) & set(bottom) or len(set(top)) != len(top) or len(set(bottom)) != len(bottom):
        raise DomainError(_("同一销售人员不能在同一个月既在前列又在末位。"), code="invalid_standings")
    row, _created = RotationMonth.objects.update_or_create(month=month_start(month))
    row.standings.all().delete()
    RotationStanding.objects.bulk_create(
        [
            RotationStanding(month=row, user_id=u, kind=StandingKind.TOP, position=i)
            for i, u in enumerate(top, 1)
        ]
        + [
            RotationStanding(month=row, user_id=u, kind=StandingKind.BOTTOM, position=i)
            for i, u in enumerate(bottom, 1)
        ]
    )
    return row
