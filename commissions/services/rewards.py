"""K14 sales champions (000 §4.3.3): monthly ¥300, quarterly ¥500, annual ¥5,000 (settings
`REWARDS_CHAMPION_AMOUNTS`), booked as `reward` ledger lines that the next settlement pays through the
normal approval chain.

- Who competes: `REWARDS_CHAMPION_POOLS` — "partner" (the seed is the partners' rule book; a partner's
  login's own credited orders count as the partner's) and/or "staff" (employees, partners' logins excluded).
  Each pool has its own champion.
- Measure: the credited sales (业务总额) of the orders booked in the period (`reward_sales.credited_sales`).
- When: once the period has closed — its last month's settlement approved (`period_is_closed`), so a
  later refund cannot change who won. The nightly job books every closed period of the last 13 months
  that has no champion yet; a period is booked once (source key `k14:<kind>:<yyyymm>:<pool>:<id>`).
- Where: the first open month after the period: the next settlement pays it.
- Tie rule (the seed names none; our decision): everyone tied for the highest sales is champion and
  the amount is split between them with `common.fen.allocate` in payee-id order — ¥300 between two is
  ¥150.00 each, ¥500 between three is ¥166.67 + ¥166.67 + ¥166.66. Nobody with sales: no champion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.selectors import closed_periods, next_open_period
from commissions.services.reward_sales import add_months, credited_sales
from common.deferred_text import Words, words, words_json, words_stored_text
from common.errors import DomainError
from common.fen import ZERO, allocate, format_cny
from common.timeutil import month_start, quarter_bounds, quarter_of
from partners.models import Partner

PERIOD_KINDS = ("month", "quarter", "year")
KIND_MONTHS = {"month": 1, "quarter": 3, "year": 12}
KIND_TITLES = {
    "month": gettext_noop("月销售冠军奖"),
    "quarter": gettext_noop("季度销售冠军奖"),
    "year": gettext_noop("年度销售冠军奖"),
}


@dataclass
class Champion:
    holder_id: int
    sales: Decimal
    amount: Decimal


@dataclass
class ChampionResult:
    kind: str
    start: dt.date
    pool: str
    champions: list[Champion] = field(default_factory=list)
    booked_in: dt.date | None = None
    created: int = 0


def period_start(kind: str, day: dt.date) -> dt.date:
    """The first day of the month / quarter / year `day` falls in."""
    if kind == "year":
        return dt.date(day.year, 1, 1)
    if kind == "quarter":
        return quarter_bounds(day.year, quarter_of(day))[0]
    return month_start(day)


def period_words(kind: str, start: dt.date) -> Words:
    if kind == "year":
        return words(gettext_noop("%(y)s年度"), y=start.year)
    if kind == "quarter":
        return words(gettext_noop("%(y)s年第%(q)s季度"), y=start.year, q=quarter_of(start))
    return words(gettext_noop("%(y)s年%(m)s月"), y=start.year, m=start.month)


def champion_amount(kind: str) -> Decimal:
    return Decimal(str(settings.REWARDS_CHAMPION_AMOUNTS[kind]))


def pool_sales(*, pool: str, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """The period's credited sales per competitor of a pool (partner ids or user ids)."""
    by_user = credited_sales(start=start, end=end, holder="user")
    partner_users = dict(Partner.objects.filter(user__isnull=False).values_list("user_id", "id"))
    if pool == "staff":
        return {uid: s for uid, s in by_user.items() if uid not in partner_users}
    out = dict(credited_sales(start=start, end=end, holder="partner"))
    for uid, s in by_user.items():  # a partner's login owning orders sells for the partner
        if uid in partner_users:
            pid = partner_users[uid]
            out[pid] = out.get(pid, ZERO) + s
    return out


def _key_prefix(kind: str, start: dt.date, pool: str) -> str:
    return f"k14:{kind}:{start:%Y%m}:{pool}:"


@transaction.atomic
def champions_book(*, kind: str, start: dt.date, pool: str) -> ChampionResult:
    """Book the champion(s) of one period and pool as payable `reward` lines (idempotent: a period
    already booked is left as it is)."""
    if kind not in PERIOD_KINDS or pool not in ("partner", "staff"):
        raise DomainError("未知的冠军奖类型")
    start = period_start(kind, start)
    end = add_months(start, KIND_MONTHS[kind] - 1)
    result = ChampionResult(kind=kind, start=start, pool=pool)
    prefix = _key_prefix(kind, start, pool)
    if CommissionLine.objects.filter(source_key__startswith=prefix).exists():
        return result
    sales = pool_sales(pool=pool, start=start, end=end)
    best = max(sales.values(), default=ZERO)
    if best <= ZERO:
        return result
    winners = sorted(h for h, s in sales.items() if s == best)
    total = champion_amount(kind)
    parts = allocate(total, [1] * len(winners))
    result.booked_in = next_open_period(after=add_months(end, 1))
    # Issue 15: the award and its explanation are kept as words too (explanation's reason_words and
    # text_words), read in the reader's language; the stored text stays the Chinese wording.
    award = words(
        gettext_noop("%(period)s%(title)s"), period=period_words(kind, start), title=words(KIND_TITLES[kind])
    )
    for holder_id, part in zip(winners, parts, strict=True):
        if len(winners) > 1:
            text = words(
                gettext_noop(
                    "%(award)s：销售额 %(sales)s，排名第一（%(n)s 人并列第一，奖金 %(total)s 由并列者平分，"
                    "本人分得 %(part)s）"
                ),
                award=award,
                sales=format_cny(best),
                n=len(winners),
                total=format_cny(total),
                part=format_cny(part),
            )
        else:
            text = words(
                gettext_noop("%(award)s：销售额 %(sales)s，排名第一，奖金 %(part)s"),
                award=award,
                sales=format_cny(best),
                part=format_cny(part),
            )
        CommissionLine.objects.create(
            payee_user_id=holder_id if pool == "staff" else None,
            payee_partner_id=holder_id if pool == "partner" else None,
            period=result.booked_in,
            kind=LineKind.REWARD,
            status=LineStatus.PAYABLE,
            component=f"champion_{kind}",
            base=best,
            amount=part,
            explanation={
                "text": words_stored_text(text),
                "text_words": words_json(text),
                "reason_words": words_json(award),
                "period": f"{start:%Y-%m}",
                "period_kind": kind,
                "sales": str(best),
                "tied": len(winners),
                "prize": str(total),
            },
            reason=words_stored_text(award)[:300],
            source_key=f"{prefix}{holder_id}",
        )
        result.champions.append(Champion(holder_id=holder_id, sales=best, amount=part))
        result.created += 1
    return result


def champions_book_due(*, today: dt.date, lookback_months: int = 13) -> list[ChampionResult]:
    """Nightly: every month, quarter and year of the last `lookback_months` whose last month is closed."""
    this = month_start(today)
    months = [add_months(this, -i) for i in range(1, lookback_months + 1)]
    closed = closed_periods(months)
    out = []
    for month in sorted(closed):
        for kind in PERIOD_KINDS:
            start = period_start(kind, month)
            if add_months(start, KIND_MONTHS[kind] - 1) != month:
                continue  # the period's last month is not this one
            for pool in settings.REWARDS_CHAMPION_POOLS:
                out.append(champions_book(kind=kind, start=start, pool=pool))
    return out
