"""The month's commission ledger run (K1–K10): `ledger_recalculate(period=…)`.

The month's sales facts (`sales_facts`) × the plans in force (`selectors.PlanDirectory`) through the
calculator, payee by payee; each component's payee total allocated exactly over the payee's order
slices; the lines upserted by source_key (`_LineWriter`, written through `ledger_writing`); the K5
year-end true-up in December; then the K10 clawbacks and the K8 payable refresh (`collection`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.calculator.engine import calculate, key_account_advance, order_weigher, year_end_calculate
from commissions.calculator.facts import Facts, LineFact, summed_lines
from commissions.calculator.result import Result
from commissions.calculator.validation import PERIOD_COMPONENTS
from commissions.models import (
    CommissionLine,
    CommissionPeriod,
    CommissionPlan,
    Departure,
    KeyAccountUplift,
    LineKind,
    LineStatus,
    PeriodCalculation,
    SalesTarget,
)
from commissions.selectors import PlanDirectory, period_is_closed
from commissions.services.collection import clawbacks_create, collected_orders, commission_payable_refresh
from commissions.services.ledger_upsert import _LineWriter, inputs_digest
from commissions.services.ledger_writing import EarnedLineText, calculations_update
from commissions.services.sales_facts import (
    _period_bounds,
    _period_slices,
    _PeriodSlices,
    _scaled,
    _ShareRow,
    order_net_factors,
    plan_categories,
)
from common.deferred_text import words, words_json, words_stored_text
from common.errors import Conflict
from common.fen import pct
from common.money import ZERO, allocate, round_fen
from common.timeutil import month_start, next_month

# The month run hands the calculator each payee's summed facts (`summed_lines`) when their sums are exact;
# False gives it every order's lines (the equality tests compare the two).
SUM_FACTS = True


# Issue 15: notes a run writes on its lines, stored in Chinese and as words read in the reader's language.
ADVANCE_NOTE = gettext_noop("月度预发 %(pct)s（%(amount)s），余额年终结算")
OWN_SHARE_NOTE = gettext_noop("本单提成 ¥%(total)s 由分成人共享，本人分得 %(pct)s")
SHARED_NOTE = gettext_noop("分得 %(manager)s 在本单提成 ¥%(total)s 的 %(pct)s（按其业绩档位计算）")
NOTES_JOINED = gettext_noop("%(a)s；%(b)s")


def joined_notes(said: tuple[dict[str, Any], ...]) -> dict[str, Any] | None:
    """Several notes as one, as words ("a；b" in Chinese, "a; b" in English)."""
    if not said:
        return None
    out = said[0]
    for nxt in said[1:]:
        out = {"m": NOTES_JOINED, "a": {"a": out, "b": nxt}}
    return out


@dataclass
class LedgerRun:
    period: dt.date
    payees: int = 0
    calculations: int = 0
    created: int = 0
    updated: int = 0
    zeroed: int = 0
    clawbacks: int = 0
    made_payable: int = 0
    total: Decimal = ZERO
    skipped_no_plan: int = 0
    reused: int = 0  # calculations whose inputs had not changed: their lines were left as they are
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (README: Performance)
    lines_db_seconds: float = 0.0  # of which the database spent writing and checking new lines (PostgreSQL)

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = round(now - since, 3)
        return now


@dataclass(slots=True)
class _Desired:
    key: str
    payee_user_id: int | None
    payee_partner_id: int | None
    order_id: int | None
    share_id: int | None
    plan_id: int
    component: str
    category: str
    base: Decimal
    rate: Decimal | None
    amount: Decimal
    explanation: dict[str, Any]
    kind: str = LineKind.EARNED  # K13 partner rebates are `rebate` lines
    explanation_text: str | None = None  # the explanation as COPY text, when worked out from parts


@dataclass(slots=True)
class _PayeeResult:
    """The calculator's result for one payee under one plan, with the order slices it is allocated to."""

    calc_key: str
    user_id: int | None
    partner_id: int | None
    plan: CommissionPlan
    rows: list[_ShareRow]
    result: Result


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The month run without Python's cyclic garbage collector: the run builds millions of small
    tuples and facts that live until it ends and form no reference cycles, and each automatic
    collection walks all of them again (≈ 0.5 s of the 1M-line month's aggregation alone). Reference
    counting still frees everything; the collector runs again as before when the run is over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ledger_recalculate(*, period: dt.date) -> LedgerRun:
    """Compute the month's commission ledger from the orders booked in it × their credit shares.

    Set-based: one SQL aggregation of the month's order lines per order, allocated exactly over the
    credit shares; then payee by payee the calculator once per plan, each component's payee total
    allocated over the payee's orders by what each order earned (`common.fen.allocate`), the lines
    upserted by `source_key` (new ones stream into the database while the next payee is computed).
    Idempotent: a second run changes nothing. A closed month is refused. Then K10 clawbacks (earlier
    months re-priced, differences booked here) and the K8 payable refresh run. Python's cyclic garbage
    collector is off meanwhile (`_no_cyclic_gc`).
    """
    with _no_cyclic_gc():
        return _ledger_recalculate(period=period)


@transaction.atomic
def _ledger_recalculate(*, period: dt.date) -> LedgerRun:
    """`ledger_recalculate` in its transaction."""
    period = month_start(period)
    CommissionPeriod.objects.get_or_create(period=period)
    CommissionPeriod.objects.select_for_update().get(period=period)
    if period_is_closed(period):
        raise Conflict(
            _("%(period)s 已结算关闭，不能重新计算；更正将计入下一个未关闭的月份。")
            % {"period": f"{period:%Y-%m}"}
        )
    run = LedgerRun(period=period)
    t = time.perf_counter()
    # Net of every refund/write-off recorded so far; a month closed before one arrived is re-priced the
    # same way by the clawbacks (`collection.clawbacks_create`), the difference booked in an open month.
    factors = order_net_factors()
    start, end = _period_bounds(period)
    month = _MonthFacts.load(period, fingerprints=True)
    t = run.lap("aggregate_sql_and_split", t)
    collected = set(
        collected_orders().filter(booked_at__gte=start, booked_at__lt=end).values_list("pk", flat=True)
    )
    t = run.lap("plans_targets_collected", t)
    # From here until the writer is finished the connection belongs to the writer: no queries.
    with _LineWriter(period, collected) as writer:
        calcs = month.compute(factors, writer.want, run=run, shortcut=writer)
        writer.finish(run)
    run.calculations = len(calcs) + run.reused
    t = run.lap("calculate_allocate_write_lines", t)
    _calculations_upsert(period, calcs)
    t = run.lap("calculations_upsert", t)
    if period.month == 12:
        _key_account_year_end(period, run)
    run.clawbacks = clawbacks_create(period=period)
    t = run.lap("clawbacks", t)
    if period.month == 12:
        _annual_year_end(period, factors, run)
        t = run.lap("annual_year_end", t)
    run.made_payable = commission_payable_refresh()
    t = run.lap("payable_refresh", t)
    CommissionPeriod.objects.filter(period=period).update(last_run_at=timezone.now())
    run.total = (
        CommissionLine.objects.filter(period=period)
        .exclude(status=LineStatus.FORFEITED)
        .aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    run.lap("month_total", t)
    return run


@dataclass
class _MonthFacts:
    """Everything a month's computation reads from the database, loaded up front (a handful of set-based
    queries), so that `compute` runs no query: the month run streams its lines meanwhile, and the K10
    re-pricing of a closed month (`month_desired_lines`) computes the same way without writing."""

    period: dt.date
    directory: PlanDirectory
    slices: _PeriodSlices
    partner_kinds: dict[int, str]
    targets: dict[str, Decimal]  # the month's target by payee ("u<id>" / "p<id>")
    leavers: set[int]  # K11: users who left in this month
    uplifts: set[tuple[int, int]]
    order_customer: dict[int, int]
    names: dict[int, str]

    @classmethod
    def load(
        cls, period: dt.date, *, payees: set[str] | None = None, fingerprints: bool = False
    ) -> _MonthFacts:
        """`fingerprints`: the aggregated rows carry the database's hash of each (for `inputs_digest`)."""
        from crm.models import Order, User
        from partners.models import Partner

        directory = PlanDirectory.load(period)
        all_plans = [a.plan for group in directory.by_user.values() for a in group]
        all_plans += [a.plan for group in directory.by_role.values() for a in group]
        all_plans += [a.plan for group in directory.by_partner_kind.values() for a in group]
        # Categories matter when a component prices lines, or when a plan leaves some out (001 l.287).
        by_category = any(p.definition.get("excluded_categories") for p in all_plans) or any(
            c["type"] not in PERIOD_COMPONENTS for p in all_plans for c in p.definition.get("components", [])
        )
        categories = plan_categories(p.definition for p in all_plans)
        slices = _period_slices(
            period, by_category=by_category, payees=payees, categories=categories, fingerprints=fingerprints
        )
        if payees is not None:  # only these payees' months are complete in the slices
            slices.by_payee = {k: v for k, v in slices.by_payee.items() if k in payees}
        by_payee = slices.by_payee
        user_ids = [int(k[1:]) for k in by_payee if k[0] == "u"]
        directory.load_roles(user_ids)
        partner_kinds = dict(
            Partner.objects.filter(pk__in=[int(k[1:]) for k in by_payee if k[0] == "p"]).values_list(
                "pk", "kind"
            )
        )
        partner_ids = list(partner_kinds)
        targets = {
            f"u{uid}" if uid else f"p{pid}": amount
            for uid, pid, amount in SalesTarget.objects.filter(
                Q(user_id__in=user_ids) | Q(partner_id__in=partner_ids), period=period, annual=False
            ).values_list("user_id", "partner_id", "amount")
        }
        start, end = period, next_month(period)
        leavers = set(
            Departure.objects.filter(user_id__in=user_ids, left_on__gte=start, left_on__lt=end).values_list(
                "user_id", flat=True
            )
        )
        uplifts = set(
            KeyAccountUplift.objects.filter(user_id__in=user_ids, year=period.year).values_list(
                "user_id", "customer_id"
            )
        )
        order_customer: dict[int, int] = {}
        if uplifts:
            order_customer = dict(
                Order.objects.filter(pk__in={s[1] for group in by_payee.values() for s in group}).values_list(
                    "pk", "customer_id"
                )
            )
        # The names the shared lines' explanations give (the account manager whose commission is shared).
        sharing = {s[2] for group in by_payee.values() for s in group if s[7] is not None}
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=sharing)} if sharing else {}
        return cls(period, directory, slices, partner_kinds, targets, leavers, uplifts, order_customer, names)

    def compute(
        self,
        factors: dict[int, Decimal],
        want: Callable[[_Desired], None],
        *,
        run: LedgerRun | None = None,
        shortcut: _LineWriter | None = None,
    ) -> list[PeriodCalculation]:
        """Payee by payee: facts net of refunds/write-offs (`factors`), the calculator once per plan, the
        lines handed to `want`. Returns the month's calculations (one per payee and plan) — except, with
        `shortcut` (the month run's writer), those of payees whose inputs are unchanged since their last
        computation (`shortcut.reuse(calculation keys, inputs_digest)`: their lines stay as they are)."""
        period, directory, slices = self.period, self.directory, self.slices
        calcs: list[PeriodCalculation] = []
        key_head = f"e:{period:%Y%m}:"
        uplifts, order_customer = self.uplifts, self.order_customer
        plan_texts: dict[int, str] = {}
        for payee, payee_slices in slices.by_payee.items():
            uid, pid = payee_slices[0][2], payee_slices[0][3]
            assignments = (
                directory.for_user(uid)
                if uid
                else directory.for_partner(self.partner_kinds.get(pid or 0, ""))
            )
            if not assignments:
                if run is not None:
                    run.skipped_no_plan += 1
                continue
            if run is not None:
                run.payees += 1
            calc_keys = [f"{period:%Y%m}:{payee}:{a.plan.code}" for a in assignments]
            digest = None
            if shortcut is not None:
                digest = inputs_digest(self, payee, payee_slices, assignments, factors, plan_texts)
                if shortcut.reuse(calc_keys, digest):
                    if run is not None:
                        run.reused += len(calc_keys)
                    continue
            payee_rows = slices.share_rows(payee_slices)
            exact = True  # every sum of the payee's lines is exact: no net factor applied
            for row in payee_rows:
                f = factors.get(row.order_id, Decimal(1))
                up = bool(uplifts) and (uid, order_customer.get(row.order_id)) in uplifts
                if f != 1 or up:
                    exact = exact and f == 1
                    row.lines = [_scaled(x, f, up) for x in row.lines]
                    row.finish()
            lines = tuple(x for r in payee_rows for x in r.lines)
            # The calculator prices a payee's month by its sums: when they are exact it is given them
            # (a few lines per category instead of every order's), which changes no digit of the result.
            if exact and SUM_FACTS:
                lines = summed_lines(lines)
            for a, calc_key in zip(assignments, calc_keys, strict=True):
                facts = Facts(
                    lines=lines,
                    target=self.targets.get(payee),
                    grade=a.grade,
                    left_in_period=uid in self.leavers,
                )
                r = _PayeeResult(
                    calc_key=calc_key,
                    user_id=uid,
                    partner_id=pid,
                    plan=a.plan,
                    rows=payee_rows,
                    result=calculate(a.plan.definition, facts),
                )
                n = _allocate(r, factors, key_head, want, self.names)
                inputs = None
                if shortcut is not None and digest is not None and not shortcut.held(calc_key):
                    inputs = {"digest": digest, "lines": n}
                calcs.append(_calculation(period, r, inputs))
        return calcs


