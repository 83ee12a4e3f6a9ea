"""Benchmark: the contacts, opportunities, contracts, orders, quotes and leads lists (page and API) at
1,000,000 customers (PostgreSQL).

    BENCH_DB=crm_bench .venv/bin/python bench/pipeline_lists.py            # builds 1M customers
    .venv/bin/python bench/pipeline_lists.py --size 100000 --requests 10 --keep
    BENCH_DB=crm_bench .venv/bin/python bench/pipeline_lists.py --reuse    # on a database a run kept
    BENCH_DB=crm_bench .venv/bin/python bench/pipeline_lists.py --reuse --lists contracts,orders

Builds the customer list's database (bench/customer_list.py: 100 reps in 10 teams, customers with one
contact and two follow-ups each) plus the global search's pipeline (bench/global_search.py: an opportunity
per 5 customers, a contract per 10, an order per 5), then times in-process (Django test Client: routing,
middleware, session auth, SQL, template or serializer; no network) `/contacts/`, `/api/contacts/`,
`/opportunities/?view=list` and `/api/opportunities/` for a rep (1 % of the book) and a sales manager
(a team of 10 reps, 10 %): the first page, a sorted page, the page a saved filter (场景) opens, and a
search. The page shows its total; the API is asked for it (`with_total=1`). Goal: p95 < 100 ms with the
same number of queries at any size. Not part of the test suite.

Also (issue 16, `--lists` picks some): `/contracts/` + `/api/contracts/` and `/orders/` + `/api/orders/` on
the global search's contracts and orders (first page, sorted by amount, search), and `/quotes/` +
`/api/quotes/` and `/leads/` + `/api/leads/` on a quote and a lead per 5 customers, added here (a quote per
opportunity, a lead named after its customer; first page, a sort and a search), and `/customers/` (first page
and sorted). Each list is timed for a rep who owns some of its rows (customers are dealt to the 100 reps by
`id % 100`) and the first manager (team 0: `id % 100` in 0..9), and with `--roles` for the president too
(every row: a total counted up to the threshold, then estimated).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import customer_list as base  # bench/ is the script's own directory; sets DATABASE_URL
from global_search import open_pipeline_database
from sqlfill import fill_not_null

# (list, page path, API path, page's own params, rep (index: owns customers with id % 100 == index),
#  [(variant, params, saved filter?)])
# Opportunities, quotes and leads are on customers with id % 5 == 0 (rep 0 owns 10,000 of each), contracts
# on id % 10 == 5 (rep 5: 10,000), orders on id % 5 == 2 (rep 2: 10,000); the manager of team 0 (reps 0..9)
# sees 20,000 opportunities, quotes, leads and orders and 10,000 contracts.
LISTS = [
    (
        "contacts",
        "/contacts/",
        "/api/contacts/",
        {},
        0,
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
        0,
        [
            ("first page", {}, False),
            ("sorted by amount", {"sort": "-amount"}, False),
            ("saved filter", {"stage": "qualified", "sort": "-registered"}, True),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        "contracts",
        "/contracts/",
        "/api/contracts/",
        {},
        5,
        [
            ("first page", {}, False),
            ("sorted by amount", {"sort": "-amount"}, False),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        "orders",
        "/orders/",
        "/api/orders/",
        {},
        2,
        [
            ("first page", {}, False),
            ("sorted by total", {"sort": "-total"}, False),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        "quotes",
        "/quotes/",
        "/api/quotes/",
        {},
        0,
        [
            ("first page", {}, False),
            ("sorted by total", {"sort": "-quoted_total"}, False),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        "leads",
        "/leads/",
        "/api/leads/",
        {},
        0,
        [
            ("first page", {}, False),
            ("sorted by company", {"sort": "company"}, False),
            ("search", {"q": "星河瑞丰"}, False),
        ],
    ),
    (
        # the customer list, for the president's total: 1M rows, counted up to the threshold, then estimated
        "customers",
        "/customers/",
        "/api/customers/",
        {},
        0,
        [
            ("first page", {}, False),
            ("sorted by name", {"sort": "name"}, False),
        ],
    ),
]
LIST_KEYS = [entry[0] for entry in LISTS]


def add_quotes_and_leads(size: int) -> float:
    """A quote per opportunity (customers with id % 5 == 0, by the customer's owner, statuses mixed) and a
    lead per 5 customers (the same customers: company named after the customer, assigned to and entered by
    its owner). Skipped when quotes are present (a kept database). Returns seconds."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM crm_quote)")
        if cur.fetchone()[0]:
            return 0.0
        cur.execute("SET synchronous_commit = off")
        given = ["created_at", "updated_at", "number", "customer_id", "opportunity_id", "owner_id", "title"]
        given += ["status", "list_total", "quoted_total", "sent_at"]
        cols, vals = fill_not_null(cur, "crm_quote", given)
        cur.execute(
            f"""INSERT INTO crm_quote (created_at, updated_at, number, customer_id, opportunity_id, owner_id,
                title, status, list_total, quoted_total, sent_at{cols})
            SELECT now(), now(), 'BJ' || lpad(o.customer_id::text, 8, '0'), o.customer_id, o.id, o.owner_id,
                '软件采购报价', (ARRAY['draft','approved','sent','rejected'])[1 + (o.customer_id / 5) %% 4],
                60000, 54000, NULL{vals}
            FROM crm_opportunity o WHERE o.customer_id <= %s ORDER BY o.customer_id""",
            [size],
        )
        given = ["created_at", "updated_at", "company", "contact_person", "contact_position", "phone"]
        given += ["source", "region_id", "industry_id", "notes", "status", "assigned_to_id", "assigned_at"]
        given += ["duplicate_of_id", "customer_id", "created_by_id"]
        cols, vals = fill_not_null(cur, "crm_lead", given)
        cur.execute(
            f"""INSERT INTO crm_lead (created_at, updated_at, company, contact_person, contact_position,
                phone, source, region_id, industry_id, notes, status, assigned_to_id, assigned_at,
                duplicate_of_id, customer_id, created_by_id{cols})
            SELECT now(), now(), c.name || '分公司', '李经理', '采购主管', '15' || lpad(c.id::text, 9, '0'),
                (ARRAY['call','website','chat','import'])[1 + (c.id / 5) %% 4], c.region_id, c.industry_id,
                '', 'assigned', c.owner_id, now(), NULL, NULL, c.owner_id{vals}
            FROM crm_customer c WHERE c.id %% 5 = 0 AND c.id <= %s ORDER BY c.id""",
            [size],
        )
        for table in ("crm_quote", "crm_lead"):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("CHECKPOINT")
    return time.perf_counter() - t0


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
            rows, t = len(response.context["rows"]), response.context.get("total")
            total = "—" if t is None else f"{'~' if t.estimated else ''}{t.value:,}"
        else:
            body = response.json()
            rows = len(body["results"])
            t = body.get("total")
            total = "—" if t is None else f"{'~' if body.get('total_estimated') else ''}{t:,}"
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


