"""The figures behind every dashboard and report. Each function runs a fixed number of aggregate
queries (GROUP BY in the database, never a loop of queries per row) and returns plain data with exact
Decimals; the pages, the charts and the API all render what these return."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, LineKind, LineStatus, SalesTarget
from common.money import ZERO, round_fen
from common.timeutil import local_today, month_start, next_month, start_of_local_day
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Department,
    FollowUp,
    Grade,
    Opportunity,
    OpportunityStage,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PipelineStage,
    PoolPolicy,
    User,
)
from crm.models.customers import ONSITE_CHANNELS
from crm.services.approvals import approvals_waiting_for
from crm.services.receivables import months_before, orders_with_money, pipeline_policy
from partners.selectors import partner_orders
from reports import scope
from reports.filters import Period, add_months
from settlements.models import Settlement, SettlementStatus
from settlements.policy import month_calendar

SIGNED_STATUSES = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY, ContractStatus.COMPLETED)
DEFAULT_PROBABILITY = {"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}
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


# --- the funnel and the pipeline ------------------------------------------------------------------


@dataclass
class Stage:
    code: str
    name: str
    probability: int
    is_won: bool
    is_lost: bool


def stages() -> list[Stage]:
    """L2: the admin's funnel (商机阶段), or the default stages when none is configured."""
    rows = list(PipelineStage.objects.filter(active=True).order_by("position", "id"))
    if rows:
        return [Stage(s.code, s.name, s.probability, s.is_won, s.is_lost) for s in rows]
    return [
        Stage(code, str(label), DEFAULT_PROBABILITY.get(code, 0), code == "won", code == "lost")
        for code, label in OpportunityStage.choices
    ]


@dataclass
class FunnelRow:
    code: str
    name: str
    count: int
    amount: Decimal
    weighted: Decimal
    reached: int  # opportunities at this stage or a later one (lost ones excluded)
    conversion: Decimal | None  # % of those that reached the previous stage and got this far
    is_lost: bool = False
    is_won: bool = False


def funnel(*, user: User, period: Period | None = None, dept_path: str | None = None) -> list[FunnelRow]:
    """A1: opportunities by stage with amounts and stage-to-stage conversion (two queries)."""
    qs = scope.in_department(scope.opportunities(user), dept_path, "owner")
    if period is not None:
        qs = qs.filter(registered_at__gte=period.start_at, registered_at__lt=period.end_at)
    grouped = {
        r["stage"]: r
        for r in qs.order_by().values("stage").annotate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
    }
    rows: list[FunnelRow] = []
    for st in stages():
        g = grouped.get(st.code, {})
        amount = g.get("amount", ZERO)
        rows.append(
            FunnelRow(
                st.code,
                st.name,
                g.get("n", 0),
                amount,
                round_fen(amount * st.probability / HUNDRED),
                0,
                None,
                st.is_lost,
                st.is_won,
            )
        )
    flow = [r for r in rows if not r.is_lost]
    reached = 0
    for r in reversed(flow):
        reached += r.count
        r.reached = reached
    for prev, r in pairwise(flow):
        r.conversion = pct(r.reached, prev.reached)
    return rows


def open_pipeline(rows: list[FunnelRow]) -> Decimal:
    """The amount of opportunities not yet won or lost (the funnel's rows carry their stage's flags)."""
    return sum((r.amount for r in rows if not (r.is_lost or r.is_won)), ZERO)


@dataclass
class ForecastMonth:
    month: dt.date
    amount: Decimal
    weighted: Decimal
    count: int


def forecast(
    *, user: User, start: dt.date, months: int = 6, dept_path: str | None = None
) -> list[ForecastMonth]:
    """A1: open opportunities by expected signing month, weighted by their stage's win probability."""
    stage_list = stages()
    probability = {s.code: s.probability for s in stage_list}
    closed = [s.code for s in stage_list if s.is_won or s.is_lost] or ["won", "lost"]
    first = month_start(start)
    end = add_months(first, months)
    qs = (
        scope.in_department(scope.opportunities(user), dept_path, "owner")
        .exclude(stage__in=closed)
        .filter(expected_sign_date__gte=first, expected_sign_date__lt=end)
        .annotate(m=TruncMonth("expected_sign_date"))
        .order_by()
        .values("m", "stage")
        .annotate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO))
    )
    result = {add_months(first, i): ForecastMonth(add_months(first, i), ZERO, ZERO, 0) for i in range(months)}
    for r in qs:
        m = r["m"].date() if isinstance(r["m"], dt.datetime) else r["m"]
        row = result[month_start(m)]
        row.amount += r["amount"]
        row.count += r["n"]
        row.weighted += round_fen(r["amount"] * probability.get(r["stage"], 0) / HUNDRED)
    return list(result.values())