def month_desired_lines(
    *, period: dt.date, payees: set[str], factors: dict[int, Decimal]
) -> dict[str, _Desired]:
    """K10: what the month's lines of these payees ("u<id>" / "p<id>") would be, computed now with the
    refunds and write-offs known now (`factors`), by source_key — nothing is written. Lines other people
    hold through these payees' calculations (the executive's 30%) are included."""
    out: dict[str, _Desired] = {}

    def want(d: _Desired) -> None:
        out[d.key] = d

    _MonthFacts.load(month_start(period), payees=payees).compute(factors, want)
    return out


def _calculation(period: dt.date, r: _PayeeResult, inputs: dict[str, Any] | None = None) -> PeriodCalculation:
    return PeriodCalculation(
        key=r.calc_key,
        period=period,
        payee_user_id=r.user_id,
        payee_partner_id=r.partner_id,
        plan=r.plan,
        sales=round_fen(r.result.sales),
        total=r.result.total,
        result={
            **r.result.to_dict(),
            "by_component": {k: f"{v:.2f}" for k, v in r.result.by_component().items()},
            **({"inputs": inputs} if inputs is not None else {}),
        },
    )


def _calculations_upsert(period: dt.date, calcs: list[PeriodCalculation]) -> None:
    """One PeriodCalculation per payee and plan (the month's computation its lines point to by key),
    written only where it changed."""
    current = {c.key: c for c in PeriodCalculation.objects.filter(period=period)}
    new_calcs, changed_calcs = [], []
    for c in calcs:
        old = current.get(c.key)
        if old is None:
            new_calcs.append(c)
        elif (old.plan_id, old.sales, old.total, old.result) != (c.plan_id, c.sales, c.total, c.result):
            c.pk = old.pk
            changed_calcs.append(c)
    PeriodCalculation.objects.bulk_create(new_calcs, batch_size=500)
    calculations_update(changed_calcs)


