"""The month's sales as calculator facts: the order lines booked in a month aggregated in SQL per order
(and category / K9 / K5 flags when a plan needs them), split exactly over the orders' credit shares
(P4), and the per-order net factors after refunds and write-offs (K5 net sales, Q6).

Read by the ledger run (`ledger_run`), the clawbacks (`collection`) and the what-if estimator."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from commissions.calculator.facts import LineFact
from common.fen import pct
from common.money import ZERO, allocate, round_fen
from common.timeutil import next_month, start_of_local_day

MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=6)


@dataclass
class _ShareRow:
    """One credit share's slice of one order, aggregated in SQL by category (and the K5/K9 flags)."""

    share_id: int
    order_id: int
    user_id: int | None
    partner_id: int | None
    share: Decimal
    lines: list[LineFact] = field(default_factory=list)
    base: Decimal = ZERO  # sum of the line amounts; set by finish() once the lines are final
    # P4: the people who share this order's commission with this (primary) holder — (credit share id,
    # user id, share), the primary first — or None when the holder's commission is theirs alone.
    co_holders: tuple[tuple[int, int, Decimal], ...] | None = None
    # Worked out once per slice, not once per plan and component (`fen_base`, `co_split`).
    _fen_base: Decimal | None = field(default=None, repr=False, compare=False)
    _co_split: tuple[list[Decimal], list[Decimal], list[str]] | None = field(
        default=None, repr=False, compare=False
    )
    _texts: tuple[str, str, Decimal] | None = field(default=None, repr=False, compare=False)

    def finish(self) -> None:
        self.base = sum((x.amount for x in self.lines), ZERO)
        self._fen_base = self._co_split = self._texts = None

    def texts(self) -> tuple[str, str, Decimal]:
        """The share and the base as the slice's lines' explanations state them, and the base to the fen
        (a line per plan and component states the same ones)."""
        if self._texts is None:
            self._texts = (str(self.share), str(self.base), self.fen_base())
        return self._texts

    def fen_base(self) -> Decimal:
        """The slice's base as a ledger line states it: to the fen."""
        if self._fen_base is None:
            base = self.base
            self._fen_base = base if base.as_tuple().exponent == -2 else round_fen(base)
        return self._fen_base

    def co_split(self) -> tuple[list[Decimal], list[Decimal], list[str]]:
        """P4, for a slice people share: their shares, the base allocated over them exactly, and each
        one's part of the slice's commission as a percentage (the words of the shared lines)."""
        if self._co_split is None:
            assert self.co_holders is not None
            shares = [h[2] for h in self.co_holders]
            self._co_split = (shares, allocate(self.base, shares), [pct(x / self.share, 2) for x in shares])
        return self._co_split


def _raw_rows(
    qs: QuerySet[Any], chunk: int = 20000, *, fingerprint: bool = False
) -> Iterable[tuple[Any, ...]]:
    """Stream a values()/values_list() queryset as plain tuples straight from the driver: skips Django's
    per-row converters, which dominate at hundreds of thousands of rows (psycopg already returns
    Decimal/date). Column order = the values() fields, then the annotations.

    Inside a transaction on PostgreSQL the rows are streamed and read ahead by a worker thread
    (`_read_ahead`): the database computes the next rows while the caller files these. The caller must
    not use the connection until it has read every row.

    `fingerprint` (PostgreSQL): each row ends with one more column, a 64-bit hash of the row's text
    (`hashtextextended`), computed by the database as it sends the row (`_period_slices`)."""
    if connection.vendor != "postgresql":  # SQLite's driver returns floats: go through the ORM
        for item in qs.iterator(chunk_size=chunk):
            yield tuple(item.values()) if isinstance(item, dict) else item
        return
    sql, params = qs.query.sql_with_params()
    if fingerprint:  # the same rows in the same order (`_period_slices` orders by the first column)
        sql = f"SELECT q.*, hashtextextended(q::text, 0) FROM ({sql}) AS q ORDER BY 1"
    if connection.in_atomic_block:
        yield from _read_ahead(sql, params, chunk)
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield from rows