# --- contract amount and collections per month and department ------------------------------------


@dataclass
class MonthFigures:
    month: dt.date
    contracts: Decimal = ZERO
    collections: Decimal = ZERO
    contracts_mom: Decimal | None = None  # 环比
    contracts_yoy: Decimal | None = None  # 同比
    collections_mom: Decimal | None = None
    collections_yoy: Decimal | None = None


@dataclass
class DepartmentFigures:
    department: str
    department_id: int | None
    current: MonthFigures
    previous: MonthFigures
    last_year: MonthFigures


@dataclass
class Trend:
    months: list[MonthFigures]
    departments: list[DepartmentFigures]
    month: dt.date


def _to_month(value: Any) -> dt.date:
    return month_start(value.date() if isinstance(value, dt.datetime) else value)


def monthly_trend(*, user: User, month: dt.date, months: int = 12, dept_path: str | None = None) -> Trend:
    """A1 and the president's home: contract amount (contracts signed in the month) and collections
    (money received net of refunds) for the last `months` months, with 环比 and 同比, and the chosen
    month by department. Two GROUP BY queries, whatever the number of contracts."""
    end_month = month_start(month)
    first = add_months(end_month, -(months - 1) - 12)  # a year more, for 同比
    end = next_month(end_month)
    contracts = (
        scope.in_department(scope.contracts(user), dept_path, "owner")
        .filter(status__in=SIGNED_STATUSES, signed_on__gte=first, signed_on__lt=end)
        .annotate(m=TruncMonth("signed_on"))
        .order_by()
        .values("m", "owner__department_id", "owner__department__name")
        .annotate(s=Sum("amount"))
    )
    collections = (
        scope.in_department(scope.payments(user), dept_path, "order__owner")
        .filter(received_on__gte=first, received_on__lt=end)
        .annotate(m=TruncMonth("received_on"))
        .order_by()
        .values("m", "order__owner__department_id", "order__owner__department__name")
        .annotate(s=Sum("amount"))
    )
    total: dict[dt.date, MonthFigures] = defaultdict(lambda: MonthFigures(dt.date.min))
    by_dept: dict[int | None, dict[dt.date, MonthFigures]] = defaultdict(dict)
    names: dict[int | None, str] = {}

    def cell(table: dict[dt.date, MonthFigures], m: dt.date) -> MonthFigures:
        if m not in table:
            table[m] = MonthFigures(m)
        return table[m]

    for r in contracts:
        m = _to_month(r["m"])
        dept = r["owner__department_id"]
        names[dept] = r["owner__department__name"] or _("未分配部门")
        cell(total, m).contracts += r["s"] or ZERO
        cell(by_dept[dept], m).contracts += r["s"] or ZERO
    for r in collections:
        m = _to_month(r["m"])
        dept = r["order__owner__department_id"]
        names[dept] = r["order__owner__department__name"] or _("未分配部门")
        cell(total, m).collections += r["s"] or ZERO
        cell(by_dept[dept], m).collections += r["s"] or ZERO

    def with_changes(table: dict[dt.date, MonthFigures], m: dt.date) -> MonthFigures:
        cur = MonthFigures(m, cell(table, m).contracts, cell(table, m).collections)
        prev, ly = cell(table, add_months(m, -1)), cell(table, add_months(m, -12))
        cur.contracts_mom = change_pct(cur.contracts, prev.contracts)
        cur.contracts_yoy = change_pct(cur.contracts, ly.contracts)
        cur.collections_mom = change_pct(cur.collections, prev.collections)
        cur.collections_yoy = change_pct(cur.collections, ly.collections)
        return cur

    shown = [add_months(end_month, -i) for i in range(months - 1, -1, -1)]
    departments = [
        DepartmentFigures(
            names[d],
            d,
            with_changes(by_dept[d], end_month),
            cell(by_dept[d], add_months(end_month, -1)),
            cell(by_dept[d], add_months(end_month, -12)),
        )
        for d in sorted(names, key=lambda k: (k is None, names[k]))
    ]
    return Trend([with_changes(total, m) for m in shown], departments, end_month)


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


