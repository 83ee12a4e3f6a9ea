"""Benchmark: the header's global search (issue 16) at 1,000,000 customers (PostgreSQL).

    make bench-search                                  # 1M customers
    .venv/bin/python bench/global_search.py --size 100000 --requests 20 --keep
    BENCH_DB=crm_bench .venv/bin/python bench/global_search.py --reuse   # on a database bench-list kept

Builds the customer list's database (bench/customer_list.py: 100 reps in 10 teams, customers with one
contact and two follow-ups each) and adds opportunities (one per 5 customers), contracts (one per 10) and
orders (one per 5), then times in-process (Django test Client: routing, middleware, session auth, SQL,
template) `/search/?q=…` for a rep, a sales manager (a team of 10 reps) and the president: a common name
(`星河瑞丰`, ~6,000 customers at 1M), a rare one (`98765`), a phone number and a contract number. The floor
is the same SQL the search runs (captured from one request and replayed on a cursor), with no Python around
it. Goal: p95 < 200 ms. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import customer_list as base  # bench/ is the script's own directory; sets DATABASE_URL
from sqlfill import fill_not_null

TERMS = [
    ("common name", "星河瑞丰"),
    ("rare name", "98765"),
    ("phone", "13000098765"),
    ("contract number", "HT0012345"),
]


def add_pipeline(size: int) -> float:
    """Opportunities, contracts and orders on the customers already loaded (skipped when present)."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM crm_opportunity)")
        if cur.fetchone()[0]:
            return 0.0
        cur.execute("SET synchronous_commit = off")
        given = ["created_at", "updated_at", "name", "stage", "amount", "competitors", "registered_at"]
        given += ["close_reason", "customer_id", "owner_id"]
        cols, vals = fill_not_null(cur, "crm_opportunity", given)
        cur.execute(
            f"""INSERT INTO crm_opportunity (created_at, updated_at, name, stage, amount, competitors,
                registered_at, close_reason, customer_id, owner_id{cols})
            SELECT now(), now(), c.name || '采购项目', 'qualified', 50000, '', now(), '', c.id,
                c.owner_id{vals}
            FROM crm_customer c WHERE c.id %% 5 = 0 AND c.id <= %s""",
            [size],
        )
        given = ["created_at", "updated_at", "number", "title", "amount", "standard_template", "status"]
        given += ["owner_id", "customer_id"]
        cols, vals = fill_not_null(cur, "crm_contract", given)
        cur.execute(
            f"""INSERT INTO crm_contract (created_at, updated_at, number, title, amount, standard_template,
                status, owner_id, customer_id{cols})
            SELECT now(), now(), 'HT' || lpad(c.id::text, 7, '0'), '年度服务合同', 80000, true, 'signed',
                c.owner_id, c.id{vals}
            FROM crm_customer c WHERE c.id %% 10 = 5 AND c.id <= %s""",
            [size],
        )
        given = ["created_at", "updated_at", "number", "booked_at", "total", "status", "customer_id"]
        given += ["owner_id"]
        cols, vals = fill_not_null(cur, "crm_order", given)
        cur.execute(
            f"""INSERT INTO crm_order (created_at, updated_at, number, booked_at, total, status, customer_id,
                owner_id{cols})
            SELECT now(), now(), 'SO' || lpad(c.id::text, 8, '0'), now(), 20000, 'booked', c.id,
                c.owner_id{vals}
            FROM crm_customer c WHERE c.id %% 5 = 2 AND c.id <= %s""",
            [size],
        )
        for table in ("crm_opportunity", "crm_contract", "crm_order"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("CHECKPOINT")
    return time.perf_counter() - t0


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[math.ceil(0.95 * len(values)) - 1]  # nearest rank


def search_sql(user, q: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQL the search itself runs for this user and term (as executed, parameters inlined)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm import policy
    from crm.search import global_search

    scope = policy.search_scope(user)
    global_search(scope=scope, q=q)  # warm the user object's caches (roles, team)
    with CaptureQueriesContext(connection) as ctx:
        global_search(scope=scope, q=q)
    return [c["sql"] for c in ctx.captured_queries]


def floor_ms(statements: list[str], n: int) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cur:
        for _ in range(n + 2):
            t0 = time.perf_counter()
            for sql in statements:
                cur.execute(sql)
                cur.fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    return p95(times[2:])


def measure(client, q: str, n: int) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        assert client.get("/search/", {"q": q}).status_code == 200
    times, sql, queries, hits = [], [], set(), 0
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get("/search/", {"q": q})
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        queries.add(len(ctx.captured_queries))
        sql.append(sum(float(c["time"]) for c in ctx.captured_queries) * 1000)
        hits = sum(len(g.hits) for g in response.context["groups"])
    return {
        "median": statistics.median(times),
        "p95": p95(times),
        "sql": statistics.median(sql),
        "queries": sorted(queries),
        "hits": hits,
    }


def open_pipeline_database(args: argparse.Namespace) -> tuple[dict, int]:
    """Open the bench database (`--reuse`: as a kept run left it; else built anew with `--size` customers),
    add the pipeline, build the search indexes and analyse; returns the org and the number of customers.
    Shared by this bench and bench/pipeline_lists.py."""
    base.open_database(args)
    from crm.models import Customer
    from crm.signals import ensure_search_indexes

    if args.reuse:
        org = base.existing_org()
        size = Customer.objects.count()
    else:
        org = base.build_org()
        size = args.size
        secs = base.load(org, 1, size)
        print(f"== {size:,} customers with a contact and 2 follow-ups each: {secs:.0f} s", flush=True)
    secs = add_pipeline(size)
    ensure_search_indexes()
    base.analyze()
    print(
        f"== {size:,} customers, pipeline added in {secs:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        flush=True,
    )
    return org, size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    base.add_database_args(parser)
    args = parser.parse_args()
    try:
        org, size = open_pipeline_database(args)
        from django.test import Client

        rows = []
        who = {"rep": org["reps"][3], "manager": org["managers"][3], "president": org["president"]}
        for role, user in who.items():
            client = Client()
            client.force_login(user)
            for label, q in TERMS:
                r = measure(client, q, args.requests)
                r["floor"] = floor_ms(search_sql(user, q), args.requests)
                r.update(role=role, label=label, q=q)
                rows.append(r)
                print(
                    f"{role:<9} {label:<16} median {r['median']:6.1f} ms  p95 {r['p95']:6.1f} ms  "
                    f"(SQL {r['sql']:5.1f} ms; floor p95 {r['floor']:5.1f} ms)  queries {r['queries']}  "
                    f"hits {r['hits']}",
                    flush=True,
                )
        print(f"   (load average after measuring: {os.getloadavg()[0]:.1f})")
        print()
        print(
            "| customers | who | term | median ms | p95 ms | SQL (median) ms | floor p95 ms | queries "
            "| hits |"
        )
        print("|---:|---|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            q = "/".join(str(x) for x in r["queries"])
            print(
                f"| {size:,} | {r['role']} | {r['label']} (`{r['q']}`) | {r['median']:.1f} | "
                f"{r['p95']:.1f} | {r['sql']:.1f} | {r['floor']:.1f} | {q} | {r['hits']} |"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            base.admin_sql(f'DROP DATABASE IF EXISTS "{base.DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
