"""Benchmark: the customer list page and list API at 100,000 and 1,000,000 customers (PostgreSQL).

    make bench-list                                  # 100k then 1M
    .venv/bin/python bench/customer_list.py --sizes 100000 --requests 20 --keep

Builds its own database (crm_bench, dropped at the end unless --keep) on the server given by
BENCH_PG (default postgres://postgres@127.0.0.1:5432), fills it with INSERT … SELECT generate_series
(customers, one contact each, two follow-ups each, 100 reps in 10 teams), then times in-process
(Django test Client: URL routing, middleware, auth, SQL, template/serializer — no network) the rep's and
the manager's list page and list API: first page, a deep page (keyset cursor), a common and a rare search
term. Reports median / p95 per request and SQL queries per request. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import base64
import math
import os
import statistics
import sys
import time
from pathlib import Path

from sqlfill import fill_not_null  # bench/ is the script's own directory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "crm_bench")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

CITY = ["上海", "杭州", "南京", "苏州", "宁波", "北京", "天津", "济南", "青岛", "石家庄"]
WORDS = [
    "星河",
    "华信",
    "瑞丰",
    "启明",
    "恒通",
    "博远",
    "嘉禾",
    "东升",
    "万达",
    "新元",
    "中科",
    "远航",
    "聚能",
]
SUFFIX = [
    "科技有限公司",
    "贸易有限公司",
    "教育咨询有限公司",
    "实业有限公司",
    "医疗器械有限公司",
    "信息技术有限公司",
]
TEAMS, REPS_PER_TEAM = 10, 10


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def add_database_args(parser: argparse.ArgumentParser) -> None:
    """--keep and --reuse, as every benchmark built on this one's customers takes them."""
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure on the database a --keep run left (migrated again, not reloaded); implies --keep",
    )


def open_database(args: argparse.Namespace) -> None:
    """A fresh database (or, with --reuse, the kept one), then Django set up and migrated, with the test
    environment on (the test Client talks to 'testserver' and keeps response.context)."""
    if args.reuse:
        args.keep = True
    else:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB}"')
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    # as in production (config/wsgi.py): every view loaded, the start-up heap frozen out of the collector's
    # view (28 Nov; before, a full collection every dozen search requests put 80 ms on the p95)
    import config.wsgi  # noqa: F401


def sql_array(items: list[str]) -> str:
    return "(ARRAY[" + ",".join("'" + s.replace("'", "''") + "'" for s in items) + "])"


def build_org() -> dict:
    from django.contrib.auth.models import Group

    from crm.models import Department, Industry, Region, Role, User

    groups = {r: Group.objects.get_or_create(name=r)[0] for r in Role.values}
    president = User.objects.create_user("president", password="x", display_name="总裁")
    president.groups.add(groups[Role.PRESIDENT])
    regions = [Region.objects.create(name=n) for n in ("华东大区", "华北大区")]
    industries = [
        Industry.objects.create(name=n) for n in ("制造业", "教育培训", "医疗健康", "零售", "金融", "互联网")
    ]
    managers, reps = [], []
    for t in range(TEAMS):
        dept = Department.objects.create(name=f"销售{t + 1}部", region=regions[t % 2])
        mgr = User.objects.create_user(f"mgr{t}", password="x", display_name=f"经理{t}", department=dept)
        mgr.groups.add(groups[Role.SALES_MANAGER])
        dept.manager = mgr
        dept.save()
        managers.append(mgr)
        for r in range(REPS_PER_TEAM):
            rep = User.objects.create_user(
                f"rep{t}_{r}", password="x", display_name=f"销售{t}-{r}", department=dept, manager=mgr
            )
            rep.groups.add(groups[Role.REP])
            reps.append(rep)
    return {
        "president": president,
        "managers": managers,
        "reps": reps,
        "region_ids": [r.pk for r in regions],
        "industry_ids": [i.pk for i in industries],
    }


def existing_org() -> dict:
    """The users and reference data of a database an earlier run kept (--keep)."""
    from crm.models import Industry, Region, User

    return {
        "president": User.objects.get(username="president"),
        "managers": [User.objects.get(username=f"mgr{t}") for t in range(TEAMS)],
        "reps": [
            User.objects.get(username=f"rep{t}_{r}") for t in range(TEAMS) for r in range(REPS_PER_TEAM)
        ],
        "region_ids": list(Region.objects.order_by("pk").values_list("pk", flat=True)),
        "industry_ids": list(Industry.objects.order_by("pk").values_list("pk", flat=True)),
    }