def people_figures(
    *, people_qs: QuerySet[User], period: Period, dept_path: str | None, money: bool = True
) -> list[PersonFigures]:
    """Per person, for a period: new customers (entered by them), new opportunities, follow-ups,
    customers followed, on-site visits, customers owned and their grades, and (money) contracts
    signed and collections. One query per figure, never one per person."""
    people = _people(people_qs, dept_path)
    if not people:
        return []
    start, end = period.start_at, period.end_at
    _count_into(
        people,
        Customer.objects.filter(created_at__gte=start, created_at__lt=end),
        "created_by_id",
        "new_customers",
    )
    _count_into(
        people,
        Opportunity.objects.filter(registered_at__gte=start, registered_at__lt=end),
        "owner_id",
        "new_opportunities",
    )
    fu = FollowUp.objects.filter(occurred_at__gte=start, occurred_at__lt=end, author_id__in=list(people))
    for r in (
        fu.order_by()
        .values("author_id")
        .annotate(
            n=Count("id"),
            c=Count("customer_id", distinct=True),
            v=Count("id", filter=Q(channel__in=list(ONSITE_CHANNELS))),
        )
    ):
        p = people[r["author_id"]]
        p.followups, p.customers_followed, p.visits = r["n"], r["c"], r["v"]
    for r in (
        Customer.objects.filter(owner_id__in=list(people))
        .order_by()
        .values("owner_id", "grade")
        .annotate(n=Count("id"))
    ):
        p = people[r["owner_id"]]
        p.grades[r["grade"]] = r["n"]
        p.customers_owned += r["n"]
    if money:
        for r in (
            Contract.objects.filter(
                owner_id__in=list(people),
                status__in=SIGNED_STATUSES,
                signed_on__gte=period.start,
                signed_on__lt=period.end,
            )
            .order_by()
            .values("owner_id")
            .annotate(s=Sum("amount"), n=Count("id"))
        ):
            people[r["owner_id"]].contract_amount = r["s"] or ZERO
            people[r["owner_id"]].contract_count = r["n"]
        for r in (
            Payment.objects.filter(
                order__owner_id__in=list(people), received_on__gte=period.start, received_on__lt=period.end
            )
            .order_by()
            .values("order__owner_id")
            .annotate(s=Sum("amount"))
        ):
            people[r["order__owner_id"]].collections = r["s"] or ZERO
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
            UsageRow(0, p, not gaps, p.new_customers + p.new_opportunities + p.visits, "；".join(gaps))
        )
    rows.sort(key=lambda r: (not r.qualified, -r.score, r.person.name, r.person.user_id))
    for i, r in enumerate(rows):
        same = i and rows[i - 1].qualified == r.qualified and rows[i - 1].score == r.score
        r.rank = rows[i - 1].rank if same else i + 1
    top = [r for r in rows if r.qualified][:n]
    bottom = [r for r in rows if r not in top][-n:] if rows else []
    return UsageRanking(rows, top, list(reversed(bottom)), min_c, min_o)


# --- A5 monthly sales report --------------------------------------------------------------------


SALES_COLUMNS = (
    "id",
    "order_id",
    "order__number",
    "order__booked_at",
    "order__customer__name",
    "order__owner__display_name",
    "order__owner__username",
    "product",
    "category",
    "quantity",
    "unit_price",
    "amount",
)


def sales_lines(*, user: User, period: Period, dept_path: str | None = None) -> QuerySet[OrderLine]:
    """A5 (001 l.220): each line sold in the period — name, date, product, quantity, unit price, amount —
    from booked orders in the user's scope, oldest first (values rows: one query, however long)."""
    orders = scope.in_department(scope.orders(user), dept_path, "owner").filter(
        status=OrderStatus.BOOKED, booked_at__gte=period.start_at, booked_at__lt=period.end_at
    )
    return (
        OrderLine.objects.filter(order__in=orders.values("id"))
        .order_by("order__booked_at", "order_id", "id")
        .values(*SALES_COLUMNS)
    )


