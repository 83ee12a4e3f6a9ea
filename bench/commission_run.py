"""Benchmark: one month's commission run over 1,000,000 order lines across 1,000 credit holders.

Creates its own PostgreSQL database (dropped at the end), generates the data in SQL, then times
  1. the floor: one bare SQL GROUP BY over the same rows (order lines × credit shares per holder);
  2. `commissions.services.ledger_run.ledger_recalculate(period=…)` end to end (sales_progressive for
     every rep);
  3. the same run again (idempotent: nothing to write);
  4. a run where every rep is on category_rates as well (per-category aggregation path).

Usage: `make bench-commissions` or `python bench/commission_run.py [--lines 1000000] [--holders 1000]
[--category-only] [--keep] [--reuse]` (PG at 127.0.0.1:5432, user postgres; override with
BENCH_PG=postgres://user@host:port; the database name with BENCH_DB=…).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

import psycopg
from sqlfill import fill_not_null  # bench/ is the script's own directory

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DBNAME = os.environ.get("BENCH_DB", "crm_bench_commission_run")  # own name when several people bench
PERIOD = dt.date(2026, 10, 1)


def admin_exec(sql: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def generate(n_lines: int, n_holders: int) -> dict[str, int]:
    from django.db import connection

    n_orders = n_lines // 5
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM auth_group WHERE name = 'rep'")
        rep_group = cur.fetchone()[0]
        c, v = fill_not_null(
            cur,
            "crm_user",
            [
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "display_name",
                "phone",
            ],
        )
        cur.execute(
            f"""INSERT INTO crm_user (password, is_superuser, username, first_name, last_name, email,
                    is_staff,
                    is_active, date_joined, display_name, phone{c})
                SELECT '!', false, 'bench' || g, '', '', '', false, true, now(), '销售' || g, ''{v}
                FROM generate_series(1, %s) g""",
            [n_holders],
        )
        cur.execute(
            "INSERT INTO crm_user_groups (user_id, group_id) "
            "SELECT id, %s FROM crm_user WHERE username LIKE 'bench%%'",
            [rep_group],
        )
        cur.execute("SELECT min(id) FROM crm_user WHERE username LIKE 'bench%%'")
        u0 = cur.fetchone()[0]
        c, v = fill_not_null(
            cur,
            "crm_customer",
            [
                "created_at",
                "updated_at",
                "name",
                "name_normalized",
                "credit_code",
                "contact_person",
                "contact_position",
                "phone",
                "status",
                "grade",
                "key_account_class",
                "address",
                "website",
                "source",
                "notes",
                "tags",
                "review_status",
                "review_reason",
                "owner_id",
            ],
        )
        cur.execute(
            f"""INSERT INTO crm_customer (created_at, updated_at, name, name_normalized, credit_code,
                    contact_person,
                    contact_position, phone, status, grade, key_account_class, address, website, source,
                        notes,
                    tags, review_status, review_reason, owner_id{c})
                SELECT now(), now(), '客户' || g, 'kh' || g, '', '张三', '经理',
                       '139' || lpad(g::text, 8, '0'),
                       'customer', 'B', CASE WHEN g %% 50 = 0 THEN 'core' ELSE '' END, '', '', '', '', '',
                       'approved', '', %s + (g %% %s){v}
                FROM generate_series(1, 20000) g""",
            [u0, n_holders],
        )
        cur.execute("SELECT min(id) FROM crm_customer")
        c0 = cur.fetchone()[0]
        c, v = fill_not_null(
            cur,
            "crm_order",
            ["created_at", "updated_at", "number", "customer_id", "owner_id", "booked_at", "total"],
        )
        cur.execute(
            f"""INSERT INTO crm_order (created_at, updated_at, number, customer_id, owner_id, booked_at,
                    total{c})
                SELECT now(), now(), 'B' || g, %s + (g %% 20000), %s + (g %% %s),
                       timestamptz '2026-10-01 09:00+08' + ((g %% 30) || ' days')::interval, 0{v}
                FROM generate_series(1, %s) g""",
            [c0, u0, n_holders, n_orders],
        )
        cur.execute("SELECT min(id) FROM crm_order")
        o0 = cur.fetchone()[0]
        c, v = fill_not_null(
            cur,
            "crm_orderline",
            [
                "order_id",
                "product",
                "category",
                "quantity",
                "list_price",
                "unit_price",
                "floor_price",
                "unit_cost",
                "tax",
                "logistics",
                "amount",
            ],
        )
        cur.execute(
            f"""INSERT INTO crm_orderline (order_id, product, category, quantity, list_price, unit_price,
                    floor_price, unit_cost, tax, logistics, amount{c})
                SELECT %s + (g / 5), '产品' || (g %% 7),
                       (ARRAY['regular','high_end','new_product','partner_referral','sourced'])[1 + g %% 5],
                       1 + g %% 3, p, p, 0, round(p * 0.6, 2), round(p * 0.06, 2), 5, (1 + g %% 3) * p{v}
                FROM (SELECT g,
                             round((100 + (g::bigint * 7919) %% 9900)::numeric + (g %% 100) / 100.0, 2) AS p
                      FROM generate_series(0, %s - 1) g) s""",
            [o0, n_lines],
        )
        cur.execute(
            """UPDATE crm_order o SET total = s.t FROM
               (SELECT order_id, sum(amount) t FROM crm_orderline GROUP BY order_id) s WHERE s.order_id
                   = o.id"""
        )
        # P4: owner 100%, or 70:30 with an account executive (another holder) on every 10th order.
        cur.execute(
            """INSERT INTO partners_creditshare (order_id, user_id, partner_id, role, share)
               SELECT id, owner_id, NULL, 'owner', CASE WHEN id %% 10 = 0 THEN 0.7 ELSE 1 END FROM
                   crm_order""",
            [],
        )
        cur.execute(
            """INSERT INTO partners_creditshare (order_id, user_id, partner_id, role, share)
               SELECT id, %s + ((owner_id - %s + 1) %% %s), NULL, 'executive', 0.3 FROM crm_order
               WHERE id %% 10 = 0""",
            [u0, u0, n_holders],
        )
        c, v = fill_not_null(
            cur,
            "crm_payment",
            [
                "created_at",
                "updated_at",
                "order_id",
                "kind",
                "amount",
                "received_on",
                "reference",
                "reason",
                "recorded_by_id",
            ],
        )
        cur.execute(
            f"""INSERT INTO crm_payment (created_at, updated_at, order_id, kind, amount, received_on,
                    reference,
                    reason, recorded_by_id{c})
                SELECT now(), now(), id, 'payment', total, date '2026-10-28', '', '', %s{v}
                FROM crm_order WHERE id %% 2 = 0""",
            [u0],
        )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM crm_orderline")
        lines = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT user_id) FROM partners_creditshare")
        holders = cur.fetchone()[0]
    return {"orders": n_orders, "lines": lines, "holders": holders}


def reset_ledger() -> dict[str, int]:
    """--reuse: the kept database as a first run finds it — no ledger lines, calculations, months or
    plans — and a checkpoint, so every run starts from the same state. The ledger's TRUNCATE guard
    (commissions/db.py) is a trigger: the bench's superuser session skips it (replica role)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute(
            "TRUNCATE commissions_commissionline, commissions_periodcalculation, commissions_planassignment, "
            "commissions_commissionplan, commissions_commissionperiod CASCADE"
        )
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("CHECKPOINT")
        cur.execute("SELECT count(*) FROM crm_orderline")
        lines = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM crm_order")
        orders = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT user_id) FROM partners_creditshare")
        holders = cur.fetchone()[0]
    return {"orders": orders, "lines": lines, "holders": holders}