CUSTOMER_COLUMNS = [
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
    "region_id",
    "industry_id",
    "address",
    "website",
    "source",
    "notes",
    "tags",
    "owner_id",
    "owned_since",
    "account_executive_id",
    "created_by_id",
    "first_contact_at",
    "last_contacted_at",
    "review_status",
    "reviewed_by_id",
    "reviewed_at",
    "review_reason",
]


def load(org: dict, start: int, end: int) -> float:
    """Customers start..end (inclusive) with one contact and two follow-ups each. Returns seconds."""
    from django.db import connection

    t0 = time.perf_counter()
    rep_ids = ",".join(str(r.pk) for r in org["reps"])
    # Each rep's team is rep index // REPS_PER_TEAM; region follows the team.
    region_of_rep = ",".join(
        str(org["region_ids"][(i // REPS_PER_TEAM) % 2]) for i in range(len(org["reps"]))
    )
    ind = ",".join(str(i) for i in org["industry_ids"])
    n_reps = len(org["reps"])
    with connection.cursor() as cur:
        # Columns other apps add later (NOT NULL, no default) get a neutral value, so the bench keeps working.
        cust_cols, cust_vals = fill_not_null(cur, "crm_customer", CUSTOMER_COLUMNS)
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute(
            f"""
            INSERT INTO crm_customer (
              id, created_at, updated_at, name, name_normalized, credit_code, contact_person,
              contact_position, phone, status, grade, key_account_class, region_id, industry_id, address,
              website, source, notes,
              tags, owner_id, owned_since, account_executive_id, created_by_id, first_contact_at,
              last_contacted_at, review_status, reviewed_by_id, reviewed_at, review_reason{cust_cols})
            SELECT i, now() - interval '400 days', now(), nm, lower(nm), '', '王经理', '采购经理',
              '13' || lpad(i::text, 9, '0'),
              (ARRAY['prospect','intent','customer','dormant'])[1 + i %% 4],
              (ARRAY['A','B','C','D'])[1 + (i / 7) %% 4], '',
              (ARRAY[{region_of_rep}])[1 + i %% {n_reps}],
              (ARRAY[{ind}])[1 + i %% {len(org["industry_ids"])}],
              '', '', '', '', '',
              (ARRAY[{rep_ids}])[1 + i %% {n_reps}], now() - interval '400 days', NULL,
              (ARRAY[{rep_ids}])[1 + i %% {n_reps}], now() - interval '400 days',
              now() - ((i * 7919) %% 120) * interval '1 day' - (i %% 24) * interval '1 hour',
              CASE WHEN i %% 25 = 0 THEN 'pending' ELSE 'approved' END, NULL, NULL, ''{cust_vals}
            FROM (
              SELECT i, {sql_array(CITY)}[1 + i %% 10] || {sql_array(WORDS)}[1 + (i / 10) %% 13]
                     || {sql_array(WORDS)}[1 + (i / 130) %% 13] || i::text
                     || {sql_array(SUFFIX)}[1 + i %% 6] AS nm
              FROM generate_series(%s::bigint, %s::bigint) AS i
            ) AS g
            """,
            [start, end],
        )
        cur.execute(
            """
            INSERT INTO crm_contact
              (created_at, updated_at, customer_id, name, position, role, phone, email, notes)
            SELECT now(), now(), id, contact_person, contact_position, 'decision_maker', phone, '', ''
            FROM crm_customer WHERE id BETWEEN %s AND %s
            """,
            [start, end],
        )
        cur.execute(
            """
            INSERT INTO crm_followup (created_at, updated_at, customer_id, author_id, occurred_at, channel,
              purpose, topic, outcome, next_step, next_date, contact_id, opportunity_id, attachment)
            SELECT now(), now(), c.id, c.owner_id, c.last_contacted_at - (k - 1) * interval '9 days',
              CASE WHEN k = 1 THEN 'visit_old' ELSE 'phone_regular' END,
              '', '电话沟通需求', '客户有意向', '发送资料',
              NULL, NULL, NULL, ''
            FROM crm_customer c CROSS JOIN generate_series(1, 2) AS k
            WHERE c.id BETWEEN %s AND %s
            """,
            [start, end],
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('crm_customer', 'id'), %s)", [end])
    return time.perf_counter() - t0


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("crm_customer", "crm_contact", "crm_followup"):
            cur.execute(f"VACUUM ANALYZE {table}")
        # Flush the bulk load's dirty pages now, so the measurement does not race the checkpointer.
        cur.execute("CHECKPOINT")


def deep_cursor(user, depth: int) -> int:  # type: ignore[no-untyped-def]
    """The id a keyset page `depth` rows into the user's list starts after (found once, not timed)."""
    from crm import policy

    qs = policy.customer_scope(user).order_by("-id").values_list("id", flat=True)
    count = max(0, min(depth, qs.count() - 60))  # small runs: never before the first row
    return qs[count]


def measure(client, path: str, params: dict, n: int) -> dict:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm-up (connection, caches)
        assert client.get(path, params).status_code == 200
    times, sql_times, queries, rows, counted = [], [], set(), 0, False
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(path, params)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
        queries.add(len(ctx.captured_queries))
        sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        # Issue 16: the page shows a total — an exact COUNT over the user's scope, or PostgreSQL's
        # estimate (EXPLAIN) above CRM_LIST_ESTIMATE_ABOVE rows; the API counts only when asked.
        counted = counted or any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
        rows = len(response.context["customers"]) if response.context else len(response.json()["results"])
    times.sort()
    p95 = times[math.ceil(0.95 * len(times)) - 1]  # nearest rank
    return {
        "median": statistics.median(times),
        "p95": p95,
        "sql": statistics.median(sql_times),
        "queries": sorted(queries),
        "rows": rows,
        "counted": counted,
    }


def run_size(org: dict, size: int, n: int) -> list[dict]:
    from django.test import Client

    results = []
    who = {"rep": org["reps"][3], "manager": org["managers"][3]}
    for role, user in who.items():
        client = Client()
        client.force_login(user)
        deep_id = deep_cursor(user, depth=size // 200 if role == "rep" else size // 20)
        api_cursor = base64.b64encode(f"p={deep_id}".encode()).decode()
        variants = [
            ("first page", {}, {}),
            ("deep page", {"after": deep_id}, {"cursor": api_cursor}),
            ("search common", {"q": "星河瑞丰"}, {"q": "星河瑞丰"}),
            ("search rare", {"q": "98765"}, {"q": "98765"}),
        ]
        for label, page_params, api_params in variants:
            for kind, path, params in (
                ("page", "/customers/", page_params),
                ("API", "/api/customers/", api_params),
            ):
                r = measure(client, path, params, n)
                r.update(size=size, role=role, kind=kind, variant=label)
                results.append(r)
                print(
                    f"{size:>9,} {role:<8} {kind:<4} {label:<14} median {r['median']:6.1f} ms  "
                    f"p95 {r['p95']:6.1f} ms  (SQL {r['sql']:5.1f} ms)  "
                    f"queries {r['queries']}  rows {r['rows']}",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--requests", type=int, default=20)
    add_database_args(parser)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    try:
        open_database(args)
        from django.db import connection

        org = existing_org() if args.reuse else build_org()
        from crm.signals import SEARCH_INDEXES, ensure_search_indexes

        loaded, results = 0, []
        if args.reuse:
            from crm.models import Customer

            loaded = Customer.objects.count()
            ensure_search_indexes()
            analyze()
            print(f"== reusing {loaded:,} customers; load average {os.getloadavg()[0]:.1f}", flush=True)
            results += run_size(org, loaded, args.requests)
            sizes = []
        for size in sizes:
            with connection.cursor() as cur:  # a GIN index is faster built once than updated row by row
                for name, _definition in SEARCH_INDEXES:
                    cur.execute(f"DROP INDEX IF EXISTS {name}")
            secs = load(org, loaded + 1, size)
            t0 = time.perf_counter()
            ensure_search_indexes()
            analyze()
            print(
                f"== {size:,} customers (+{size - loaded:,} with a contact and 2 follow-ups each): "
                f"load {secs:.0f} s, trigram index + analyze {time.perf_counter() - t0:.0f} s; "
                f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
                flush=True,
            )
            results += run_size(org, size, args.requests)
            print(f"   (load average after measuring: {os.getloadavg()[0]:.1f})", flush=True)
            loaded = size
        print()
        print(
            "| customers | who | what | request | median ms | p95 ms | of which SQL (median) ms "
            "| SQL queries |"
        )
        print("|---:|---|---|---|---:|---:|---:|---:|")
        for r in results:
            q = "/".join(str(x) for x in r["queries"])
            print(
                f"| {r['size']:,} | {r['role']} | {r['kind']} | {r['variant']} | {r['median']:.1f} | "
                f"{r['p95']:.1f} | {r['sql']:.1f} | {q} |"
            )
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