def sales_totals(lines: QuerySet) -> dict[str, Any]:
    return lines.order_by().aggregate(n=Count("id"), amount=Coalesce(Sum("amount"), ZERO))


# --- homes --------------------------------------------------------------------------------------


def _week_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    monday = today - dt.timedelta(days=today.weekday())
    return start_of_local_day(monday), start_of_local_day(monday + dt.timedelta(days=7))


def pool_warn_cutoff(today: dt.date) -> dt.datetime:
    """C9: customers whose contact clock started before this are within the warn window (the smallest
    warn threshold of the pool policy and its grade rules)."""
    policy = PoolPolicy.objects.prefetch_related("grade_rules").filter(pk=1).first() or PoolPolicy()
    rules = list(policy.grade_rules.all()) if policy.pk else []
    warn = min([policy.warn_days, *(r.warn_days for r in rules)])
    return start_of_local_day(today - dt.timedelta(days=warn - 1))


def near_release(qs: QuerySet[Customer], today: dt.date) -> QuerySet[Customer]:
    """C9: owned customers past the warn threshold (soon released to the pool), longest silent first."""
    epoch = Coalesce(F("owned_since"), F("created_at"))
    return (
        qs.filter(owner__isnull=False)
        .annotate(
            pool_clock=Case(When(last_contacted_at__gt=epoch, then=F("last_contacted_at")), default=epoch)
        )
        .filter(pool_clock__lt=pool_warn_cutoff(today))
        .order_by("pool_clock", "id")
    )


def sales_and_targets(*, user_ids: set[int] | None, today: dt.date) -> dict[str, Any]:
    """This month's and this year's booked sales against the monthly and annual targets (K3 targets)."""
    first, year_first = month_start(today), today.replace(month=1, day=1)
    orders = Order.objects.filter(status=OrderStatus.BOOKED, booked_at__gte=start_of_local_day(year_first))
    targets = SalesTarget.objects.filter(Q(period=first, annual=False) | Q(period=year_first, annual=True))
    if user_ids is not None:
        orders = orders.filter(owner_id__in=user_ids)
        targets = targets.filter(user_id__in=user_ids)
    sums = orders.aggregate(
        month=Coalesce(Sum("total", filter=Q(booked_at__gte=start_of_local_day(first))), ZERO),
        year=Coalesce(Sum("total"), ZERO),
    )
    t = targets.aggregate(
        month=Sum("amount", filter=Q(annual=False)), year=Sum("amount", filter=Q(annual=True))
    )
    return {
        "month_sales": sums["month"],
        "year_sales": sums["year"],
        "month_target": t["month"],
        "year_target": t["year"],
        "month_attainment": pct(sums["month"], t["month"] or 0),
        "year_attainment": pct(sums["year"], t["year"] or 0),
    }


def rep_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """The rep's home: sales against target, commission so far, pipeline by stage, follow-ups this
    week, customers near release (the "my day" lists come from crm as before)."""
    today = today or local_today()
    commission = {
        r["status"]: r["s"]
        for r in CommissionLine.objects.filter(payee_user=user)
        .exclude(status=LineStatus.FORFEITED)
        .order_by()
        .values("status")
        .annotate(s=Sum("amount"))
    }
    week_start, week_end = _week_bounds(today)
    pipeline = funnel(user=user)
    return {
        **sales_and_targets(user_ids={user.pk}, today=today),
        "commission_payable": commission.get(LineStatus.PAYABLE, ZERO),
        "commission_pending": commission.get(LineStatus.PENDING, ZERO),
        "pipeline": [r for r in pipeline if not (r.is_won or r.is_lost)],
        "pipeline_total": open_pipeline(pipeline),
        "followups_this_week": FollowUp.objects.filter(
            author=user, occurred_at__gte=week_start, occurred_at__lt=week_end
        ).count(),
        "near_release": near_release(Customer.objects.filter(owner=user), today).count(),
    }


