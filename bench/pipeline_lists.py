"""Benchmark: the contacts list and the opportunities list (page and API) at 1,000,000 customers (PostgreSQL).

    BENCH_DB=crm_bench .venv/bin/python bench/pipeline_lists.py            # builds 1M customers
    .venv/bin/python bench/pipeline_lists.py --size 100000 --requests 10 --keep
    BENCH_DB=crm_bench .venv/bin/python bench/pipeline_lists.py --reuse    # on a database a run kept

Builds the customer list's database (bench/customer_list.py: 100 reps in 10 teams, customers with one
contact and two follow-ups each) plus the global search's pipeline (bench/global_search.py: an opportunity
per 5 customers, a contract per 10, an order per 5), then times in-process (Django test Client: routing,
middleware, session auth, SQL, template or serializer; no network) `/contacts/`, `/api/contacts/`,
`/opportunities/?view=list` and `/api/opportunities/` for a rep (1 % of the book) and a sales manager
(a team of 10 reps, 10 %): the first page, a sorted page, the page a saved filter (场景) opens, and a
search. The page shows its total; the API is asked for it (`with_total=1`). Goal: p95 < 100 ms with the
same number of queries at any size. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import customer_list as base  # bench/ is the script's own directory; sets DATABASE_URL
from global_search import open_pipeline_database

# (list, page path, API path, page's own params, [(variant, params, saved filter?)])
LISTS = [
    (
        "contacts",
        "/contacts/",
        "/api/contacts/",
        {},
        [
            ("first page", {}, False),
            ("sorted by name", {"sort": "name"}, False),
            ("saved filter", {"role": "decision_maker", "sort": "-created"}, True),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        "opportunities",
        "/opportunities/",
        "/api/opportunities/",
        {"view": "list"},
        [
            ("first page", {}, False),
            ("sorted by amount", {"sort": "-amount"}, False),
            ("saved filter", {"stage": "qualified", "sort": "-registered"}, True),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
]


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[math.ceil(0.95 * len(values)) - 1]  # nearest rank


def measure(client, path: str, params: dict, n: int) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm-up (connection, caches)
        assert client.get(path, params).status_code == 200
    times, sql_times, queries, rows, total = [], [], set(), 0, None
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(path, params)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
        queries.add(len(ctx.captured_queries))
        sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        if response.context:
            rows, t = len(response.context["rows"]), response.context["total"]
            total = f"{'~' if t.estimated else ''}{t.value:,}"
        else:
            body = response.json()
            rows = len(body["results"])
            total = f"{'~' if body.get('total_estimated') else ''}{body.get('total', 0):,}"
    return {
        "median": statistics.median(times),
        "p95": p95(times),
        "sql": statistics.median(sql_times),
        "queries": sorted(queries),
        "rows": rows,
        "total": total,
    }


def saved_filter(user, list_key: str, params: dict) -> None:  # type: ignore[no-untyped-def]
    """The user's saved filter (场景) with these parameters: the page lists it, and opening it is the page
    with its query (the link the page shows)."""
    from urllib.parse import urlencode

    from common.list_preferences import saved_filter_create
    from common.models import SavedListFilter
    from crm.lists import LIST_SPECS

    SavedListFilter.objects.filter(owner=user, list_key=list_key).delete()
    saved_filter_create(
        user=user,
        spec=LIST_SPECS[list_key],
        name="本月重点",
        query=urlencode(params),
        shared=False,
        may_share=False,
    )


def run(org: dict, size: int, n: int) -> list[dict]:
    from django.test import Client

    results = []
    # The first rep of team 0 owns the customers with id % 100 == 0: every one has an opportunity
    # (id % 5 == 0), 10,000 in all; their manager's team holds 20,000 of the 200,000.
    who = {"rep": org["reps"][0], "manager": org["managers"][0]}
    for role, user in who.items():
        client = Client()
        client.force_login(user)
        for list_key, page_path, api_path, own, variants in LISTS:
            for label, params, saved in variants:
                if saved:
                    saved_filter(user, list_key, params)
                for kind, path, p in (
                    ("page", page_path, {**own, **params}),
                    ("API", api_path, {**params, "with_total": "1"}),
                ):
                    r = measure(client, path, p, n)
                    r.update(size=size, role=role, list=list_key, kind=kind, variant=label)
                    results.append(r)
                    print(
                        f"{size:>9,} {role:<8} {list_key:<13} {kind:<4} {label:<16} median "
                        f"{r['median']:6.1f} ms  p95 {r['p95']:6.1f} ms  (SQL {r['sql']:5.1f} ms)  "
                        f"queries {r['queries']}  rows {r['rows']}  total {r['total']}",
                        flush=True,
                    )
    return results


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
        rows = run(org, size, args.requests)
        print(f"   (load average after measuring: {os.getloadavg()[0]:.1f})")
        print()
        print("| customers | who | list | what | request | median ms | p95 ms | SQL (median) ms | queries |")
        print("|---:|---|---|---|---|---:|---:|---:|---:|")
        for r in rows:
            q = "/".join(str(x) for x in r["queries"])
            print(
                f"| {size:,} | {r['role']} | {r['list']} | {r['kind']} | {r['variant']} | "
                f"{r['median']:.1f} | {r['p95']:.1f} | {r['sql']:.1f} | {q} |"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            base.admin_sql(f'DROP DATABASE IF EXISTS "{base.DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