def _read_ahead(sql: str, params: Any, chunk: int) -> Iterable[tuple[Any, ...]]:
    """The rows of `sql`, streamed by a worker thread one or two chunks of `chunk` rows ahead of the
    caller (PostgreSQL, inside a transaction).

    The query is streamed (libpq's chunked rows, psycopg `stream(size=…)`: libpq 17 or later, which
    the pinned `psycopg[binary]` bundles), not fetched from a server-side cursor: PostgreSQL computes
    and sends the rows without waiting to be asked for the next chunk, so its aggregation runs on the
    other core while this process loads and files rows (a cursor's FETCH left the database idle while
    the worker loaded each chunk). A caller that stops early lets the worker read the rest of the
    result, so the transaction is left as it was (no cancelled statement)."""
    connection.ensure_connection()
    raw = connection.connection
    chunks: queue.Queue[list[tuple[Any, ...]] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            with raw.cursor() as cur:
                rows: list[tuple[Any, ...]] = []
                for row in cur.stream(sql, params, size=chunk):
                    if stop.is_set():
                        continue  # the caller stopped: read to the end, keep nothing
                    rows.append(row)
                    if len(rows) >= chunk:
                        chunks.put(rows)
                        rows = []
                if rows and not stop.is_set():
                    chunks.put(rows)
        except BaseException as exc:  # handed to the caller's thread
            chunks.put(exc)
        chunks.put(None)

    worker = threading.Thread(target=fetch, name="commission-rows", daemon=True)
    worker.start()
    try:
        while (rows := chunks.get()) is not None:
            if isinstance(rows, BaseException):
                with connection.wrap_database_errors:
                    raise rows
            yield from rows
    finally:
        stop.set()
        while worker.is_alive():  # a caller that stopped early: let the worker finish
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.05)
        worker.join()


def _period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return start_of_local_day(period), start_of_local_day(next_month(period))


def order_net_factors(
    order_ids: Iterable[int] | None = None, *, before: dt.date | None = None
) -> dict[int, Decimal]:
    """Per order: net sales / total after refunds and approved write-offs dated before `before`
    (K5 net sales; Q6 a write-off is negative sales). Only orders that have any are listed."""
    from crm.models import Order, Payment, PaymentKind, WriteOff, WriteOffStatus

    reductions: dict[int, Decimal] = defaultdict(lambda: ZERO)
    refunds = Payment.objects.filter(kind=PaymentKind.REFUND)
    writeoffs = WriteOff.objects.filter(status=WriteOffStatus.APPROVED)
    if before is not None:
        refunds = refunds.filter(received_on__lt=before)
        writeoffs = writeoffs.filter(approved_on__lt=before)
    if order_ids is not None:
        ids = list(order_ids)
        refunds = refunds.filter(order_id__in=ids)
        writeoffs = writeoffs.filter(order_id__in=ids)
    for oid, amount in refunds.values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"):
        reductions[oid] += -amount
    for oid, amount in writeoffs.values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"):
        reductions[oid] += amount
    if not reductions:
        return {}
    totals = dict(Order.objects.filter(pk__in=list(reductions)).values_list("pk", "total"))
    out = {}
    for oid, red in reductions.items():
        total = totals.get(oid) or ZERO
        out[oid] = ZERO if total <= 0 else max(ZERO, min(Decimal(1), (total - red) / total))
    return out