def aging(*, qs: QuerySet, today: dt.date) -> list[dict[str, Any]]:
    """Q6 receivables aging: open amounts by how long past due (one aggregate query). Buckets follow
    the pipeline policy (watch / weekly meeting / bad debt months)."""
    policy = pipeline_policy(on=today)
    terms = dt.timedelta(days=policy.payment_terms_days)

    def overdue_by(months: int) -> Q:
        cut = months_before(today, months)
        return Q(due_on__lt=cut) | Q(due_on__isnull=True, booked_at__lt=start_of_local_day(cut - terms))

    edges = [
        (
            "bad_debt",
            overdue_by(policy.bad_debt_months),
            _("逾期超过%(m)d个月") % {"m": policy.bad_debt_months},
        ),
        (
            "meeting",
            overdue_by(policy.meeting_months),
            _("逾期%(a)d–%(b)d个月") % {"a": policy.meeting_months, "b": policy.bad_debt_months},
        ),
        (
            "watch",
            overdue_by(policy.watch_months),
            _("逾期%(a)d–%(b)d个月") % {"a": policy.watch_months, "b": policy.meeting_months},
        ),
        ("overdue", overdue_by(0), _("逾期%(b)d个月以内") % {"b": policy.watch_months}),
    ]
    whens = [When(cond, then=Value(code)) for code, cond, _label in edges]
    open_qs = orders_with_money(qs).filter(outstanding_sum__gt=0)  # type: ignore[misc]
    sums = {
        r["bucket"]: r
        for r in open_qs.annotate(bucket=Case(*whens, default=Value("current")))
        .order_by()
        .values("bucket")
        .annotate(n=Count("id"), s=Sum("outstanding_sum"))
    }
    rows = [{"code": "current", "label": _("未到期"), "count": 0, "amount": ZERO}]
    rows += [{"code": c, "label": label, "count": 0, "amount": ZERO} for c, _q, label in reversed(edges)]
    for r in rows:
        got = sums.get(r["code"])
        if got:
            r["count"], r["amount"] = got["n"], got["s"] or ZERO
    return rows


def _money_this_month(user: User, today: dt.date) -> dict[str, Any]:
    first = month_start(today)
    contracts = scope.contracts(user).filter(
        status__in=SIGNED_STATUSES, signed_on__gte=first, signed_on__lt=next_month(first)
    )
    c = contracts.aggregate(n=Count("id"), s=Coalesce(Sum("amount"), ZERO))
    collected = scope.payments(user).filter(received_on__gte=first, received_on__lt=next_month(first))
    return {
        "contracts_count": c["n"],
        "contracts_amount": c["s"],
        "collections": collected.aggregate(s=Coalesce(Sum("amount"), ZERO))["s"],
    }