def _allocate(
    r: _PayeeResult,
    factors: dict[int, Decimal],
    key_head: str,
    want: Callable[[_Desired], None],
    names: dict[int, str],
) -> int:
    """Each component's payee total allocated over the payee's order slices exactly (`allocate`), each
    slice weighted by what it earned under that component (`calculator.earned_weight`): one line per
    credit share and component. A slice several people share (account manager and executive, a
    collision split) is allocated again over their shares, the account manager's first.

    A line's explanation holds only what is its own (the share, the order's base, the refund factor, the
    split in words) and the key of the month's calculation (PeriodCalculation.key), which holds the rest
    (bands, rates, totals): the drill-down joins the two (`selectors.line_explanation`). Returns how many
    lines it handed to `want`."""
    definition = r.plan.definition
    plan_id = r.plan.pk
    components = {c["id"]: c for c in definition["components"]}
    has_below = any(c["type"] == "below_floor" for c in definition["components"])
    excluded = definition.get("excluded_categories", ())
    exact = r.result.exact_by_component()
    n = 0  # lines handed to `want`
    for comp_id, comp_total in r.result.by_component().items():
        comp = components[comp_id]
        amount = comp_total
        note = ""
        note_words: dict[str, Any] | None = None
        advance = key_account_advance(comp, exact[comp_id])
        if advance is not None:  # K5: the monthly advance of the exact amount, rounded once
            amount = advance
            said_advance = words(
                ADVANCE_NOTE, pct=pct(Decimal(comp["advance_ratio"])), amount=f"{amount:.2f}"
            )
            note, note_words = words_stored_text(said_advance), words_json(said_advance)
        weigh = order_weigher(comp, has_below_floor=has_below, excluded=excluded)
        weights = [weigh(row.lines) for row in r.rows]
        if not any(weights):
            continue
        parts = allocate(amount, weights)
        comp_lines = [x for x in r.result.lines if x.component == comp_id]
        rate = comp_lines[0].rate if len(comp_lines) == 1 else None
        kind = LineKind.REBATE if comp["type"] == "rebate" else LineKind.EARNED
        category = comp_lines[0].category if len(comp_lines) == 1 else ""
        key_tail = f":{r.plan.code}:{comp_id}"
        alone_text = EarnedLineText(r.calc_key, note, note_words)
        # This loop runs once per credit share × component (220,000× in the benchmark month): keep it lean.
        for row, part, w in zip(r.rows, parts, weights, strict=True):
            if part == 0 and w == 0:
                continue
            f = factors.get(row.order_id)
            if row.co_holders is None:
                share_text, base_text, fen_base = row.texts()
                explanation: dict[str, Any] = {
                    "calculation": r.calc_key,
                    "share": share_text,
                    "order_base": base_text,
                }
                net = None
                if f is not None:
                    explanation["net_factor"] = net = str(f)
                if note:
                    explanation["note"] = note
                    explanation["note_words"] = note_words
                n += 1
                want(
                    _Desired(
                        f"{key_head}{row.share_id}{key_tail}",
                        r.user_id,
                        r.partner_id,
                        row.order_id,
                        row.share_id,
                        plan_id,
                        comp_id,
                        category,
                        fen_base,
                        rate,
                        part,
                        explanation,
                        kind,
                        alone_text.text(share_text, base_text, net),
                    )
                )
                continue
            # P4 [002 §10]: the order's commission, earned in the account manager's bands, is shared.
            holders = row.co_holders
            shares, bases, pcts = row.co_split()
            amounts = allocate(part, shares)
            manager = names.get(r.user_id or 0, "")
            for (sid, uid, share), share_amount, share_base, share_pct in zip(
                holders, amounts, bases, pcts, strict=True
            ):
                # Issue 15: stored in Chinese (the message id) and as words read in the reader's language.
                said_args = {"manager": manager, "total": f"{part:,.2f}", "pct": share_pct}
                said_id = OWN_SHARE_NOTE if uid == r.user_id else SHARED_NOTE
                said = {"m": said_id, "a": said_args}
                text = said_id % said_args
                explanation = {
                    "calculation": r.calc_key,
                    "share": str(share),
                    "order_base": str(share_base),
                    "order_commission": f"{part:.2f}",
                    "note": f"{note}；{text}" if note else text,
                    "note_words": {"m": NOTES_JOINED, "a": {"a": note_words, "b": said}} if note else said,
                }
                if f is not None:
                    explanation["net_factor"] = str(f)
                n += 1
                want(
                    _Desired(
                        f"{key_head}{sid}{key_tail}",
                        uid,
                        None,
                        row.order_id,
                        sid,
                        plan_id,
                        comp_id,
                        category,
                        share_base,
                        rate,
                        share_amount,
                        explanation,
                        kind,
                    )
                )
    return n


