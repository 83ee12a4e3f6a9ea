"""Benchmark S6: export a month with 100,000 settlement lines across 1,000 payees.

    make bench-export            (or: python bench/settlement_export.py [--lines 100000 --payees 1000])

Builds the month in its own database (default: SQLite file var/bench_export.sqlite3; set DATABASE_URL for
PostgreSQL), then measures, each in a fresh run:
  * the application export (settlements.export.export_month: DB read + layout + openpyxl write-only),
  * floor A: openpyxl write-only writing exactly the same sheets, rows, values and styles from plain
    Python lists already in memory (no database, no application code),
  * floor B: the reference floor — openpyxl write-only, one sheet, N rows × 10 plain cells.
Time is wall-clock without tracing; peak memory is tracemalloc's peak in a separate, traced run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench_export.sqlite3'}")
(ROOT / "var").mkdir(exist_ok=True)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

MONTH = dt.date(2026, 9, 1)
CATEGORIES = ["regular", "high_end", "new_product", "家庭教育门票", "学生特训营"]


def build(lines: int, payees: int) -> None:
    from commissions.models import CommissionLine, LineStatus
    from crm.models import User
    from settlements.models import Settlement, SettlementLine
    from settlements.services.generation import settlement_generate

    if SettlementLine.objects.filter(settlement__month=MONTH).count() == lines:
        print(f"data: reusing {lines} lines", flush=True)
        return
    SettlementLine.objects.all().delete()
    Settlement.objects.all().delete()
    CommissionLine.objects.all().delete()
    users = [
        User(username=f"bench{i:05d}", display_name=f"收款人{i:05d}", phone=f"139{i:08d}")
        for i in range(payees)
    ]
    User.objects.bulk_create(users, ignore_conflicts=True)
    ids = list(User.objects.filter(username__startswith="bench").order_by("id").values_list("id", flat=True))
    batch = []
    t = time.perf_counter()
    for n in range(lines):
        base = Decimal(1000 + (n * 37) % 90000) + Decimal(n % 100) / 100
        batch.append(
            CommissionLine(
                payee_user_id=ids[n % payees],
                period=MONTH,
                status=LineStatus.PAYABLE,
                category=CATEGORIES[n % len(CATEGORIES)],
                base=base,
                rate=Decimal("0.05"),
                amount=(base * Decimal("0.05")).quantize(Decimal("0.01")),
                component="category_rate",
                explanation={"text": "K4 5%"},
                source_key=f"bench:{n}",
            )
        )
        if len(batch) == 5000:
            CommissionLine.objects.bulk_create(batch)
            batch = []
    CommissionLine.objects.bulk_create(batch)
    print(f"data: {lines} ledger lines in {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    result = settlement_generate(month=MONTH)
    print(
        f"generate: {result.created} settlements, {result.lines_added} lines"
        f" in {time.perf_counter() - t:.1f}s"
    )


def app_export(out: str) -> int:
    from settlements.export import export_month

    return export_month(month=MONTH, out=out, unmasked=True)


def floor_same_cells(out: str, rows: list) -> None:
    """Floor A: the same workbook from in-memory lists — no DB, no application logic."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Border, Side

    from settlements.export import CNY_FORMAT, QTY_FORMAT

    box = Border(*(Side(style="thin"),) * 4)

    def boxed(ws, fmt=None):  # type: ignore[no-untyped-def]
        c = WriteOnlyCell(ws)
        c.border = box
        if fmt:
            c.number_format = fmt
        return c

    wb = Workbook(write_only=True)
    summary, sheets = rows
    ws = wb.create_sheet("结算信息一览表")
    proto = [boxed(ws, CNY_FORMAT) for _ in range(29)]
    for _ in range(4):
        ws.append(["title"] + [None] * 28)
    for r in summary:  # the form's 29 bordered cells per row
        for c, v in zip(proto, r, strict=True):
            c.value = v
        ws.append(proto)
    for title, lines in sheets:
        ws = wb.create_sheet(title)
        qty = WriteOnlyCell(ws)
        qty.number_format = QTY_FORMAT
        cells = []
        for _ in range(3):
            c = WriteOnlyCell(ws)
            c.number_format = CNY_FORMAT
            cells.append(c)
        block = [boxed(ws), boxed(ws, QTY_FORMAT)] + [boxed(ws, CNY_FORMAT) for _ in range(3)] + [boxed(ws)]
        for _ in range(6):  # title, payee block, 销售信息, column headers: bordered like the form
            for c, v in zip(block, ["header", "x", "y", "z", "w", "v"], strict=True):
                c.value = v
            ws.append(block)
        fixed, lines = lines
        for row in fixed:  # the five fixed K13 category rows
            for c, v in zip(block, row, strict=True):
                c.value = v
            ws.append(block)
        for category, q, price, amount, rebate, desc in lines:
            qty.value = q
            cells[0].value = price
            cells[1].value = amount
            cells[2].value = rebate
            ws.append([category, qty, cells[0], cells[1], cells[2], desc])
        for _ in range(14):  # totals, ticket account, bank, signature boxes: bordered
            for c, v in zip(block, ["footer", None, None, None, "=SUM(E6:E10)", None], strict=True):
                c.value = v
            ws.append(block)
    wb.save(out)


