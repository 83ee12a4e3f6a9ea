"""The home page of each role: what needs doing today and the month's money."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from commissions.models import CommissionLine, LineKind, LineStatus, SalesTarget
from common.money import ZERO
from common.timeutil import local_today, month_start, start_of_local_day
from crm.contact_clock import clock_expression
from crm.models import Customer, FollowUp, OrderStatus, PipelinePolicy, User
from crm.selectors_pool import pool_policy_once, smallest_warn_days
from crm.services.approvals import approvals_waiting_for
from crm.services.receivables import months_before, open_orders, pipeline_policy
from partners.selectors import partner_orders
from reports import rollups, scope
from reports.filters import Period, add_months
from reports.selectors_common import pct
from reports.selectors_people import (
    MONEY_FIGURES,
    PEOPLE_FIGURES,
    PersonFigures,
    Ranked,
    people_figures,
    rank_by,
    rankings,
)
from reports.selectors_pipeline import funnel, open_pipeline
from reports.selectors_trend import monthly_trend
from settlements.models import Settlement, SettlementStatus
from settlements.policy import month_calendar

# --- homes --------------------------------------------------------------------------------------


def _week_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    monday = today - dt.timedelta(days=today.weekday())
    return start_of_local_day(monday), start_of_local_day(monday + dt.timedelta(days=7))


def pool_warn_cutoff(today: dt.date, user: User | None = None) -> dt.datetime:
    """C9: customers whose contact clock started before this are within the warn window (the smallest
    warn threshold of the pool policy and its grade rules; the policy read once per request's user)."""
    warn = smallest_warn_days(pool_policy_once(user))
    return start_of_local_day(today - dt.timedelta(days=warn - 1))


def near_release(qs: QuerySet[Customer], today: dt.date, user: User | None = None) -> QuerySet[Customer]:
    """C9: owned customers past the warn threshold (soon released to the pool), longest silent first. On
    the release clock of crm.contact_clock, which `customer_owner_clock_idx` indexes per owner."""
    return (
        qs.filter(owner__isnull=False)
        .annotate(pool_clock=clock_expression())
        .filter(pool_clock__lt=pool_warn_cutoff(today, user))
        .order_by("pool_clock", "id")
    )


def near_release_first(releasing: QuerySet[Customer], n: int) -> list[Customer]:
    """The first n of `near_release`, with their owners: the n ids are picked from the clock index alone
    (index-only), then only those rows are read, instead of reading every row near release to sort them."""
    first = releasing.values("pk")[:n]
    return list(
        Customer.objects.filter(pk__in=first)
        .annotate(pool_clock=clock_expression())
        .select_related("owner")
        .order_by("pool_clock", "id")
    )


def sales_and_targets(
    *, user_ids: set[int] | None, today: dt.date, month_figures: dict[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """This month's and this year's booked sales against the monthly and annual targets (K3 targets);
    the sales from the month and year rollups (raw for people with unrefreshed changes);
    `month_figures`: this month's figures of exactly `user_ids`, if the caller read them already."""
    first, year_first = month_start(today), today.replace(month=1, day=1)
    targets = SalesTarget.objects.filter(Q(period=first, annual=False) | Q(period=year_first, annual=True))
    if user_ids is not None:
        targets = targets.filter(user_id__in=user_ids)
    month = month_figures
    if month is None:
        month = rollups.person_figures(period=Period.of(today), person_ids=user_ids, only=["booked_total"])
    year = rollups.person_figures(period=Period.of(today, "year"), person_ids=user_ids, only=["booked_total"])
    sums = {
        "month": rollups.totals(month, "booked_total")["booked_total"],
        "year": rollups.totals(year, "booked_total")["booked_total"],
    }
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
        "near_release": near_release(Customer.objects.filter(owner=user), today, user).count(),
    }


def _aging_edges(
    today: dt.date, *, snapshot: bool, policy: PipelinePolicy | None = None
) -> list[tuple[str, Q, str]]:
    """Q6 buckets by how long past due, per the pipeline policy (watch / weekly meeting / bad debt
    months); an order without a due date is due `payment_terms_days` after booking. The conditions
    are written for the raw orders or for the `ReceivableDue` snapshot (booking date, not time);
    `policy`: the pipeline policy in force today, if the caller read it already."""
    policy = policy or pipeline_policy(on=today)
    terms = dt.timedelta(days=policy.payment_terms_days)

    def overdue_by(months: int) -> Q:
        cut = months_before(today, months)
        if snapshot:
            return Q(due_on__lt=cut) | Q(due_on__isnull=True, booked_on__lt=cut - terms)
        return Q(due_on__lt=cut) | Q(due_on__isnull=True, booked_at__lt=start_of_local_day(cut - terms))

    return [
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


def _aging_rows(
    today: dt.date, sums: list[dict[str, Any]], policy: PipelinePolicy | None = None
) -> list[dict[str, Any]]:
    edges = _aging_edges(today, snapshot=False, policy=policy)
    rows: list[dict[str, Any]] = [{"code": "current", "label": _("未到期"), "count": 0, "amount": ZERO}]
    rows += [{"code": c, "label": label, "count": 0, "amount": ZERO} for c, _q, label in reversed(edges)]
    by_code = {r["code"]: r for r in rows}
    for got in sums:
        r = by_code[got["bucket"]]
        r["count"] += got["n"] or 0
        r["amount"] += got["s"] or ZERO
    return rows


def _raw_aging_sums(
    qs: QuerySet, today: dt.date, policy: PipelinePolicy | None = None
) -> list[dict[str, Any]]:
    edges = _aging_edges(today, snapshot=False, policy=policy)
    whens = [When(cond, then=Value(code)) for code, cond, _label in edges]
    return list(
        open_orders(qs)
        .annotate(bucket=Case(*whens, default=Value("current")))
        .order_by()
        .values("bucket")
        .annotate(n=Count("id"), s=Sum("open_sum"))
    )


def aging(*, qs: QuerySet, today: dt.date) -> list[dict[str, Any]]:
    """Q6 receivables aging over raw orders: open amounts by how long past due (one aggregate query over
    the orders' kept open amount, no subquery per order)."""
    policy = pipeline_policy(on=today)
    return _aging_rows(today, _raw_aging_sums(qs, today, policy), policy)


def aging_for(*, user: User, today: dt.date) -> list[dict[str, Any]]:
    """Q6 aging of the user's receivables scope: the `ReceivableDue` snapshot for owners without
    unrefreshed changes, the raw orders for the others (three queries, the pipeline policy read once)."""
    ids = scope.money_member_ids(user)
    policy = pipeline_policy(on=today)
    _in_range, dirty = rollups.dirty_people(person_ids=ids, start=today, end=today)
    edges = _aging_edges(today, snapshot=True, policy=policy)
    whens = [When(cond, then=Value(code)) for code, cond, _label in edges]
    sums = list(
        rollups.receivables_snapshot(person_ids=ids, dirty=dirty)
        .annotate(bucket=Case(*whens, default=Value("current")))
        .order_by()
        .values("bucket")
        .annotate(n=Sum("orders"), s=Sum("open_amount"))
    )
    if dirty:
        sums += _raw_aging_sums(scope.receivables(user).filter(owner_id__in=dirty), today, policy)
    return _aging_rows(today, sums, policy)


def _money_this_month(
    user: User, today: dt.date, figures: dict[int, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Contracts signed (count, amount) and collections this month in the user's money scope
    (`figures`: this month's figures of exactly that scope, if the caller read them already)."""
    if figures is None:
        figures = rollups.person_figures(
            period=Period.of(today), person_ids=scope.money_member_ids(user), only=MONEY_FIGURES
        )
    t = rollups.totals(figures, *MONEY_FIGURES)
    return {
        "contracts_count": t["contract_count"],
        "contracts_amount": t["contract_amount"],
        "collections": t["collections"],
    }


def manager_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Team manager / regional manager / director / VP: KPI cards for their scope this month, the funnel,
    the ranking of their people, approvals waiting, customers about to be released, overdue receivables."""
    today = today or local_today()
    period = Period.of(today)
    ids = scope.member_ids(user)
    customers = scope.customers(user)
    pipeline = funnel(user=user)
    # This month's figures of the scope, read once for the KPI cards, the ranking and the sales.
    month = rollups.person_figures(
        period=period, person_ids=ids, only=[*PEOPLE_FIGURES, *MONEY_FIGURES, "booked_total"]
    )
    same_money_scope = scope.money_member_ids(user) == ids
    people = people_figures(people_qs=scope.people(user), period=period, dept_path=None, figures=month)
    overdue = aging_for(user=user, today=today)
    waiting = approvals_waiting_for(user=user)
    releasing = near_release(customers, today, user)
    return {
        "period": period,
        "new_customers": customers.filter(
            created_at__gte=period.start_at, created_at__lt=period.end_at
        ).count(),
        "followups": rollups.totals(month, "followups")["followups"],
        "pipeline_total": open_pipeline(pipeline),
        **_money_this_month(user, today, month if same_money_scope else None),
        **sales_and_targets(user_ids=ids, today=today, month_figures=month),
        "funnel": pipeline,
        "ranking": rank_by(people, "contract_amount")[:10],
        "approvals_count": waiting.count(),
        "approvals": list(waiting[:5]),
        "near_release_count": releasing.count(),
        "near_release": near_release_first(releasing, 5),
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
    # Every card here asks about everyone: read all dirty marks first, so each card's people are answered
    # from that one read (within the home's `marks_read_once`).
    rollups.dirty_people(person_ids=None, start=period.start, end=period.end)
    people = rankings(period=period)  # before the trend: it reuses this month's raw money of dirty people
    trend = monthly_trend(user=user, month=today)
    top, bottom = top_bottom(people, "contract_amount")
    return {
        "period": period,
        "trend": trend,
        "current": trend.months[-1],
        "funnel": funnel(user=user),
        "top": top,
        "bottom": bottom,
        "aging": aging_for(user=user, today=today),
        "settlement": settlement_month_status(user=user, month=previous_month(today), today=today),
    }


def finance_home(*, user: User, today: dt.date | None = None) -> dict[str, Any]:
    today = today or local_today()
    first = month_start(today)
    paid = Settlement.objects.filter(
        status=SettlementStatus.PAID, paid_at__gte=start_of_local_day(first)
    ).aggregate(n=Count("id"), s=Coalesce(Sum("payout_amount"), ZERO))
    collected = rollups.person_figures(
        period=Period.of(today), person_ids=scope.money_member_ids(user), only=["collections"]
    )
    return {
        "settlement": settlement_month_status(user=user, month=previous_month(today), today=today),
        "paid_count": paid["n"],
        "paid_amount": paid["s"],
        "collections": rollups.totals(collected, "collections")["collections"],
        "aging": aging_for(user=user, today=today),
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
