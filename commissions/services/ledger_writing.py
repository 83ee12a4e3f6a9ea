"""Ledger writing, the infrastructure under the ledger run and the clawbacks: new CommissionLine rows
inserted in bulk (on PostgreSQL streamed as COPY text by a worker thread, `_LineSink`) and open lines
updated in bulk (`lines_update`: COPY into a temporary table, one UPDATE … FROM it). No business rule
lives here: callers decide which lines to write; this module only writes them fast and never rewrites
a line that is no longer open (pending or payable)."""

from __future__ import annotations

import json
import queue
import threading
import time
from json.encoder import encode_basestring as _json_string
from typing import TYPE_CHECKING, Any, cast

from django.db import connection
from django.utils import timezone

from commissions.models import CommissionLine, LineKind, LineStatus, PeriodCalculation

if TYPE_CHECKING:
    from django.db.models import Field, JSONField

BATCH = 5000


EARNED_KINDS = (LineKind.EARNED, LineKind.REBATE)


# JSON as the ledger's COPY text writes it (compact, Chinese kept as is).
_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _explanation_text(explanation: dict[str, Any]) -> str:
    """A line's explanation as JSON text, the same as `_json_text` gives: the month run's explanations
    are flat objects of texts, encoded here key by key (once per new ledger line); anything else goes
    through the JSON encoder."""
    parts = []
    for key, value in explanation.items():
        if type(value) is not str or type(key) is not str:
            return _json_text(explanation)
        parts.append(f"{_json_string(key)}:{_json_string(value)}")
    return "{" + ",".join(parts) + "}"


class EarnedLineText:
    """The COPY text of the month run's explanation of a line held alone — {"calculation", "share",
    "order_base"[, "net_factor"][, "note", "note_words"]}, the same JSON text as `_explanation_text`
    gives — from parts worked out once per calculation and component: a new line only fills in its
    share, its order's base and its net factor, each a Decimal's text (digits, sign, point, exponent:
    nothing JSON or COPY escapes)."""

    __slots__ = ("head", "tail")

    def __init__(self, calculation: str, note: str = "", note_words: dict[str, Any] | None = None) -> None:
        self.head = '{"calculation":' + _copy_text(_json_string(calculation)) + ',"share":"'
        tail = ""
        if note:
            tail = ',"note":' + _json_string(note) + ',"note_words":' + _json_text(note_words)
        self.tail = _copy_text(tail) + "}"

    def text(self, share: str, order_base: str, net_factor: str | None) -> str:
        if net_factor is None:
            return f'{self.head}{share}","order_base":"{order_base}"{self.tail}'
        return f'{self.head}{share}","order_base":"{order_base}","net_factor":"{net_factor}"{self.tail}'


LINE_COLUMNS = (
    "source_key",
    "period",
    "kind",
    "status",
    "payee_user_id",
    "payee_partner_id",
    "order_id",
    "credit_share_id",
    "plan_id",
    "component",
    "category",
    "base",
    "rate",
    "amount",
    "explanation",
    "corrects_id",
    "reason",
)


def _line_row(x: CommissionLine) -> tuple[Any, ...]:
    return tuple(getattr(x, c) for c in LINE_COLUMNS)


