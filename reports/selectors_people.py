"""People: activity per rep, the rankings and the CRM-usage ranking."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.money import ZERO
from crm.models import User
from reports import rollups, scope
from reports.filters import Period
from reports.selectors_common import Percent, person_name

# --- people: activity, rankings, the CRM-usage ranking ---------------------------------------------


@dataclass
class PersonFigures:
    user_id: int
    name: str
    department: str
    new_customers: int = 0
    new_opportunities: int = 0
    followups: int = 0
    customers_followed: int = 0
    visits: int = 0
    contract_amount: Decimal = ZERO
    contract_count: int = 0
    collections: Decimal = ZERO
    customers_owned: int = 0
    grades: dict[str, int] = field(default_factory=dict)

    @property
    def contact_frequency(self) -> Decimal | None:
        """Follow-ups per customer owned in the period (two decimals)."""
        if not self.customers_owned:
            return None
        return Percent(
            (Decimal(self.followups) / self.customers_owned).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )


def _people(qs: QuerySet[User], dept_path: str | None) -> dict[int, PersonFigures]:
    if dept_path:
        qs = qs.filter(department__path__startswith=dept_path)
    rows = qs.order_by("id").values(
        "id", "display_name", "first_name", "last_name", "username", "department__name"
    )
    return {r["id"]: PersonFigures(r["id"], person_name(r), r["department__name"] or "") for r in rows}


def _count_into(people: dict[int, PersonFigures], qs: QuerySet, key: str, attr: str, agg: Any = None) -> None:
    for r in qs.filter(**{f"{key}__in": list(people)}).order_by().values(key).annotate(v=agg or Count("id")):
        setattr(people[r[key]], attr, r["v"])


PEOPLE_FIGURES = ["new_customers", "new_opportunities", "followups", "customers_followed", "visits"]
MONEY_FIGURES = ["contract_count", "contract_amount", "collections"]


def people_figures(
    *,
    people_qs: QuerySet[User],
    period: Period,
    dept_path: str | None,
    money: bool = True,
    figures: dict[int, dict[str, Any]] | None = None,
) -> list[PersonFigures]:
    """Per person, for a period: new customers (entered by them), new opportunities, follow-ups,
    customers followed, on-site visits, customers owned and their grades, and (money) contracts
    signed and collections. From the rollups (`reports.rollups`: raw for people with unrefreshed
    changes), a fixed number of queries whatever the number of people or rows. `figures`: the period's
    `rollups.person_figures` the caller already read for these people or more (a home reads them once)."""
    people = _people(people_qs, dept_path)
    if not people:
        return []
    if figures is None:
        wanted = PEOPLE_FIGURES + (MONEY_FIGURES if money else [])
        figures = rollups.person_figures(period=period, person_ids=people, only=wanted)
    _dirty, dirty_anywhere = rollups.dirty_people(person_ids=people, start=period.start, end=period.end)
    for pid, p in people.items():
        f = figures.get(pid)
        if f is None:
            continue
        p.new_customers, p.new_opportunities = f["new_customers"], f["new_opportunities"]
        p.followups, p.customers_followed, p.visits = f["followups"], f["customers_followed"], f["visits"]
        if money:
            p.contract_amount, p.contract_count = f["contract_amount"], f["contract_count"]
            p.collections = f["collections"]
    for r in rollups.grade_counts(person_ids=people, dirty=dirty_anywhere):
        p = people[r["owner_id"]]
        p.grades[r["grade"]] = p.grades.get(r["grade"], 0) + r["n"]
        p.customers_owned += r["n"]
    return list(people.values())


def rep_activity(*, user: User, period: Period, dept_path: str | None = None) -> list[PersonFigures]:
    """A1 per rep, in the user's scope only."""
    return people_figures(people_qs=scope.people(user), period=period, dept_path=dept_path, money=False)


RANKING_METRICS = {
    "contract_amount": (gettext_noop("合同金额"), True),
    "collections": (gettext_noop("回款金额"), True),
    "contract_count": (gettext_noop("合同数"), False),
    "new_customers": (gettext_noop("新增客户"), False),
    "followups": (gettext_noop("跟进次数"), False),
    "customers_followed": (gettext_noop("跟进客户数"), False),
}


@dataclass
class Ranked:
    rank: int
    person: PersonFigures
    value: Any


def rank_by(rows: list[PersonFigures], metric: str) -> list[Ranked]:
    """Highest first; equal figures share a rank (1, 2, 2, 4), then by name so the order is stable."""
    ordered = sorted(rows, key=lambda p: (-getattr(p, metric), p.name, p.user_id))
    ranked: list[Ranked] = []
    for i, p in enumerate(ordered):
        value = getattr(p, metric)
        rank = ranked[-1].rank if ranked and ranked[-1].value == value else i + 1
        ranked.append(Ranked(rank, p, value))
    return ranked


def rankings(*, period: Period, dept_path: str | None = None) -> list[PersonFigures]:
    """The published rankings: every active salesperson (filtered by the org tree), whoever looks."""
    return people_figures(people_qs=scope.published_people(), period=period, dept_path=dept_path)


@dataclass
class UsageRow:
    rank: int
    person: PersonFigures
    qualified: bool
    score: int
    missing: str


@dataclass
class UsageRanking:
    rows: list[UsageRow]
    top: list[UsageRow]
    bottom: list[UsageRow]
    min_customers: int
    min_opportunities: int


def usage_ranking(*, period: Period, dept_path: str | None = None) -> UsageRanking:
    """A2 (003 §12.4): monthly CRM usage — new customers, new opportunities and visits. Only those
    meeting both minimums (settings, default 20 customers and 5 opportunities) can be in the top N;
    the ranking order is: qualified first, then the sum of the three counts, then fewer-is-worse.
    Published to everyone."""
    min_c = int(settings.REPORTS_USAGE_MIN_NEW_CUSTOMERS)
    min_o = int(settings.REPORTS_USAGE_MIN_NEW_OPPORTUNITIES)
    n = int(settings.REPORTS_USAGE_TOP_N)
    people = people_figures(
        people_qs=scope.published_people(), period=period, dept_path=dept_path, money=False
    )
    rows: list[UsageRow] = []
    for p in people:
        gaps = []
        if p.new_customers < min_c:
            gaps.append(_("新增客户差 %(n)d 个") % {"n": min_c - p.new_customers})
        if p.new_opportunities < min_o:
            gaps.append(_("新增商机差 %(n)d 个") % {"n": min_o - p.new_opportunities})
        rows.append(
            UsageRow(0, p, not gaps, p.new_customers + p.new_opportunities + p.visits, _("；").join(gaps))
        )
    rows.sort(key=lambda r: (not r.qualified, -r.score, r.person.name, r.person.user_id))
    for i, r in enumerate(rows):
        same = i and rows[i - 1].qualified == r.qualified and rows[i - 1].score == r.score
        r.rank = rows[i - 1].rank if same else i + 1
    top = [r for r in rows if r.qualified][:n]
    bottom = [r for r in rows if r not in top][-n:] if rows else []
    return UsageRanking(rows, top, list(reversed(bottom)), min_c, min_o)