def _key_account_year_end(period: dt.date, run: LedgerRun) -> None:
    """K5 year-end true-up (December run): per payee and key-account plan, the year's key-account
    commission minus the monthly advances, plus the year-end bonus when the annual target is met."""
    year = period.year
    calcs = PeriodCalculation.objects.filter(period__year=year, payee_user__isnull=False).select_related(
        "plan"
    )
    accrued: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    sales: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    plans: dict[int, CommissionPlan] = {}
    for c in calcs:
        assert c.payee_user_id is not None
        sales[c.payee_user_id][c.period] = max(sales[c.payee_user_id].get(c.period, ZERO), c.sales)
        comps = {x["id"]: x for x in c.plan.definition.get("components", []) if x["type"] == "key_account"}
        for comp_id, amount in c.result.get("by_component", {}).items():
            if comp_id in comps:
                accrued[(c.payee_user_id, c.plan_id)] += Decimal(amount)
                plans[c.plan_id] = c.plan
    if not accrued:
        return
    advanced: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for uid, plan_id, amount in (
        CommissionLine.objects.filter(
            period__year=year,
            payee_user_id__in={u for u, _p in accrued},
            plan_id__in=list(plans),
            kind=LineKind.EARNED,
        )
        .exclude(status=LineStatus.FORFEITED)
        .filter(
            component__in={
                x["id"]
                for p in plans.values()
                for x in p.definition["components"]
                if x["type"] == "key_account"
            }
        )
        .values_list("payee_user_id", "plan_id", "amount")
    ):
        advanced[(uid, plan_id)] += amount
    annual_targets = dict(
        SalesTarget.objects.filter(period=dt.date(year, 1, 1), annual=True).values_list("user_id", "amount")
    )
    lines = []
    for (uid, plan_id), total in accrued.items():
        plan = plans[plan_id]
        comp = next(x for x in plan.definition["components"] if x["type"] == "key_account")
        balance = round_fen(total) - advanced[(uid, plan_id)]
        year_sales = sum(sales[uid].values(), ZERO)
        target = annual_targets.get(uid)
        met = target is not None and year_sales >= target
        bonus = round_fen(total * Decimal(comp.get("year_end_bonus", "0"))) if met else ZERO
        for suffix, amount, label in (
            ("balance", balance, words(gettext_noop("大客户提成年终结算余额"))),
            ("bonus", bonus, words(gettext_noop("年度目标达成，年终大客户提成奖励"))),
        ):
            if amount == 0:
                continue
            lines.append(
                CommissionLine(
                    source_key=f"ka:{year}:u{uid}:{plan.code}:{suffix}",
                    period=period,
                    kind=LineKind.EARNED if suffix == "balance" else LineKind.REWARD,
                    status=LineStatus.PAYABLE,
                    payee_user_id=uid,
                    plan=plan,
                    component=comp["id"],
                    base=round_fen(total),
                    rate=Decimal(comp.get("year_end_bonus", "0")) if suffix == "bonus" else None,
                    amount=amount,
                    explanation={
                        "plan": plan.code,
                        "component": comp["id"],
                        "label": words_stored_text(label),
                        "label_words": words_json(label),
                        "year_accrued": f"{round_fen(total):.2f}",
                        "advanced": f"{advanced[(uid, plan_id)]:.2f}",
                        "year_sales": f"{year_sales:.2f}",
                        "annual_target": None if target is None else f"{target:.2f}",
                    },
                )
            )
    existing = dict(
        CommissionLine.objects.filter(source_key__in=[x.source_key for x in lines]).values_list(
            "source_key", "status"
        )
    )
    new = [x for x in lines if x.source_key not in existing]
    upd = [x for x in lines if existing.get(x.source_key) in (LineStatus.PENDING, LineStatus.PAYABLE)]
    CommissionLine.objects.bulk_create(new)
    for x in upd:
        CommissionLine.objects.filter(source_key=x.source_key).update(
            amount=x.amount, base=x.base, explanation=x.explanation
        )
    run.created += len(new)


