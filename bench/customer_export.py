"""Benchmark: the customer list's Excel export (issue 16) of 100,000 customers, beside its floor; with
`--list contracts` (orders, quotes, …) another list's export (`/lists/<list>/export/`) on a database
`bench-pipeline-lists --keep` left.

    make bench-customer-export                          # 100k customers, the president exports them all
    .venv/bin/python bench/customer_export.py --size 20000
    BENCH_DB=crm_bench .venv/bin/python bench/customer_export.py --reuse --who manager  # bench-list --keep

Builds the customer list's database (bench/customer_list.py) with `--size` customers and downloads
`/customers/export/?file=xlsx` in-process (Django test Client: middleware, session auth, the export
service with its scope and log, the query streamed in chunks, openpyxl write-only, the file response read to
the end). The floor writes the same rows (8 text cells each, from lists in memory, no database, no
application code) with openpyxl's write-only workbook. CPU time is the measure (the machine is shared); the
peak memory is tracemalloc's, in a separate run of each. Goal: constant memory (the peak does not grow with
the rows) and close to the floor. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable

import customer_list as base  # bench/ is the script's own directory; sets DATABASE_URL


def export_url(list_key: str) -> tuple[str, dict[str, str]]:
    if list_key == "customers":
        return "/customers/export/", {"file": "xlsx"}
    return f"/lists/{list_key}/export/", {}


def export_app(client, list_key: str = "customers") -> Callable[[], int]:  # type: ignore[no-untyped-def]
    path, params = export_url(list_key)

    def run() -> int:
        response = client.get(path, params)
        assert response.status_code == 200, response.status_code
        size = sum(len(chunk) for chunk in response.streaming_content)
        response.close()
        return size

    return run


def export_floor(rows: list[list[str]]) -> Callable[[], int]:
    def run() -> int:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title="客户")
        for row in rows:
            ws.append(row)
        with tempfile.TemporaryFile() as spool:
            wb.save(spool)
            return spool.tell()

    return run


def floor_rows(user) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The export's cells as plain strings, read once (not timed)."""
    from crm import policy

    rows = [["客户名称", "客户等级", "客户状态", "大区", "行业", "负责人", "联系人", "联系电话"]]
    qs = policy.customer_scope(user).select_related("owner", "region", "industry").order_by("id")
    for c in qs.iterator(chunk_size=2000):
        rows.append(
            [
                c.name,
                c.get_grade_display(),
                c.get_status_display(),
                str(c.region or ""),
                str(c.industry or ""),
                str(c.owner or ""),
                c.contact_person,
                c.phone,
            ]
        )
    return rows


def floor_rows_of_list(client, list_key: str) -> list[list]:  # type: ignore[no-untyped-def]
    """Another list's cells, read back from one export (not timed): the floor writes the same values."""
    import io

    from openpyxl import load_workbook

    path, params = export_url(list_key)
    response = client.get(path, params)
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def timed(fn: Callable[[], int]) -> tuple[float, float, int]:
    c0, w0 = time.process_time(), time.perf_counter()
    size = fn()
    return time.process_time() - c0, time.perf_counter() - w0, size


def peak_mb(fn: Callable[[], int]) -> float:
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--who", choices=("president", "manager"), default="president")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds of each (best is kept)")
    parser.add_argument(
        "--list",
        default="customers",
        choices=("customers", "contracts", "orders", "quotes", "leads", "opportunities", "contacts"),
        help="which list's export (the lists but customers need a bench-pipeline-lists --keep database)",
    )
    base.add_database_args(parser)
    args = parser.parse_args()
    try:
        base.open_database(args)
        from django.test import Client

        from common.models import ExportLog
        from crm.models import Customer

        if args.reuse:
            org = base.existing_org()
        else:
            org = base.build_org()
            secs = base.load(org, 1, args.size)
            base.analyze()
            print(f"== {args.size:,} customers loaded in {secs:.0f} s", flush=True)
        user = org["president"] if args.who == "president" else org["managers"][3]
        client = Client()
        client.force_login(user)
        rows = floor_rows(user) if args.list == "customers" else floor_rows_of_list(client, args.list)
        print(
            f"== {Customer.objects.count():,} customers; the {args.who} exports {len(rows) - 1:,} rows "
            f"of {args.list}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        app, floor = export_app(client, args.list), export_floor(rows)
        results: dict[str, list[tuple[float, float, int]]] = {"app": [], "floor": []}
        for _ in range(args.rounds):  # interleaved, so both see the same machine
            results["app"].append(timed(app))
            results["floor"].append(timed(floor))
        kind = "customer_list" if args.list == "customers" else f"list_{args.list}"
        logged = ExportLog.objects.filter(kind=kind).order_by("-id").first()
        peaks = {"app": peak_mb(app), "floor": peak_mb(floor)}
        print(f"   (load average after measuring: {os.getloadavg()[0]:.1f})")
        print()
        print("| run | rows | CPU s (best) | wall s (best) | file | peak memory |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, label in (
            ("app", "application export (DB → xlsx)"),
            ("floor", "floor: openpyxl write-only"),
        ):
            cpu = min(r[0] for r in results[name])
            wall = min(r[1] for r in results[name])
            size = results[name][0][2]
            print(
                f"| {label} | {len(rows) - 1:,} | {cpu:.2f} | {wall:.2f} | {size / 1e6:.1f} MB | "
                f"{peaks[name]:.1f} MB |"
            )
        app_cpu = min(r[0] for r in results["app"])
        floor_cpu = min(r[0] for r in results["floor"])
        print(
            f"\napp / floor CPU = {app_cpu / floor_cpu:.2f}×; "
            f"logged rows: {logged.rows if logged else None}; "
            f"the floor's {len(rows):,} input rows are built before its peak is traced"
        )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            base.admin_sql(f'DROP DATABASE IF EXISTS "{base.DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