def lines_insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert new ledger lines (tuples in LINE_COLUMNS order) in bulk (see `_LineSink`)."""
    with _LineSink() as sink:
        for r in rows:
            sink.add(r)
        sink.close()


def lines_update(lines: list[CommissionLine], fields: list[str]) -> None:
    """Write `fields` of open (pending/payable) lines in bulk; a line settled meanwhile is never rewritten
    (the status is part of the UPDATE's WHERE). On PostgreSQL: COPY into a temporary table and one
    UPDATE … FROM it (Django's bulk_update builds a CASE per row: minutes for 100,000 lines)."""
    if not lines:
        return
    writable = CommissionLine.objects.filter(status__in=[LineStatus.PENDING, LineStatus.PAYABLE])
    if connection.vendor != "postgresql":
        writable.bulk_update(lines, fields, batch_size=1000)
        return
    model_fields = [cast("Field[Any, Any]", CommissionLine._meta.get_field(name)) for name in fields]
    columns: list[str] = [f.column for f in model_fields]
    types = [f.db_type(connection) for f in model_fields]
    table = CommissionLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE _cline_update (id bigint PRIMARY KEY, "
            + ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
            + ") ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY _cline_update (id, {', '.join(columns)}) FROM STDIN") as copy:
            for i in range(0, len(lines), 5000):
                copy.write(
                    "".join(
                        "\t".join(
                            [
                                str(x.pk),
                                *(
                                    "\\N"
                                    if (v := getattr(x, c)) is None
                                    else _copy_text(_json_text(v) if isinstance(v, dict) else str(v))
                                    for c in columns
                                ),
                            ]
                        )
                        + "\n"
                        for x in lines[i : i + 5000]
                    )
                )
        cursor.execute(
            f"UPDATE {table} AS l SET updated_at = now(), "
            + ", ".join(f"{c} = u.{c}" for c in columns)
            + " FROM _cline_update AS u WHERE l.id = u.id AND l.status IN (%s, %s)",
            [LineStatus.PENDING.value, LineStatus.PAYABLE.value],
        )
        cursor.execute("DROP TABLE _cline_update")


def calculations_update(calcs: list[PeriodCalculation]) -> None:
    """Write the plan, sales, total and result of these month calculations (by pk) in one statement on
    PostgreSQL — an UPDATE from arrays: Django's bulk_update builds a CASE per row and field, ≈ 0.5 s
    for the 1,000 calculations of the benchmark month — elsewhere with bulk_update."""
    if not calcs:
        return
    if connection.vendor != "postgresql":
        PeriodCalculation.objects.bulk_update(calcs, ["plan", "sales", "total", "result"], batch_size=500)
        return
    encoder = cast("JSONField[Any]", PeriodCalculation._meta.get_field("result")).encoder
    table = PeriodCalculation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET plan_id = u.plan_id, sales = u.sales, total = u.total, "
            "result = u.result FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[], "
            "%s::jsonb[]) AS u (id, plan_id, sales, total, result) WHERE c.id = u.id",
            [
                [c.pk for c in calcs],
                [c.plan_id for c in calcs],
                [c.sales for c in calcs],
                [c.total for c in calcs],
                [json.dumps(c.result, cls=encoder) for c in calcs],
            ],
        )


class _LineSink:
    """New ledger lines (tuples in LINE_COLUMNS order), written in bulk.

    On PostgreSQL the rows are formatted as COPY text in chunks and each chunk is one COPY, run by a
    worker thread on this transaction's connection while the caller computes the next rows: the
    database parses, indexes and checks them on the other core meanwhile. Each COPY is one statement, so
    the checks of the lines' payee, plan and (share, order) run once per chunk, right after it
    (`commissions.db.LEDGER_KEYS_SQL`); the ledger's remaining foreign keys (partner, corrected line)
    are set IMMEDIATE for the duration, so theirs run then too rather than all at commit — the same
    checks, in the same transaction. The caller
    must not use the connection between the first `add` and `close` (the month run only computes then).
    Elsewhere: one bulk_create at `close`."""

    CHUNK = 10000

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.buffer: list[Any] = []
        self.queue: queue.Queue[str | None] | None = None
        self.worker: threading.Thread | None = None
        self.error: BaseException | None = None
        self.constraints: list[str] = []
        self.closed = False
        self.now = timezone.now().isoformat()
        self.busy = 0.0  # seconds the database spent on the COPYs and their key checks (README)

    def __enter__(self) -> _LineSink:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.worker is not None:  # an error in the caller: stop the worker before the rollback
            assert self.queue is not None
            self.queue.put(None)
            self.worker.join()
            self.worker = None

    def add(self, row: tuple[Any, ...], explanation_text: str | None = None) -> None:
        """`explanation_text`: the explanation (row[14]) as COPY text already, when the caller has it."""
        self.buffer.append(_copy_line(self.now, row, explanation_text) if self.postgres else row)
        if self.postgres and len(self.buffer) >= self.CHUNK:
            self._send()

    def _send(self) -> None:
        if self.worker is None:
            self._start()
        self._raise()
        assert self.queue is not None
        self.queue.put("\n".join(self.buffer) + "\n")
        self.buffer = []

    def _raise(self) -> None:
        """The worker's error, if any, as Django's (IntegrityError, …) like any other query's."""
        if self.error is not None:
            with connection.wrap_database_errors:
                raise self.error

    def _start(self) -> None:
        table = CommissionLine._meta.db_table
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' "
                "AND condeferrable ORDER BY conname",
                [table],
            )
            self.constraints = [connection.ops.quote_name(name) for (name,) in cursor.fetchall()]
            if self.constraints:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} IMMEDIATE")
        raw = connection.connection
        sql = f"COPY {table} (created_at, updated_at, {', '.join(LINE_COLUMNS)}) FROM STDIN"
        self.queue = queue.Queue(maxsize=4)
        work = self.queue

        def run() -> None:
            while (chunk := work.get()) is not None:
                if self.error is not None:
                    continue  # drain: the caller raises at its next send or at close
                began = time.perf_counter()
                try:
                    with raw.cursor() as cur, cur.copy(sql) as copy:
                        copy.write(chunk)
                except BaseException as exc:  # handed to the caller's thread
                    self.error = exc
                self.busy += time.perf_counter() - began

        self.worker = threading.Thread(target=run, name="ledger-copy", daemon=True)
        self.worker.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.postgres:
            if self.buffer:
                CommissionLine.objects.bulk_create(
                    [CommissionLine(**dict(zip(LINE_COLUMNS, r, strict=True))) for r in self.buffer],
                    batch_size=BATCH,
                )
            return
        if self.buffer:
            self._send()
        if self.worker is not None:
            assert self.queue is not None
            self.queue.put(None)
            self.worker.join()
            self.worker = None
        self._raise()
        if self.constraints:
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} DEFERRED")


def _copy_line(now: str, row: tuple[Any, ...], explanation_text: str | None = None) -> str:
    """One row (LINE_COLUMNS order) as a line of COPY text, after created_at and updated_at (both `now`).
    Unrolled per column: this runs once per new ledger line."""
    (key, period, kind, status, uid, pid, oid, sid, plan, comp, cat, base, rate, amount, exp, fix, reason) = (
        row
    )
    n = "\\N"
    if explanation_text is None:
        explanation_text = _copy_text(_explanation_text(exp))
    return (
        f"{now}\t{now}\t{_copy_text(key)}\t{period}\t{kind!s}\t{status!s}\t"
        f"{n if uid is None else uid}\t{n if pid is None else pid}\t{n if oid is None else oid}\t"
        f"{n if sid is None else sid}\t{n if plan is None else plan}\t{_copy_text(comp)}\t{_copy_text(cat)}\t"
        f"{base}\t{n if rate is None else rate}\t{amount}\t{explanation_text}\t"
        f"{n if fix is None else fix}\t{_copy_text(reason)}"
    )


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value