def manager_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Team manager / regional manager / director / VP: KPI cards for their scope this month, the funnel,
    the ranking of their people, approvals waiting, customers about to be released, overdue receivables."""
    today = today or local_today()
    period = Period.of(today)
    ids = scope.member_ids(user)
    customers = scope.customers(user)
    pipeline = funnel(user=user)
    people = people_figures(people_qs=scope.people(user), period=period, dept_path=None)
    overdue = aging(qs=scope.receivables(user), today=today)
    waiting = approvals_waiting_for(user=user)
    releasing = near_release(customers, today)
    return {
        "period": period,
        "new_customers": customers.filter(
            created_at__gte=period.start_at, created_at__lt=period.end_at
        ).count(),
        "followups": scope.followups(user)
        .filter(occurred_at__gte=period.start_at, occurred_at__lt=period.end_at)
        .count(),
        "pipeline_total": open_pipeline(pipeline),
        **_money_this_month(user, today),
        **sales_and_targets(user_ids=ids, today=today),
        "funnel": pipeline,
        "ranking": rank_by(people, "contract_amount")[:10],
        "approvals_count": waiting.count(),
        "approvals": list(waiting[:5]),
        "near_release_count": releasing.count(),
        "near_release": list(releasing.select_related("owner")[:5]),
        "aging": overdue,
        "overdue_count": sum(r["count"] for r in overdue if r["code"] != "current"),
        "overdue_amount": sum((r["amount"] for r in overdue if r["code"] != "current"), ZERO),
    }


def settlement_month_status(*, user: User, month: dt.date, today: dt.date) -> dict[str, Any]:
    """S1: where a settlement month stands — per step, how many settlements and their payout, the step's
    due date, and whether it is overdue."""
    cal = month_calendar(month)
    grouped = {
        r["status"]: r
        for r in scope.settlements(user)
        .filter(month=month)
        .order_by()
        .values("status")
        .annotate(n=Count("id"), s=Coalesce(Sum("payout_amount"), ZERO))
    }
    steps = []
    for value, label in SettlementStatus.choices:
        g = grouped.get(value, {})
        due = cal.due_for(value)
        count = g.get("n", 0)
        steps.append(
            {
                "status": value,
                "label": str(label),
                "count": count,
                "amount": g.get("s", ZERO),
                "due": due,
                "overdue": bool(count and due and today > due),
            }
        )
    return {
        "month": month,
        "calendar": cal,
        "steps": steps,
        "total_count": sum(s["count"] for s in steps),
        "total_amount": sum((s["amount"] for s in steps), ZERO),
        "paid_amount": grouped.get(SettlementStatus.PAID, {}).get("s", ZERO),
    }


def previous_month(today: dt.date) -> dt.date:
    return add_months(today, -1)


def top_bottom(rows: list[PersonFigures], metric: str, n: int = 3) -> tuple[list[Ranked], list[Ranked]]:
    ranked = rank_by(rows, metric)
    return ranked[:n], list(reversed(ranked[-n:])) if len(ranked) > n else []


def president_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    today = today or local_today()
    period = Period.of(today)
    trend = monthly_trend(user=user, month=today)
    people = rankings(period=period)
    top, bottom = top_bottom(people, "contract_amount")
    return {
        "period": period,
        "trend": trend,
        "current": trend.months[-1],
        "funnel": funnel(user=user),
        "top": top,
        "bottom": bottom,
        "aging": aging(qs=scope.receivables(user), today=today),
        "settlement": settlement_month_status(user=user, month=previous_month(today), today=today),
    }


def finance_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    today = today or local_today()
    first = month_start(today)
    paid = Settlement.objects.filter(
        status=SettlementStatus.PAID, paid_at__gte=start_of_local_day(first)
    ).aggregate(n=Count("id"), s=Coalesce(Sum("payout_amount"), ZERO))
    collected = scope.payments(user).filter(received_on__gte=first, received_on__lt=next_month(first))
    return {
        "settlement": settlement_month_status(user=user, month=previous_month(today), today=today),
        "paid_count": paid["n"],
        "paid_amount": paid["s"],
        "collections": collected.aggregate(s=Coalesce(Sum("amount"), ZERO))["s"],
        "aging": aging(qs=scope.receivables(user), today=today),
    }


def partner_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """A partner's own figures: sales this month and year, rebates (K13) by status, target attainment."""
    today = today or local_today()
    partner = scope.partner_of(user)
    if partner is None:
        return {"partner": None}
    first, year_first = month_start(today), today.replace(month=1, day=1)
    orders = partner_orders(partner).filter(
        status=OrderStatus.BOOKED, booked_at__gte=start_of_local_day(year_first)
    )
    sums = orders.order_by().aggregate(
        month=Coalesce(Sum("total", filter=Q(booked_at__gte=start_of_local_day(first))), ZERO),
        year=Coalesce(Sum("total"), ZERO),
        n=Count("id"),
    )
    rebates = {
        r["status"]: r["s"]
        for r in CommissionLine.objects.filter(payee_partner=partner, kind=LineKind.REBATE)
        .order_by()
        .values("status")
        .annotate(s=Sum("amount"))
    }
    target = None
    if partner.user_id:
        target = SalesTarget.objects.filter(user_id=partner.user_id, period=year_first, annual=True).first()
    return {
        "partner": partner,
        "month_sales": sums["month"],
        "year_sales": sums["year"],
        "orders_count": sums["n"],
        "rebate_payable": rebates.get(LineStatus.PAYABLE, ZERO),
        "rebate_pending": rebates.get(LineStatus.PENDING, ZERO),
        "rebate_paid": rebates.get(LineStatus.PAID, ZERO) + rebates.get(LineStatus.SETTLED, ZERO),
        "year_target": target.amount if target else None,
        "year_attainment": pct(sums["year"], target.amount) if target else None,
    }


def departments_for_filter() -> QuerySet[Department]:
    return Department.objects.order_by("path")


GRADES = [g for g, _label in Grade.choices]
