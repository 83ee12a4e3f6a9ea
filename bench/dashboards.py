"""Benchmark: every role's home and every report page (PostgreSQL), beside the floor of its bare
aggregate queries.

    make bench-dashboards                                   # 1M customers, 5M follow-ups, 1M order lines
    .venv/bin/python bench/dashboards.py --customers 20000 --requests 10    # a quick check
    BENCH_DB=crm_bench_me .venv/bin/python bench/dashboards.py --customers 200000 --keep   # load once …
    BENCH_DB=crm_bench_me .venv/bin/python bench/dashboards.py --reuse --only home       # … time again

Builds its own database (BENCH_DB, default crm_bench_dashboards, dropped at the end unless --keep) on
BENCH_PG (default postgres://postgres@127.0.0.1:5432) with INSERT … SELECT generate_series: 100 reps in
10 teams, N customers, 5 follow-ups each, N/5 opportunities, N/10 contracts, N orders of one line each
(over the last 400 days) and N/2 payments. Then builds the reports rollups (`rollups_rebuild`, timed)
and marks today dirty for two salespeople (as a working day leaves them between two refreshes: their
figures are read raw). Then times in-process (Django test Client: routing, middleware, auth, SQL,
templates — no network) each page for the role that opens it, beside two floors run as bare SQL (no
ORM, no template): the page's queries on the rollups (the floor it now stands on) and, for context, the
raw GROUP BY over the source tables the rollups replace. Prints p95 and the query count per page.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

from sqlfill import fill_not_null  # bench/ is the script's own directory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "crm_bench_dashboards")
os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

TEAMS, REPS_PER_TEAM = 10, 10

# The bare aggregate behind each page ({m0}: first of this month, {y0}: 23 months earlier, {now}).
FLOORS = {
    "funnel": ["SELECT stage, count(*), sum(amount) FROM crm_opportunity GROUP BY stage"],
    "trend": [
        "SELECT date_trunc('month', signed_on), u.department_id, sum(c.amount) FROM crm_contract c "
        "JOIN crm_user u ON u.id = c.owner_id WHERE c.status IN ('signed','in_delivery','completed') "
        "AND signed_on >= '{y0}' GROUP BY 1, 2",
        "SELECT date_trunc('month', received_on), u.department_id, sum(p.amount) FROM crm_payment p "
        "JOIN crm_order o ON o.id = p.order_id JOIN crm_user u ON u.id = o.owner_id "
        "WHERE received_on >= '{y0}' GROUP BY 1, 2",
    ],
    "people": [
        "SELECT created_by_id, count(*) FROM crm_customer WHERE created_at >= '{m0}' GROUP BY 1",
        "SELECT owner_id, count(*) FROM crm_opportunity WHERE registered_at >= '{m0}' GROUP BY 1",
        "SELECT author_id, count(*), count(DISTINCT customer_id) FROM crm_followup "
        "WHERE occurred_at >= '{m0}' GROUP BY 1",
        "SELECT owner_id, grade, count(*) FROM crm_customer GROUP BY 1, 2",
    ],
    "sales": [
        "SELECT l.* FROM crm_orderline l JOIN crm_order o ON o.id = l.order_id "
        "WHERE o.booked_at >= '{m0}' ORDER BY o.booked_at LIMIT 500"
    ],
    # open orders by due month, over the kept cleared amount (total − received − written off)
    "aging": [
        "SELECT date_trunc('month', due_on), count(*), sum(total - cleared_amount) FROM crm_order "
        "WHERE status = 'booked' AND total > cleared_amount GROUP BY 1"
    ],
}
# The same figures from the rollups: what the pages run now (reports.rollups).
ROLLUP_FLOORS = {
    "funnel": [
        "SELECT stage, sum(opportunities), sum(amount) FROM reports_pipelinecell GROUP BY 1",
        "SELECT expected_month, stage, sum(opportunities), sum(amount) FROM reports_pipelinecell "
        "WHERE expected_month >= '{m0}' GROUP BY 1, 2",
    ],
    "trend": [
        "SELECT person_id, start, contract_amount, collections FROM reports_personperiodfigures "
        "WHERE span = 'month' AND start >= '{y0}'"
    ],
    "people": [
        "SELECT * FROM reports_personperiodfigures WHERE span = 'month' AND start = '{m0}'",
        "SELECT owner_id, grade, customers FROM reports_ownergradecount",
    ],
    "sales": [
        "SELECT l.* FROM crm_orderline l JOIN crm_order o ON o.id = l.order_id "
        "WHERE o.booked_at >= '{m0}' ORDER BY o.booked_at, o.id, l.id LIMIT 101",
        "SELECT sum(sales_lines), sum(sales_amount) FROM reports_personperiodfigures "
        "WHERE span = 'month' AND start = '{m0}'",
    ],
    "aging": [
        "SELECT (due_on < '{m0}'), sum(orders), sum(open_amount) FROM reports_receivabledue GROUP BY 1"
    ],
}
PAGES = [
    # (label, who, path, floors)
    ("rep home", "rep", "/", ["funnel"]),
    ("manager home", "manager", "/", ["funnel", "people", "aging"]),
    ("president home", "president", "/", ["trend", "funnel", "people", "aging"]),
    ("finance home", "finance", "/", ["aging"]),
    ("A1 funnel + forecast", "president", "/reports/funnel/", ["funnel"]),
    ("A1 trend", "president", "/reports/trend/", ["trend"]),
    ("A1 activity (manager)", "manager", "/reports/activity/", ["people"]),
    ("rankings", "president", "/reports/rankings/", ["people"]),
    ("A2 usage ranking", "president", "/reports/usage/", ["people"]),
    ("A5 sales report", "president", "/reports/sales/", ["sales"]),
]


def admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def build_org() -> dict:
    from django.contrib.auth.models import Group

    from crm.models import Department, Region, Role, User
    from crm.services.opportunities import stages_seed_defaults

    stages_seed_defaults()
    groups = {r: Group.objects.get_or_create(name=r)[0] for r in Role.values}
    people: dict = {}
    for name, role in (("president", Role.PRESIDENT), ("finance", Role.FINANCE)):
        people[name] = User.objects.create_user(name, password="x", display_name=name)
        people[name].groups.add(groups[role])
    regions = [Region.objects.create(name=n) for n in ("华东大区", "华北大区")]
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
    people.update(rep=reps[3], manager=managers[3])
    people["rep_ids"] = [r.pk for r in reps]
    return people


def kept_org() -> dict:
    """The people build_org made, found again in a kept database (--reuse)."""
    from crm.models import User

    reps = User.objects.filter(username__startswith="rep").order_by("pk")
    people = {name: User.objects.get(username=name) for name in ("president", "finance")}
    people.update(rep=User.objects.get(username="rep0_3"), manager=User.objects.get(username="mgr3"))
    people["rep_ids"] = [r.pk for r in reps]
    return people


def load(org: dict, n: int) -> float:
    from django.db import connection

    t0 = time.perf_counter()
    reps = "ARRAY[" + ",".join(str(i) for i in org["rep_ids"]) + "]"
    k = len(org["rep_ids"])
    owner = f"({reps})[1 + i % {k}]"
    steps = [
        # customers, created over the last 400 days
        f"""INSERT INTO crm_customer (id, created_at, updated_at, name, name_normalized, credit_code,
            contact_person, contact_position, phone, status, grade, key_account_class, address, website,
            source, notes, tags, owner_id, owned_since, created_by_id, last_contacted_at, review_status,
            review_reason)
        SELECT i, now() - (i % 400) * interval '1 day', now(), '客户' || i, '客户' || i, '', '王', '经理',
            '13' || lpad(i::text, 9, '0'), 'customer', (ARRAY['A','B','C','D'])[1 + i % 4], '', '', '',
            '', '', '', {owner}, now() - (i % 400) * interval '1 day', {owner},
            now() - (i % 70) * interval '1 day', 'approved', ''
        FROM generate_series(1, {n}) AS i""",
        # five follow-ups per customer; the latest of one customer in four plans a next contact within two
        # weeks either side of today (C7 "due for contact": ~1,300 of a rep's 10,000 customers are due)
        """INSERT INTO crm_followup (created_at, updated_at, customer_id, author_id, occurred_at, channel,
            purpose, topic, outcome, next_step, attachment, next_date)
        SELECT now(), now(), c.id, c.owner_id, c.last_contacted_at - (j - 1) * interval '11 days',
            CASE WHEN j = 1 THEN 'visit_old' ELSE 'phone_regular' END, '', '沟通', '', '', '',
            CASE WHEN j = 1 AND (c.id / 100) % 4 = 0 THEN current_date + (c.id % 29)::int - 14 END
        FROM crm_customer c CROSS JOIN generate_series(1, 5) AS j""",
        f"""INSERT INTO crm_opportunity (created_at, updated_at, customer_id, owner_id, name, stage, amount,
            expected_sign_date, competitors, registered_at, close_reason)
        SELECT now(), now(), i * 5, {owner.replace("i %", "(i * 5) %")}, '商机' || i,
            (ARRAY['lead','qualified','proposal','negotiation','won','lost'])[1 + i % 6],
            10000 + (i % 50) * 1000, current_date + (i % 180), '', now() - (i % 400) * interval '1 day', ''
        FROM generate_series(1, {n // 5}) AS i""",
        f"""INSERT INTO crm_contract (created_at, updated_at, number, customer_id, owner_id, title, amount,
            standard_template, status, signed_on)
        SELECT now(), now(), 'HT' || i, i * 10, {owner.replace("i %", "(i * 10) %")}, '合同',
            20000 + (i % 30) * 1000, true, 'signed', current_date - (i % 730)
        FROM generate_series(1, {n // 10}) AS i""",
        f"""INSERT INTO crm_order (id, created_at, updated_at, number, customer_id, owner_id, booked_at,
            total, status, due_on, cleared_amount)
        SELECT i, now(), now(), 'SO' || i, i, {owner}, now() - (i % 400) * interval '1 day',
            5000 + (i % 20) * 500, 'booked', current_date - (i % 400) + 30, 0
        FROM generate_series(1, {n}) AS i""",
        """INSERT INTO crm_orderline (order_id, product, category, quantity, list_price, unit_price,
            floor_price, unit_cost, tax, logistics, amount)
        SELECT id, '产品' || (id % 40), 'regular', 1, total, total, 0, 0, 0, 0, total
        FROM crm_order""",
        f"""INSERT INTO crm_payment (created_at, updated_at, order_id, kind, amount, received_on, reference,
            reason, recorded_by_id)
        SELECT now(), now(), i * 2, 'payment', 2000, current_date - ((i * 2) % 400) + 10, '', '',
            {org["finance"].pk}
        FROM generate_series(1, {n // 2}) AS i""",
        # the order's kept cleared amount, as order_cleared_refresh computes it
        """UPDATE crm_order o SET cleared_amount = p.s
        FROM (SELECT order_id, sum(amount) AS s FROM crm_payment GROUP BY 1) p WHERE p.order_id = o.id""",
    ]
    with connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        for sql in steps:
            cur.execute(with_later_columns(cur, sql))
        for table in ("crm_customer", "crm_order"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
    # the customers' planned next contact, as the follow-up signals keep it (INSERT … SELECT sent none)
    from crm.services.followups import customers_next_contact_fill

    customers_next_contact_fill()
    with connection.cursor() as cur:
        for table in (
            "crm_customer",
            "crm_followup",
            "crm_opportunity",
            "crm_contract",
            "crm_order",
            "crm_orderline",
            "crm_payment",
        ):
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute("CHECKPOINT")
    return time.perf_counter() - t0


def with_later_columns(cur, sql: str) -> str:  # type: ignore[no-untyped-def]
    """An INSERT … SELECT with the NOT NULL columns other apps added later (no default) filled with a
    neutral value, so the bench keeps working as the schema grows."""
    found = re.match(r"\s*INSERT INTO (\w+) \(([^)]*)\)", sql)
    if not found:
        return sql
    given = [c.strip() for c in found.group(2).split(",")]
    cols, vals = fill_not_null(cur, found.group(1), given)
    at = sql.rindex("\n        FROM ")
    return sql[: found.end() - 1] + cols + sql[found.end() - 1 : at] + vals + sql[at:]


def p95(times: list[float]) -> float:
    times = sorted(times)
    return times[math.ceil(0.95 * len(times)) - 1]


def floor_ms(names: list[str], n: int, floors: dict | None = None) -> float:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    m0 = timezone.localdate().replace(day=1)
    y0 = (m0 - dt.timedelta(days=700)).replace(day=1)
    sqls = [q.format(m0=m0, y0=y0) for name in names for q in (floors or FLOORS)[name]]
    times = []
    with connection.cursor() as cur:
        for _ in range(n + 2):
            t0 = time.perf_counter()
            for sql in sqls:
                cur.execute(sql)
                cur.fetchall()
            times.append((time.perf_counter() - t0) * 1000)
    return p95(times[2:])


def measure(client, path: str, n: int) -> tuple[float, float, list[int]]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        assert client.get(path).status_code == 200
    times, counts = [], set()
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        counts.add(len(ctx.captured_queries))
    return statistics.median(times), p95(times), sorted(counts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages on the database a --keep run left (no load)"
    )
    parser.add_argument("--only", default="", help="time only the pages whose label contains this")
    args = parser.parse_args()
    if args.reuse:
        args.keep = True
    else:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB}"')
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import setup_test_environment
        from django.utils import timezone

        setup_test_environment()
        call_command("migrate", verbosity=0)
        if args.reuse:
            org = kept_org()
            print(f"== reusing {DB}; load average {os.getloadavg()[0]:.1f}", flush=True)
        else:
            org = build_org()
            secs = load(org, args.customers)
            print(
                f"== {args.customers:,} customers, {5 * args.customers:,} follow-ups, {args.customers:,} "
                f"order lines: loaded in {secs:.0f} s; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} CPUs",
                flush=True,
            )
            t0 = time.perf_counter()
            call_command("rollups_rebuild", verbosity=0)
            rollup_secs = time.perf_counter() - t0
            print(f"== rollups built in {rollup_secs:.0f} s", flush=True)
        from reports.rollups import rollup_mark

        today = timezone.localdate()
        dirty = [org["rep"].pk, org["rep_ids"][30]]  # the rep who opens the rep home; one of the manager's
        rollup_mark(marks=[(pid, today) for pid in dirty])
        print(
            f"== today marked dirty for {len(dirty)} people (read raw); load average "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )
        head = f"{'page':<24} {'who':<10} {'median':>9} {'p95':>9} {'floor p95':>10} {'raw GROUP BY':>13}"
        print(f"{head}  queries")
        for label, who, path, floors in PAGES:
            if args.only not in label:
                continue
            client = Client()
            client.force_login(org[who])
            median, page_p95, counts = measure(client, path, args.requests)
            floor = floor_ms(floors, args.requests, ROLLUP_FLOORS)
            raw = floor_ms(floors, max(3, args.requests // 4))
            times = f"{median:7.1f}ms {page_p95:7.1f}ms {floor:8.1f}ms {raw:11.1f}ms"
            print(f"{label:<24} {who:<10} {times}  {counts}", flush=True)
        print(f"== load average at the end {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
