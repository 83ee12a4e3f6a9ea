"""The month run's upsert of its earned lines by source_key (`_LineWriter`): new lines stream into the
database (`ledger_writing._LineSink`) while the run computes the next payee, changed open lines are
updated, lines whose source vanished are zeroed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from array import array
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models.fields.json import KT
from django.utils.translation import get_language

from commissions.models import CommissionLine, CommissionPlan, LineStatus, PeriodCalculation
from commissions.selectors import LOCKED_STATUSES
from commissions.services.ledger_writing import EARNED_KINDS, _LineSink, lines_update
from commissions.services.sales_facts import _raw_rows
from common.money import ZERO

if TYPE_CHECKING:
    from commissions.services.ledger_run import LedgerRun, _Desired, _MonthFacts

# Part of every inputs digest: bump it when the run makes something else of the same inputs (a change
# to the calculator, the allocation or the lines' words), so the next run recomputes every payee.
INPUTS_VERSION = 3
_EXISTING = ("source_key", "pk", "amount", "status", "base", "rate", "plan_id", "explanation")


def inputs_digest(
    month: _MonthFacts,
    payee: str,
    slices: list[tuple[Any, ...]],
    assignments: list[Any],
    factors: dict[int, Decimal],
    plan_texts: dict[int, str],
) -> str:
    """Everything one payee's month is computed from, as a digest (stored with its calculations): the
    payee's order slices as aggregated (sales, shares, co-holders), each order's net factor and K5
    uplift, the target, the month of leaving, the plans (their definitions) and grades, the names and
    language the lines' words use. The same digest means the same lines (`_LineWriter.reuse`).

    An aggregated row stands in the digest by the database's 64-bit hash of it when the rows carry one
    (`_period_slices(fingerprints=True)`, PostgreSQL), else by its `repr`; a slice's share, holders and
    parts by their `repr` wherever they are not those of the row before."""
    uid = slices[0][2]
    orders = dict.fromkeys(s[1] for s in slices)  # each order once, in the slices' order
    net = [(o, factors[o]) for o in orders if o in factors]
    uplifts, customer = month.uplifts, month.order_customer
    uplifted = [o for o in orders if (uid, customer.get(o)) in uplifts] if uplifts else []
    plans = []
    for a in assignments:
        plan: CommissionPlan = a.plan
        if plan.pk not in plan_texts:
            plan_texts[plan.pk] = json.dumps(plan.definition, sort_keys=True)
        plans.append((plan.pk, plan.code, a.grade, plan_texts[plan.pk]))
    text = repr(
        (
            INPUTS_VERSION,
            get_language(),
            month.targets.get(payee),
            uid in month.leavers,
            month.names.get(uid or 0),
            plans,
            net,
            uplifted,
        )
    )
    digest = hashlib.blake2b(text.encode(), digest_size=16)
    at_fingerprint = month.slices.at.get("fingerprint")
    if at_fingerprint is None:
        digest.update(repr(slices).encode())
        return digest.hexdigest()
    # One row of a million: its share, holders and parts are most often the row before's (an order's
    # categories), and the database hashed its sums as it sent it.
    heads: list[tuple[Any, ...]] = []
    fingerprints = array("q")
    last = None
    for sid, oid, uid_, pid, fraction, raw, parts, co in slices:
        if sid != last or parts is not None or co is not None:
            heads.append((len(fingerprints), sid, oid, uid_, pid, fraction, parts, co))
            last = sid
        fingerprints.append(raw[at_fingerprint])
    digest.update(repr(heads).encode())
    digest.update(fingerprints.tobytes())
    return digest.hexdigest()


class _LineWriter:
    """Upsert of a month's earned lines by source_key. New lines stream into the database as they are
    computed (`_LineSink`); open lines whose amount or explanation changed are updated; lines whose source
    vanished (order re-dated, share removed) are set to 0.00, never deleted, so a settlement draft that
    references them does not break. Settled, paid and forfeited lines are never touched."""

    def __init__(self, period: dt.date, collected: set[int]) -> None:
        self.period = period
        self.collected = collected
        self.existing: dict[str, tuple[Any, ...]] = {}
        # For the re-run shortcut (`reuse`): each calculation's lines, how many of them are not stale, and
        # which calculations have a line that is not open (settled, paid, forfeited).
        self.by_calc: dict[str, list[str]] = defaultdict(list)
        self.live: dict[str, int] = defaultdict(int)
        self.closed_lines: set[str] = set()
        self.held_back: set[str] = set()  # calculations that wanted to change a line that is not open
        for key, pk, amount, status, base, rate, plan_id, explanation, calc, stale in _raw_rows(
            CommissionLine.objects.filter(period=period, kind__in=EARNED_KINDS, source_key__startswith="e:")
            .annotate(calc=KT("explanation__calculation"), stale=KT("explanation__stale"))
            .values_list(*_EXISTING, "calc", "stale")
        ):
            self.existing[key] = (pk, amount, status, base, rate, plan_id, explanation)
            self.by_calc[calc].append(key)
            if stale is None:
                self.live[calc] += 1
            if status in (*LOCKED_STATUSES, LineStatus.FORFEITED):
                self.closed_lines.add(calc)
        self.inputs = {  # the JSON number comes back as text (PostgreSQL) or as a number (SQLite)
            key: (digest, None if lines is None else str(lines))
            for key, digest, lines in PeriodCalculation.objects.filter(period=period)
            .annotate(digest=KT("result__inputs__digest"), lines=KT("result__inputs__lines"))
            .values_list("key", "digest", "lines")
        }
        # Pro rata tranches already released (K8 setting) are subtracted from the pending remainder.
        self.tranches: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for key, amount in CommissionLine.objects.filter(
            period=period, kind__in=EARNED_KINDS, source_key__startswith="t:"
        ).values_list("source_key", "amount"):
            self.tranches[key.split("|")[0][2:]] += amount
        self.seen: set[str] = set()
        self.to_update: list[CommissionLine] = []
        self.created = 0
        self.sink = _LineSink()

    def __enter__(self) -> _LineWriter:
        self.sink.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sink.__exit__(*exc)

    def reuse(self, calc_keys: list[str], digest: str) -> bool:
        """The re-run shortcut: True — and the payee's lines are kept exactly as they are — when each of
        the payee's calculations was last computed from the same inputs (`inputs_digest`) and all the
        lines it produced are still there, not stale, and open. Never in a month with pro rata tranches (a
        tranche released since changes what an open line holds). A calculation stored while one of its
        lines was not open (`held`) has no digest: such a line may have been reopened since, with what it
        held before."""
        if self.tranches:
            return False
        for key in calc_keys:
            if key in self.closed_lines or self.inputs.get(key) != (digest, str(self.live.get(key, 0))):
                return False
        for key in calc_keys:
            self.seen.update(self.by_calc.get(key, ()))
        return True

    def held(self, calc_key: str) -> bool:
        """Whether `want` left a line of this calculation as it was because it is not open."""
        return calc_key in self.held_back

    def want(self, d: _Desired) -> None:
        key = d.key
        amount = d.amount - self.tranches[key] if key in self.tranches else d.amount
        cur = self.existing.get(key)
        if cur is None:
            # K8 at insert time: an order already fully collected is payable straight away.
            status = LineStatus.PAYABLE if d.order_id in self.collected else LineStatus.PENDING
            self.sink.add(
                (
                    key,
                    self.period,
                    d.kind,
                    status,
                    d.payee_user_id,
                    d.payee_partner_id,
                    d.order_id,
                    d.share_id,
                    d.plan_id,
                    d.component,
                    d.category,
                    d.base,
                    d.rate,
                    amount,
                    d.explanation,
                    None,
                    "",
                ),
                d.explanation_text,
            )
            self.created += 1
            return
        self.seen.add(key)  # an existing line still wanted (the others are zeroed in `finish`)
        pk, old_amount, status, old_base, old_rate, old_plan, old_explanation = cur
        if status in (*LOCKED_STATUSES, LineStatus.FORFEITED):
            self.held_back.add(d.explanation["calculation"])
            return
        if isinstance(old_explanation, str):  # psycopg hands jsonb over as text (Django's loader)
            old_explanation = json.loads(old_explanation)
        if (old_amount, old_base, old_rate, old_plan, old_explanation) != (
            amount,
            d.base,
            d.rate,
            d.plan_id,
            d.explanation,
        ):
            self.to_update.append(
                CommissionLine(
                    pk=pk,
                    amount=amount,
                    base=d.base,
                    rate=d.rate,
                    explanation=d.explanation,
                    plan_id=d.plan_id,
                )
            )

    def finish(self, run: LedgerRun) -> None:
        self.sink.close()
        stale_ids = [
            pk
            for key, (pk, amount, status, *_rest) in self.existing.items()
            if key not in self.seen and status not in (*LOCKED_STATUSES, LineStatus.FORFEITED) and amount != 0
        ]
        stale = [
            CommissionLine(pk=x.pk, amount=ZERO, explanation={**x.explanation, "stale": True})
            for x in CommissionLine.objects.filter(pk__in=stale_ids)
        ]
        lines_update(self.to_update, ["amount", "base", "rate", "explanation", "plan_id"])
        lines_update(stale, ["amount", "explanation"])
        run.lines_db_seconds = round(self.sink.busy, 3)
        run.created += self.created
        run.updated += len(self.to_update)
        run.zeroed += len(stale)