def run(org: dict, size: int, n: int, lists: list[str], roles: list[str]) -> list[dict]:
    from django.test import Client

    results = []
    # The first rep of team 0 owns the customers with id % 100 == 0: every one has an opportunity
    # (id % 5 == 0), 10,000 in all; their manager's team holds 20,000 of the 200,000. Contracts and
    # orders are timed for the rep of team 0 who owns some (see LISTS).
    for role in roles:
        for list_key, page_path, api_path, own, rep_index, variants in LISTS:
            if list_key not in lists:
                continue
            people = {"rep": org["reps"][rep_index], "manager": org["managers"][0]}
            user = people[role] if role in people else org["president"]
            client = Client()
            client.force_login(user)
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
    parser.add_argument(
        "--lists",
        default=",".join(LIST_KEYS),
        help=f"comma-separated lists to time (default: all of {','.join(LIST_KEYS)})",
    )
    parser.add_argument(
        "--roles", default="rep,manager", help="rep, manager, president (default: rep,manager)"
    )
    base.add_database_args(parser)
    args = parser.parse_args()
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    if set(roles) - {"rep", "manager", "president"}:
        parser.error("roles are rep, manager and president")
    lists = [k.strip() for k in args.lists.split(",") if k.strip()]
    unknown = sorted(set(lists) - set(LIST_KEYS))
    if unknown:
        parser.error(f"unknown list(s): {', '.join(unknown)} (known: {', '.join(LIST_KEYS)})")
    try:
        org, size = open_pipeline_database(args)
        secs = add_quotes_and_leads(size)
        print(f"== quotes and leads added in {secs:.0f} s", flush=True)
        print(f"== {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()}")
        rows = run(org, size, args.requests, lists, roles)
        print(f"   (load average after measuring: {os.getloadavg()[0]:.1f})")
        print(f"== {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC", flush=True)
        print()
        print(
            "| customers | who | list | what | request | median ms | p95 ms | SQL (median) ms | queries "
            "| rows | total |"
        )
        print("|---:|---|---|---|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            q = "/".join(str(x) for x in r["queries"])
            print(
                f"| {size:,} | {r['role']} | {r['list']} | {r['kind']} | {r['variant']} | "
                f"{r['median']:.1f} | {r['p95']:.1f} | {r['sql']:.1f} | {q} | {r['rows']} | {r['total']} |"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            base.admin_sql(f'DROP DATABASE IF EXISTS "{base.DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