@dataclass
class _PeriodSlices:
    """The month's order lines aggregated per order (and category / K9 / K5 flags when a plan needs them),
    grouped by credit holder. Each slice is (share id, order id, user id, partner id, share, the
    aggregated SQL row, the holder's exact part of its money sums or None when the holder has 100%).
    Turning slices into calculator facts is left to `share_rows`, one payee at a time, so the month run
    can write a payee's lines while it builds the next payee's facts."""

    by_payee: dict[str, list[tuple[Any, ...]]]
    at: dict[str, int]  # column positions in the aggregated rows

    def share_rows(self, slices: list[tuple[Any, ...]]) -> list[_ShareRow]:
        """One payee's slices as one _ShareRow per credit share, in order-id order (split ties always
        break the same way), each with one LineFact per aggregated row."""
        at = self.at
        i_cat, i_below = at.get("category"), at.get("below")
        i_bfr, i_kac = at.get("order__below_floor_rate"), at.get("order__customer__key_account_class")
        i_cost, i_tax, i_log = at.get("cost_sum"), at.get("tax_sum"), at.get("log_sum")
        i_amount, i_qty = at["amount_sum"], at["qty_sum"]
        # This runs once per aggregated row of the month (1,000,000 when every category is a line of its
        # own): positional LineFact arguments, the column checks made once, one `ref` text per order.
        detailed = None not in (i_cat, i_below, i_bfr, i_kac, i_cost, i_tax, i_log)
        rows: dict[int, _ShareRow] = {}
        if detailed and (i_cat, i_below, i_bfr, i_kac, i_amount, i_qty, i_cost, i_tax, i_log) == (
            *range(1, 10),
        ):
            return self._detailed_rows(slices, rows)
        row: _ShareRow | None = None
        ref = ""
        for sid, oid, uid, pid, fraction, raw, parts, co in slices:
            if row is None or row.share_id != sid:
                row = rows.get(sid)
                if row is None:
                    row = rows[sid] = _ShareRow(
                        share_id=sid, order_id=oid, user_id=uid, partner_id=pid, share=fraction, co_holders=co
                    )
                ref = str(oid)
            if detailed:
                if parts is None:  # the common case: one holder, 100%
                    amount, cost, tax, logistics = raw[i_amount], raw[i_cost], raw[i_tax], raw[i_log]
                    cost = cost or ZERO
                    tax = tax or ZERO
                    logistics = logistics or ZERO
                else:
                    amount, cost, tax, logistics = parts
                row.lines.append(
                    LineFact(
                        raw[i_cat],
                        amount,
                        raw[i_qty] * fraction,
                        None,
                        cost,
                        tax,
                        logistics,
                        bool(raw[i_below]),
                        raw[i_bfr],
                        raw[i_kac] or "",
                        False,
                        ref,
                    )
                )
                continue
            if parts is None:
                amount = raw[i_amount]
                cost = (raw[i_cost] if i_cost is not None else None) or ZERO
                tax = (raw[i_tax] if i_tax is not None else None) or ZERO
                logistics = (raw[i_log] if i_log is not None else None) or ZERO
            else:
                amount, cost, tax, logistics = parts
            row.lines.append(
                LineFact(
                    category=raw[i_cat] if i_cat is not None else "",
                    amount=amount,
                    quantity=raw[i_qty] * fraction,
                    cost=cost,
                    tax=tax,
                    logistics=logistics,
                    below_floor=bool(raw[i_below]) if i_below is not None else False,
                    below_floor_rate=raw[i_bfr] if i_bfr is not None else None,
                    key_account_class=(raw[i_kac] if i_kac is not None else None) or "",
                    ref=ref,
                )
            )
        out = list(rows.values())
        for row in out:
            row.finish()
        return out

    @staticmethod
    def _detailed_rows(slices: list[tuple[Any, ...]], rows: dict[int, _ShareRow]) -> list[_ShareRow]:
        """`share_rows` when every row is detailed (category, K9, K5) in `_period_slices`' own column
        order: the same LineFacts, each row unpacked at once (this runs once per aggregated row, a
        million times in the per-category month)."""
        append: Any = None
        last = None
        ref = ""
        for sid, oid, uid, pid, fraction, raw, parts, co in slices:
            if sid != last:
                row = rows.get(sid)
                if row is None:
                    row = rows[sid] = _ShareRow(
                        share_id=sid, order_id=oid, user_id=uid, partner_id=pid, share=fraction, co_holders=co
                    )
                append = row.lines.append
                last = sid
                ref = str(oid)
            _oid, category, below, below_rate, klass, amount, qty, cost, tax, logistics = raw[:10]
            if parts is None:  # the common case: one holder, 100%
                cost = cost or ZERO
                tax = tax or ZERO
                logistics = logistics or ZERO
            else:
                amount, cost, tax, logistics = parts
            append(
                LineFact(
                    category,
                    amount,
                    qty * fraction,
                    None,
                    cost,
                    tax,
                    logistics,
                    bool(below),
                    below_rate,
                    klass or "",
                    False,
                    ref,
                )
            )
        out = list(rows.values())
        for row in out:
            row.finish()
        return out


def _primary(users: list[tuple[int, int | None, int | None, Decimal, str]]) -> int:
    """Index of the user holder in whose month a shared order's commission is computed: the owner (the
    account manager), else the largest share (ties: the earliest share)."""
    for i, h in enumerate(users):
        if h[4] == "owner":
            return i
    return max(range(len(users)), key=lambda i: (users[i][3], -i))