def _annual_components(definition: dict[str, Any]) -> bool:
    return bool(definition.get("annual_true_up")) or any(
        c["type"] == "target_bonus" and c.get("period") == "year" for c in definition.get("components", [])
    )


def _year_lines(year: int, factors: dict[int, Decimal], payees: set[str]) -> dict[str, list[LineFact]]:
    """The year's order-line facts of these payees (each month's credit-share slices, net of refunds and
    write-offs), the same facts the month runs priced."""
    out: dict[str, list[LineFact]] = defaultdict(list)
    for month in range(1, 13):
        slices = _period_slices(dt.date(year, month, 1), by_category=True, payees=payees)
        for payee, payee_slices in slices.by_payee.items():
            if payee not in payees:
                continue
            for row in slices.share_rows(payee_slices):
                f = factors.get(row.order_id, Decimal(1))
                out[payee] += row.lines if f == 1 else [_scaled(x, f, False) for x in row.lines]
    return out


def _annual_year_end(period: dt.date, factors: dict[int, Decimal], run: LedgerRun) -> None:
    """The December run's annual part, for the plans in force in December that have one: the K3 annual
    target bonus (001 三.3: the year's sales against the annual `SalesTarget`) and the annual true-up
    (001 第五条 2: the year's commission on the year's sales − what the plan booked this year, forfeited
    lines included so a forfeit is never paid back). One line each (`y:<year>:<payee>:<plan>:<component>`),
    payable; re-running updates it while it is open (never once settled)."""
    year = period.year
    directory = PlanDirectory.load(period)
    plans = [a.plan for group in directory.by_user.values() for a in group]
    plans += [a.plan for group in directory.by_role.values() for a in group]
    plans += [a.plan for group in directory.by_partner_kind.values() for a in group]
    if not any(_annual_components(p.definition) for p in plans):
        return
    holders = set(
        PeriodCalculation.objects.filter(period__year=year).values_list("payee_user_id", "payee_partner_id")
    )
    user_ids = [u for u, _p in holders if u]
    partner_ids = [p for _u, p in holders if p]
    directory.load_roles(user_ids)
    from partners.models import Partner

    kinds = dict(Partner.objects.filter(pk__in=partner_ids).values_list("pk", "kind"))
    wanted: dict[str, list[CommissionPlan]] = {}
    for uid, pid in holders:
        assignments = directory.for_user(uid) if uid else directory.for_partner(kinds.get(pid or 0, ""))
        annual = [a.plan for a in assignments if _annual_components(a.plan.definition)]
        if annual:
            wanted[f"u{uid}" if uid else f"p{pid}"] = annual
    if not wanted:
        return
    year_lines = _year_lines(year, factors, set(wanted))
    targets = {
        f"u{uid}" if uid else f"p{pid}": amount
        for uid, pid, amount in SalesTarget.objects.filter(
            period=dt.date(year, 1, 1), annual=True
        ).values_list("user_id", "partner_id", "amount")
    }
    booked: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for uid, pid, code, amount in (
        CommissionLine.objects.filter(
            period__year=year, plan__code__in={p.code for g in wanted.values() for p in g}
        )
        .exclude(source_key__startswith="y:")
        .values_list("payee_user_id", "payee_partner_id", "plan__code", "amount")
    ):
        booked[(f"u{uid}" if uid else f"p{pid}", code)] += amount
    lines: list[CommissionLine] = []
    for payee, payee_plans in wanted.items():
        for plan in payee_plans:
            result = year_end_calculate(
                plan.definition,
                year_facts=Facts(lines=tuple(year_lines.get(payee, ()))),
                annual_target=targets.get(payee),
                booked=booked[(payee, plan.code)],
            )
            for x in result.lines:
                explanation: dict[str, Any] = {
                    "plan": plan.code,
                    "component": x.component,
                    "label": x.label,
                    "band": x.band,
                    **({"band_words": dict(x.band_words)} if x.band_words else {}),
                    "year_sales": f"{result.sales:.2f}",
                    "annual_target": None if targets.get(payee) is None else f"{targets[payee]:.2f}",
                }
                if result.attainment is not None:
                    explanation["attainment"] = pct(result.attainment, 2)
                if x.type == "annual_true_up":
                    explanation["booked"] = f"{booked[(payee, plan.code)]:.2f}"
                    explanation["note"] = "；".join(result.notes)
                    explanation["note_words"] = joined_notes(result.notes_words)
                lines.append(
                    CommissionLine(
                        source_key=f"y:{year}:{payee}:{plan.code}:{x.component}",
                        period=period,
                        kind=LineKind.ADJUSTMENT if x.type == "annual_true_up" else LineKind.EARNED,
                        status=LineStatus.PAYABLE,
                        payee_user_id=int(payee[1:]) if payee[0] == "u" else None,
                        payee_partner_id=int(payee[1:]) if payee[0] == "p" else None,
                        plan=plan,
                        component=x.component,
                        base=round_fen(x.base),
                        rate=x.rate,
                        amount=x.amount,
                        explanation=explanation,
                    )
                )
    _year_end_upsert(year, lines, run)


def _year_end_upsert(year: int, lines: list[CommissionLine], run: LedgerRun) -> None:
    """Insert the year-end lines, update the open ones, zero the open ones whose reason went away."""
    existing = dict(
        CommissionLine.objects.filter(source_key__startswith=f"y:{year}:").values_list("source_key", "status")
    )
    open_statuses = (LineStatus.PENDING, LineStatus.PAYABLE)
    new = [x for x in lines if x.source_key not in existing]
    CommissionLine.objects.bulk_create(new)
    for x in lines:
        if existing.get(x.source_key) in open_statuses:
            CommissionLine.objects.filter(source_key=x.source_key).update(
                amount=x.amount, base=x.base, rate=x.rate, explanation=x.explanation
            )
    gone = [
        k
        for k, status in existing.items()
        if status in open_statuses and k not in {x.source_key for x in lines}
    ]
    run.zeroed += CommissionLine.objects.filter(source_key__in=gone).exclude(amount=0).update(amount=ZERO)
    run.created += len(new)