def floor_reference(out: str, n: int) -> None:
    """Floor B: N rows × 10 plain cells in one write-only sheet (the reference the issue quotes)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("floor")
    row = [
        "类别",
        Decimal("12"),
        Decimal("330.00"),
        Decimal("3960.00"),
        Decimal("198.00"),
        "说明",
        1,
        2,
        3,
        4,
    ]
    for _ in range(n):
        ws.append(row)
    wb.save(out)


def materialise() -> tuple[list, list]:
    from settlements.export import _FIXED_KEY, FIXED_CATEGORIES
    from settlements.models import Settlement, SettlementLine

    summary = [
        [s.payee_name, s.payee_category, s.line_total, s.prior_balance, s.current_balance] + [None] * 24
        for s in Settlement.objects.filter(month=MONTH).order_by("payee_name", "id")
    ]
    sheets: dict[int, tuple[dict, list]] = {}
    names = dict(Settlement.objects.filter(month=MONTH).values_list("id", "payee_name"))
    for sid, *rest in SettlementLine.objects.filter(settlement__month=MONTH).values_list(
        "settlement_id", "category", "quantity", "unit_price", "amount", "rebate", "description"
    ):
        fixed, lines = sheets.setdefault(sid, ({}, []))
        code = _FIXED_KEY.get(rest[0])
        if code is None:
            lines.append(tuple(rest))
        else:  # the same five aggregated rows the export writes
            agg = fixed.setdefault(code, [Decimal(0), Decimal(0), Decimal(0)])
            agg[0] += rest[1]
            agg[1] += rest[3]
            agg[2] += rest[4]
    out = []
    for sid, (fixed, lines) in sheets.items():
        rows = [[label, *fixed.get(code, [0, 0, 0]), None, None] for code, label in FIXED_CATEGORIES]
        out.append((names[sid][:31], (rows, lines)))
    return summary, out


def timed(fn, *args) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """(CPU seconds, wall seconds, file size). CPU time is the fair measure on a shared machine; with
    SQLite the database work runs in this process, so it is counted too."""
    gc.collect()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        wall, cpu = time.perf_counter(), time.process_time()
        fn(f.name, *args)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu, wall, os.path.getsize(f.name)


def traced_peak(fn, *args) -> float:  # type: ignore[no-untyped-def]
    gc.collect()
    tracemalloc.start()
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
        fn(f.name, *args)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--payees", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved timing rounds; the best is kept")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    build(args.lines, args.payees)
    labels = [
        "application export (DB -> xlsx)",
        "floor A: same cells, no DB / app code",
        f"floor B: {args.lines} rows x 10 plain cells",
    ]

    def run(i: int, measure):  # type: ignore[no-untyped-def]
        if i == 0:
            return measure(app_export)
        if i == 1:
            data = materialise()  # held only while floor A runs, so it never slows the others' GC
            try:
                return measure(floor_same_cells, data)
            finally:
                del data
        return measure(floor_reference, args.lines)

    # The machine is shared: runs alternate (app, A, B, app, A, B, …) and the fastest of each is kept.
    best: dict[int, tuple[float, float, int]] = {}
    for _ in range(args.rounds):
        for i in range(3):
            result = run(i, timed)
            if i not in best or result[0] < best[i][0]:
                best[i] = result
    print(f"export of {args.lines} lines / {args.payees} payees (+ summary sheet), best of {args.rounds}:")
    peaks = {}
    for i, label in enumerate(labels):
        peaks[i] = run(i, traced_peak)
        cpu, wall, size = best[i]
        print(
            f"{label:<40} cpu {cpu:6.1f} s  wall {wall:6.1f} s  peak {peaks[i]:6.1f} MB"
            f"  file {size / 1e6:4.1f} MB",
            flush=True,
        )
    print(
        f"ratio (cpu): app / floor A = {best[0][0] / best[1][0]:.2f}x,"
        f" app / floor B = {best[0][0] / best[2][0]:.2f}x"
    )
    print(f"peak memory: app {peaks[0]:.1f} MB (goal < 100 MB; floor A's figure includes its input lists)")


if __name__ == "__main__":
    main()