def _period_slices(
    period: dt.date,
    *,
    by_category: bool,
    user_id: int | None = None,
    payees: set[str] | None = None,
    categories: frozenset[str] | None = None,
    fingerprints: bool = False,
) -> _PeriodSlices:
    """All credit-share slices of the orders booked in `period`: order lines aggregated in SQL per order
    (and category / K9 / K5 flags when a plan needs them), then each money sum allocated exactly over the
    order's credit shares (`common.fen.allocate`), so the holders' bases add up to the order (P4).

    People who share an order (account manager and executive [002 §10], the parties of a collision
    split) share ONE commission: their part of the order counts in full in the primary holder's month
    (`_primary`: the account manager), and the commission it earns is then allocated over their shares
    (`ledger_run._allocate`) — so attaching an executive never changes what the order pays. A partner's
    referral share is the partner's own sales, priced by the partner's rebate plan.

    `user_id`: only orders that user holds a share of (the what-if estimator); `payees`: only orders
    held by these payees ("u<id>" / "p<id>": the K10 re-pricing of a closed month).

    `categories` — the categories the plans name, when no plan prices each category (`plan_categories`):
    an order's lines in the other categories are summed into one row with no category ("") — nothing
    tells them apart, and sums of money are exact — except below-floor lines (K9 prices each one), the
    lines of orders with a refund or write-off (their amounts are multiplied by the order's net factor
    line by line, which is not exact at 28 digits) and of orders a partner shares (split row by row).

    `fingerprints` — on PostgreSQL each aggregated row ends with the database's hash of it (`at`
    "fingerprint"), so the month run's inputs digest (`ledger_upsert.inputs_digest`) need not format
    a million rows in Python."""
    from crm.models import OrderLine
    from partners.models import CreditShare

    start, end = _period_bounds(period)
    in_period: dict[str, Any] = {"order__booked_at__gte": start, "order__booked_at__lt": end}
    if user_id is not None:  # one holder's slices only (the what-if estimator)
        in_period["order__credit_shares__user_id"] = user_id
    if payees is not None:
        held = Q(user_id__in=[int(k[1:]) for k in payees if k[0] == "u"]) | Q(
            partner_id__in=[int(k[1:]) for k in payees if k[0] == "p"]
        )
        in_period["order_id__in"] = CreditShare.objects.filter(held).values("order_id")
    shares: dict[int, list[tuple[int, int | None, int | None, Decimal, str]]] = defaultdict(list)
    for sid, oid, uid, pid, fraction, role in _raw_rows(
        CreditShare.objects.filter(**in_period)
        .order_by("order_id", "id")
        .values_list("id", "order_id", "user_id", "partner_id", "share", "role")
    ):
        shares[oid].append((sid, uid, pid, fraction, role))
    below = Case(
        When(Q(floor_price__gt=0) & Q(unit_price__lt=F("floor_price")), then=Value(True)),
        default=Value(False),
    )
    keys = ["order_id"]
    annotations: dict[str, Any] = {"amount_sum": Sum("amount"), "qty_sum": Sum("quantity")}
    qs = OrderLine.objects.filter(**in_period)
    if by_category:
        category: Any = "category"
        if categories is not None:
            from crm.models import Payment, PaymentKind, WriteOff

            kept_apart = Q(order_id__in=Payment.objects.filter(kind=PaymentKind.REFUND).values("order_id"))
            kept_apart |= Q(order_id__in=WriteOff.objects.values("order_id"))
            # A partner's part is split from each row (`allocate`): rows summed first would split otherwise.
            kept_apart |= Q(order_id__in=CreditShare.objects.filter(partner__isnull=False).values("order_id"))
            qs = qs.annotate(
                cat=Case(
                    When(
                        Q(category__in=categories)
                        | (Q(floor_price__gt=0) & Q(unit_price__lt=F("floor_price")))
                        | kept_apart,
                        then=F("category"),
                    ),
                    default=Value(""),
                    output_field=CharField(),
                )
            )
            category = "cat"
        qs = qs.annotate(below=below)
        keys += [category, "below", "order__below_floor_rate", "order__customer__key_account_class"]
        annotations |= {
            "cost_sum": Sum(ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=MONEY)),
            "tax_sum": Sum("tax"),
            "log_sum": Sum("logistics"),
        }
    at = {("category" if n == "cat" else n): i for i, n in enumerate([*keys, *annotations])}
    fingerprints = fingerprints and connection.vendor == "postgresql"
    if fingerprints:
        at["fingerprint"] = len(at)
    i_amount, i_cost, i_tax, i_log = (
        at["amount_sum"],
        at.get("cost_sum"),
        at.get("tax_sum"),
        at.get("log_sum"),
    )
    by_payee: dict[str, list[tuple[Any, ...]]] = defaultdict(list)

    def split(value: Decimal | None, fractions: list[Decimal]) -> list[Decimal]:
        if not value:
            return [ZERO] * len(fractions)
        return allocate(value, fractions)

    # This loop sees every order of the month (200,000 in the benchmark): it only files each row under
    # its holder (and splits the few shared orders); the facts are built later, payee by payee.
    rows = qs.values(*keys).annotate(**annotations).order_by("order_id")
    for raw in _raw_rows(rows, fingerprint=fingerprints):
        oid = raw[0]
        holders = shares.get(oid)
        if not holders:
            continue  # P4: an order without frozen credit shares pays nobody (yet)
        if len(holders) == 1 and holders[0][3] == 1:
            sid, uid, pid, fraction, _role = holders[0]
            by_payee[f"u{uid}" if uid else f"p{pid}"].append((sid, oid, uid, pid, fraction, raw, None, None))
            continue
        if all(h[1] is not None for h in holders):
            # People only (the usual shared order: account manager and executive). Their exact parts of
            # each sum would only be added up again into the primary holder's slice, and the parts of
            # `allocate` always add up to the whole rounded to the fen: take that whole directly.
            whole = (
                _fen_whole(raw[i_amount]),
                _fen_whole(raw[i_cost] if i_cost is not None else None),
                _fen_whole(raw[i_tax] if i_tax is not None else None),
                _fen_whole(raw[i_log] if i_log is not None else None),
            )
            if len(holders) == 1:
                sid, uid, pid, fraction, _role = holders[0]
                by_payee[f"u{uid}"].append((sid, oid, uid, pid, fraction, raw, whole, None))
                continue
            main = _primary(holders)
            ordered_holders = [holders[main], *(h for i, h in enumerate(holders) if i != main)]
            sid, uid, pid = ordered_holders[0][:3]
            co = tuple((h[0], h[1], h[3]) for h in ordered_holders)
            fraction = sum((h[3] for h in holders), ZERO)
            by_payee[f"u{uid}"].append((sid, oid, uid, pid, fraction, raw, whole, co))
            continue
        fractions = [h[3] for h in holders]
        parts = list(
            zip(
                split(raw[i_amount], fractions),
                split(raw[i_cost] if i_cost is not None else None, fractions),
                split(raw[i_tax] if i_tax is not None else None, fractions),
                split(raw[i_log] if i_log is not None else None, fractions),
                strict=True,
            )
        )
        users = [(h, part) for h, part in zip(holders, parts, strict=True) if h[1] is not None]
        for (sid, uid, pid, fraction, _role), part in zip(holders, parts, strict=True):
            if uid is None:  # a partner: its own part of the sales
                by_payee[f"p{pid}"].append((sid, oid, uid, pid, fraction, raw, part, None))
        if len(users) == 1:
            (sid, uid, pid, fraction, _role), part = users[0]
            by_payee[f"u{uid}"].append((sid, oid, uid, pid, fraction, raw, part, None))
        elif users:
            main = _primary([h for h, _part in users])
            ordered = [users[main], *(u for i, u in enumerate(users) if i != main)]
            (sid, uid, pid, _fraction, _role), _part = ordered[0]
            combined = tuple(sum((p[k] for _h, p in users), ZERO) for k in range(4))
            co = tuple((h[0], h[1], h[3]) for h, _p in ordered)
            fraction = sum((h[3] for h, _p in users), ZERO)
            by_payee[f"u{uid}"].append((sid, oid, uid, pid, fraction, raw, combined, co))
    return _PeriodSlices(by_payee=dict(by_payee), at=at)