class CpuClock:
    """CPU seconds of this process and of its PostgreSQL backend (Linux /proc): on a shared 2-core
    machine the wall clock depends on what else runs; the CPU each side spent much less so."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.backend = connection.connection.info.backend_pid
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self.read()

    def read(self) -> tuple[float, float]:
        fields = Path(f"/proc/{self.backend}/stat").read_text().rsplit(")", 1)[1].split()
        own = os.times()
        return own.user + own.system, (int(fields[11]) + int(fields[12])) / self.tick

    def lap(self) -> str:
        (p0, b0), (p1, b1) = self.start, self.read()
        self.start = (p1, b1)
        load = Path("/proc/loadavg").read_text().split()[0]
        return f"CPU: Python {p1 - p0:.2f} s, PostgreSQL backend {b1 - b0:.2f} s; load average {load}"


def floor_query() -> float:
    from django.db import connection

    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute(
            """SELECT s.user_id, sum(l.amount * s.share)
               FROM crm_orderline l JOIN crm_order o ON o.id = l.order_id
               JOIN partners_creditshare s ON s.order_id = o.id
               WHERE o.booked_at >= timestamptz '2026-10-01 00:00+08' AND o.booked_at < timestamptz
                   '2026-11-01 00:00+08'
               GROUP BY s.user_id"""
        )
        rows = cur.fetchall()
        elapsed = time.perf_counter() - t
    assert len(rows) > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--holders", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--skip-category", action="store_true", help="skip run 3 (category_rates path)")
    parser.add_argument(
        "--category-only",
        action="store_true",
        help="only what run 3 needs: the floor once, no run 2 (run 1 still writes the month it builds on)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a --keep run left (migrated, its ledger and plans emptied) instead of loading",
    )
    args = parser.parse_args()

    if not args.reuse:
        admin_exec(f"DROP DATABASE IF EXISTS {DBNAME} WITH (FORCE)")
        admin_exec(f"CREATE DATABASE {DBNAME}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DBNAME}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    try:
        call_command("migrate", verbosity=0)
        t = time.perf_counter()
        if args.reuse:
            counts = reset_ledger()
            print(f"reused {counts}: ledger, calculations, plans emptied ({time.perf_counter() - t:.1f} s)")
        else:
            counts = generate(args.lines, args.holders)
            print(f"generated {counts} in {time.perf_counter() - t:.1f} s")

        from commissions.models import CommissionLine, CommissionPlan, PlanAssignment
        from commissions.services.ledger_run import ledger_recalculate
        from tests.commissions.factories import plan_definition

        def install(name: str) -> None:
            d = plan_definition(name)
            plan = CommissionPlan.objects.create(
                code=d["code"],
                name=d["name"],
                effective_from=dt.date(2026, 1, 1),
                definition=d,
                published_at=timezone.now(),
            )
            PlanAssignment.objects.create(plan=plan, role="rep", starts_on=dt.date(2026, 1, 1))

        install("sales_progressive")
        floors = [floor_query() for _ in range(1 if args.category_only else 3)]
        best = f"{min(floors):.2f} s (best of {len(floors)})"
        print(f"floor: bare SQL GROUP BY over the month's lines × shares: {best}")

        cpu = CpuClock()
        t = time.perf_counter()
        run = ledger_recalculate(period=PERIOD)
        first = time.perf_counter() - t
        n = CommissionLine.objects.count()
        print(
            f"run 1 (sales_progressive): {first:.2f} s — {run.payees} payees, {run.created} lines created, "
            f"{run.made_payable} made payable, total ¥{run.total:,.2f}"
        )
        print(f"   phases (s): {run.timings}; commit: {first - sum(run.timings.values()):.2f}")
        print(f"   database busy writing and checking the new lines: {run.lines_db_seconds:.2f} s")
        print(f"   {cpu.lap()}")
        if not args.category_only:
            t = time.perf_counter()
            run2 = ledger_recalculate(period=PERIOD)
            second = time.perf_counter() - t
            assert CommissionLine.objects.count() == n and run2.created == 0 and run2.updated == 0
            print(f"run 2 (idempotent re-run, nothing to write): {second:.2f} s")
            print(f"   phases (s): {run2.timings}")
            print(f"   {cpu.lap()}")

        if args.skip_category:
            print(f"ratio run 1 / floor: {first / min(floors):.1f}×")
            return
        install("category_rates")
        cpu.lap()
        t = time.perf_counter()
        run3 = ledger_recalculate(period=PERIOD)
        third = time.perf_counter() - t
        print(
            f"run 3 (+ category_rates, per-category aggregation): {third:.2f} s — "
            f"{run3.created} lines created, "
            f"total ¥{run3.total:,.2f}"
        )
        print(f"   phases (s): {run3.timings}; commit: {third - sum(run3.timings.values()):.2f}")
        print(f"   database busy writing and checking the new lines: {run3.lines_db_seconds:.2f} s")
        print(f"   {cpu.lap()}")
        print(f"ratio run 1 / floor: {first / min(floors):.1f}×")
    finally:
        connection.close()
        if not args.keep and not args.reuse:
            admin_exec(f"DROP DATABASE IF EXISTS {DBNAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