def plan_categories(definitions: Iterable[dict[str, Any]]) -> frozenset[str] | None:
    """The categories these plans name (left out of a plan, margin-priced): `_period_slices` sums an
    order's lines in all other categories into one row. None — keep every category — when a plan prices
    each category (K4 category rates, K13 rebates: every category is a line of its own)."""
    named: set[str] = set()
    for d in definitions:
        named.update(d.get("excluded_categories", ()))
        for c in d.get("components", []):
            if c["type"] in ("category_rates", "rebate"):
                return None
            if c["type"] == "margin":
                named.update(c.get("categories", ()))
    return frozenset(named)


def _fen_whole(value: Decimal | None) -> Decimal:
    """What the exact parts of `value` (`common.fen.allocate`) add up to: `value` rounded to the fen
    (0.00 for none), as the same Decimal a sum of the parts gives."""
    return ZERO + round_fen(value) if value else ZERO


def _aggregate_period(period: dt.date, *, by_category: bool, user_id: int | None = None) -> list[_ShareRow]:
    """All credit-share slices of the month as facts (`_period_slices`, every payee at once)."""
    slices = _period_slices(period, by_category=by_category, user_id=user_id)
    return [row for group in slices.by_payee.values() for row in slices.share_rows(group)]


def _scaled(line: LineFact, factor: Decimal, uplift: bool) -> LineFact:
    return LineFact(
        category=line.category,
        amount=line.amount * factor,
        quantity=line.quantity,
        cost=line.cost * factor,
        tax=line.tax * factor,
        logistics=line.logistics * factor,
        below_floor=line.below_floor,
        below_floor_rate=line.below_floor_rate,
        key_account_class=line.key_account_class,
        key_account_uplift=uplift,
        ref=line.ref,
    )
