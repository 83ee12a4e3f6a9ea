# ruff: noqa: E501  (SQL text reads better unwrapped)
"""Benchmark of the C9 nightly pool sweep on PostgreSQL (`make bench-pool`; not part of the test suite).

Builds its own database (crm_bench_pool, dropped at the end unless --keep) with N customers (default
1,000,000) generated in SQL with generate_series: 1,000 reps in 50 teams, a follow-up history of ~2 per
customer whose last contact is exponentially distributed (mean 15 days: ~13 % are 30+ days silent,
~2 % 60+), 5 % never followed up (got 0–90 days ago, counted from owned_since), opportunities and
contracts so the exemptions have work to do. Then it times, on the same data (each run in a transaction rolled back):

  sweep  — crm.services.pool.pool_sweep, the code the Celery job runs;
  floor  — the bare SQL doing the same writes in the fewest statements (two data-modifying CTEs);
  naive  — a per-row ORM loop (the obvious Python implementation) on a 50,000-customer sample,
           extrapolated linearly to N;

and finally the real sweep committed (the first run, on that whole backlog), the idempotent re-run
(nothing left to do) and the next night's run (the customers crossing a threshold in one day).

Usage: python bench/pool_sweep.py [--customers 1000000] [--sample 50000] [--keep]
Env: BENCH_PG (default postgres://postgres@127.0.0.1:5432) — server to create the database on;
BENCH_DB (default crm_bench_pool) — the database it creates and drops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

import psycopg
from sqlfill import fill_not_null  # bench/ is the script's own directory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = os.environ.get("BENCH_DB", "crm_bench_pool")  # each engineer their own database


def admin_conn(server: str) -> psycopg.Connection:
    return psycopg.connect(f"{server}/postgres", autocommit=True)


def create_db(server: str) -> None:
    with admin_conn(server) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {DB}")


def drop_db(server: str) -> None:
    from django.db import connections

    connections.close_all()
    with admin_conn(server) as c:
        c.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def step(label: str):  # type: ignore[no-untyped-def]
    class _T:
        def __enter__(self):  # type: ignore[no-untyped-def]
            self.t = time.perf_counter()
            print(f"  {label} …", end="", flush=True)
            return self

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.seconds = time.perf_counter() - self.t
            print(f" {self.seconds:.2f} s", flush=True)

    return _T()


def with_not_null_filled(cur, statement: str) -> str:  # type: ignore[no-untyped-def]
    """An INSERT whose column list ends in /*cols*/ and select list in /*vals*/: the columns other apps
    added later (NOT NULL, no default) get a neutral value there, so the bench survives schema additions."""
    m = re.match(r"\s*INSERT INTO (\w+) \(([^)]*)/\*cols\*/\)", statement)
    if not m:
        return statement
    cols, vals = fill_not_null(cur, m[1], [c.strip() for c in m[2].split(",")])
    return statement.replace("/*cols*/", cols).replace("/*vals*/", vals)


def build(n: int) -> None:
    from django.db import connection

    reps, teams = 1000, 50
    sql = [
        "INSERT INTO crm_region (name) VALUES ('华东大区'), ('华北大区')",
        "INSERT INTO crm_industry (name) SELECT '行业' || i FROM generate_series(1, 8) i",
        # managers (ids 1..50), then reps (51..1050) reporting to them
        f"""INSERT INTO crm_user (password, is_superuser, username, first_name, last_name, email, is_staff,
              is_active, date_joined, display_name, phone/*cols*/)
            SELECT '!', false, 'u' || i, '', '', '', false, true, now(), '员工' || i, ''/*vals*/
            FROM generate_series(1, {teams + reps}) i""",
        f"""INSERT INTO crm_department (name, region_id, manager_id, path/*cols*/)
            SELECT '销售' || i || '部', 1 + i % 2, i, '/' || i || '/'/*vals*/ FROM generate_series(1, {teams}) i""",
        f"""UPDATE crm_user SET department_id = 1 + (id - {teams + 1}) % {teams},
              manager_id = 1 + (id - {teams + 1}) % {teams} WHERE id > {teams}""",
        f"""INSERT INTO crm_customer (created_at, updated_at, name, name_normalized, credit_code, contact_person,
              contact_position, phone, status, grade, key_account_class, region_id, industry_id, address,
              website, source, notes, tags, owner_id, owned_since, first_contact_at, last_contacted_at,
              review_status, review_reason/*cols*/)
            SELECT g.created, g.created, '基准客户' || i || '有限公司', '基准客户' || i || '有限公司', '',
              '张经理', '采购经理', '139' || lpad(i::text, 8, '0'), 'prospect',
              (ARRAY['A','B','C','D'])[1 + i % 4], '', 1 + i % 2, 1 + i % 8, '', '', '', '', '',
              {teams + 1} + i % {reps}, g.owned, g.owned,
              CASE WHEN i % 20 = 0 THEN NULL  -- never followed up (owned_since: 0–90 days ago, below)
                   ELSE greatest(g.owned, now() - make_interval(secs => -15 * 86400 * ln(1 - random())))
              END,
              'approved', ''/*vals*/
            FROM generate_series(1, {n}) i,
              LATERAL (SELECT now() - make_interval(days => CASE WHEN i % 20 = 0 THEN (random() * 90)::int
                                                          ELSE 30 + (random() * 900)::int END) AS owned,
                              now() - interval '1000 days' AS created) g""",
        # ~2 follow-ups per contacted customer: the latest at last_contacted_at, the others before it
        """INSERT INTO crm_followup (created_at, updated_at, customer_id, author_id, occurred_at, channel,
              purpose, topic, outcome, next_step, attachment/*cols*/)
            SELECT c.last_contacted_at, c.last_contacted_at, c.id, c.owner_id,
              c.last_contacted_at - make_interval(days => k * (3 + (random() * 27)::int)),
              'phone_regular', '', '电话沟通', '', '', ''/*vals*/
            FROM crm_customer c, generate_series(0, 2) k
            WHERE c.last_contacted_at IS NOT NULL AND (k = 0 OR random() < 0.5)""",
        """INSERT INTO crm_opportunity (created_at, updated_at, customer_id, owner_id, name, stage, amount,
              competitors, registered_at, close_reason/*cols*/)
            SELECT now(), now(), c.id, c.owner_id, '商机' || c.id,
              (ARRAY['lead','qualified','proposal','negotiation','won','lost'])[1 + c.id % 6], 100000, '', now(),
              ''/*vals*/
            FROM crm_customer c WHERE c.id % 17 = 0""",
        """INSERT INTO crm_contract (created_at, updated_at, number, customer_id, owner_id, title, amount,
              standard_template, status/*cols*/)
            SELECT now(), now(), 'HT' || c.id, c.id, c.owner_id, '合同', 50000, true,
              (ARRAY['signed','in_delivery','completed','terminated'])[1 + c.id % 4]/*vals*/
            FROM crm_customer c WHERE c.id % 29 = 0""",
    ]
    with connection.cursor() as cur:
        for s in sql:
            cur.execute(with_not_null_filled(cur, s))
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


FLOOR_SQL = """
WITH old AS (
    SELECT c.id, c.owner_id, COALESCE(c.owned_since, c.created_at) AS epoch,
           (%(today)s::date - (CASE WHEN c.last_contacted_at > COALESCE(c.owned_since, c.created_at)
                THEN c.last_contacted_at ELSE COALESCE(c.owned_since, c.created_at) END
                AT TIME ZONE 'Asia/Shanghai')::date) AS days
    FROM crm_customer c
    WHERE c.owner_id IS NOT NULL
      AND (CASE WHEN c.last_contacted_at > COALESCE(c.owned_since, c.created_at) THEN c.last_contacted_at
           ELSE COALESCE(c.owned_since, c.created_at) END) < %(release_cut)s
      AND NOT EXISTS (SELECT 1 FROM crm_contract k WHERE k.customer_id = c.id
                      AND k.status IN ('signed', 'in_delivery'))
      AND NOT EXISTS (SELECT 1 FROM crm_opportunity o WHERE o.customer_id = c.id AND o.stage = 'negotiation')
), rel AS (
    UPDATE crm_customer c SET owner_id = NULL, owned_since = NULL, updated_at = now()
    FROM old WHERE c.id = old.id
    RETURNING c.id, c.name, old.owner_id, old.epoch, old.days
), pr AS (
    INSERT INTO crm_poolrelease (customer_id, previous_owner_id, owned_since, released_at, reason, batch)
    SELECT id, owner_id, epoch, now(), '60 天未联系，已转入公海', 'floor' FROM rel
), oc AS (
    INSERT INTO partners_ownershipchange (customer_id, from_user_id, to_user_id, reason, note, changed_at)
    SELECT id, owner_id, NULL, 'released', '60 天未联系，已转入公海', now() FROM rel
), pw AS (
    INSERT INTO crm_poolwarning (customer_id, owner_id, owned_since, threshold, days, created_at, batch)
    SELECT id, owner_id, epoch, 'release', days, now(), 'floor' FROM rel
)
INSERT INTO common_notification (user_id, text, link, created_at, batch)
SELECT rel.owner_id, '客户“' || rel.name || '”已 ' || rel.days || ' 天未联系，已转入公海。', '/pool/', now(), 'floor'
FROM rel
UNION ALL
SELECT COALESCE(u.manager_id, d.manager_id),
       '您团队' || u.display_name || '的客户“' || rel.name || '”已 ' || rel.days || ' 天未联系，已转入公海。',
       '/pool/', now(), 'floor'
FROM rel JOIN crm_user u ON u.id = rel.owner_id LEFT JOIN crm_department d ON d.id = u.department_id
WHERE COALESCE(u.manager_id, d.manager_id) IS NOT NULL;

WITH w AS (
    INSERT INTO crm_poolwarning (customer_id, owner_id, owned_since, threshold, days, created_at, batch)
    SELECT c.id, c.owner_id, COALESCE(c.owned_since, c.created_at), 'warn',
           (%(today)s::date - (CASE WHEN c.last_contacted_at > COALESCE(c.owned_since, c.created_at)
                THEN c.last_contacted_at ELSE COALESCE(c.owned_since, c.created_at) END
                AT TIME ZONE 'Asia/Shanghai')::date), now(), 'floor'
    FROM crm_customer c
    WHERE c.owner_id IS NOT NULL
      AND (CASE WHEN c.last_contacted_at > COALESCE(c.owned_since, c.created_at) THEN c.last_contacted_at
           ELSE COALESCE(c.owned_since, c.created_at) END) < %(warn_cut)s
      AND NOT EXISTS (SELECT 1 FROM crm_contract k WHERE k.customer_id = c.id
                      AND k.status IN ('signed', 'in_delivery'))
      AND NOT EXISTS (SELECT 1 FROM crm_opportunity o WHERE o.customer_id = c.id AND o.stage = 'negotiation')
    ON CONFLICT DO NOTHING
    RETURNING customer_id, owner_id, days
)
INSERT INTO common_notification (user_id, text, link, created_at, batch)
SELECT w.owner_id, '客户“' || c.name || '”已 ' || w.days || ' 天未联系，' || (60 - w.days) || ' 天后将转入公海，请尽快跟进。',
       '/customers/' || c.id || '/', now(), 'floor'
FROM w JOIN crm_customer c ON c.id = w.customer_id;
"""


def run_floor(today) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection

    from crm.services.pool import _cutoff

    params = {"today": today, "release_cut": _cutoff(today, 60), "warn_cut": _cutoff(today, 30)}
    with connection.cursor() as cur:
        for statement in FLOOR_SQL.split(";\n\n"):
            if statement.strip():
                cur.execute(statement, params)


def run_naive(today, sample: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """What one would write first: a loop of ORM reads and saves per customer."""
    from django.utils import timezone

    from common.models import Notification
    from crm.models import (
        Contract,
        Customer,
        Opportunity,
        OwnershipChange,
        PoolPolicy,
        PoolRelease,
        PoolWarning,
    )
    from crm.services.pool import contact_clock

    policy = PoolPolicy.load()
    now = timezone.now()
    warned = released = 0
    for c in Customer.objects.filter(pk__lte=sample, owner__isnull=False).select_related("owner").iterator():
        clock = contact_clock(c)
        days = (today - timezone.localtime(clock).date()).days
        if days < policy.warn_days:
            continue
        if Contract.objects.filter(customer=c, status__in=["signed", "in_delivery"]).exists():
            continue
        if Opportunity.objects.filter(customer=c, stage="negotiation").exists():
            continue
        epoch = c.owned_since or c.created_at
        owner = c.owner
        if days >= policy.release_days:
            PoolRelease.objects.create(
                customer=c,
                previous_owner=owner,
                owned_since=epoch,
                released_at=now,
                reason="60 天未联系，已转入公海",
            )
            OwnershipChange.objects.create(
                customer=c,
                from_user=owner,
                to_user=None,
                reason="released",
                note="60 天未联系",
                changed_at=now,
            )
            c.owner = None
            c.owned_since = None
            c.save(update_fields=["owner", "owned_since", "updated_at"])
            PoolWarning.objects.create(
                customer=c, owner=owner, owned_since=epoch, threshold="release", days=days, created_at=now
            )
            Notification.objects.create(user=owner, text=f"{c.name} 已转入公海", created_at=now)
            manager = owner.manager or (owner.department.manager if owner.department_id else None)
            if manager:
                Notification.objects.create(user=manager, text=f"{c.name} 已转入公海", created_at=now)
            released += 1
        elif not PoolWarning.objects.filter(customer=c, owned_since=epoch, threshold="warn").exists():
            PoolWarning.objects.create(
                customer=c, owner=owner, owned_since=epoch, threshold="warn", days=days, created_at=now
            )
            Notification.objects.create(user=owner, text=f"{c.name} 已 {days} 天未联系", created_at=now)
            warned += 1
    return warned, released


def vacuum() -> None:
    """Untimed: clear the dead rows a rolled-back run leaves, so every timed run starts alike."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def rolled_back(fn, *args):  # type: ignore[no-untyped-def]
    from django.db import transaction

    with transaction.atomic():
        out = fn(*args)
        transaction.set_rollback(True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    os.environ["DATABASE_URL"] = f"{server}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["LOG_LEVEL"] = "WARNING"
    create_db(server)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from crm.services.pool import pool_sweep

    try:
        print(f"Pool sweep benchmark: {args.customers:,} customers on PostgreSQL ({DB})")
        with step("migrate"):
            call_command("migrate", verbosity=0)
        with step("build data (generate_series)"):
            build(args.customers)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM crm_followup")
            followups = cur.fetchone()[0]
        today = timezone.localdate()
        dry = pool_sweep(today=today, dry_run=True)
        print(f"  data: {followups:,} follow-ups; due: {dry.warned:,} warnings, {dry.released:,} releases")

        best: dict[str, float] = {}
        for i in range(2):
            vacuum()
            with step(f"sweep (service), run {i + 1}, rolled back") as t:
                rolled_back(lambda: pool_sweep(today=today))
            best["sweep"] = min(best.get("sweep", 1e9), t.seconds)
            vacuum()
            with step(f"floor (bare SQL, 2 statements), run {i + 1}, rolled back") as t:
                rolled_back(run_floor, today)
            best["floor"] = min(best.get("floor", 1e9), t.seconds)
        vacuum()
        with step(f"naive per-row ORM loop on {args.sample:,} customers, rolled back") as t:
            w, r = rolled_back(run_naive, today, args.sample)
        naive = t.seconds
        vacuum()
        with step("sweep committed") as t:
            result = pool_sweep(today=today)
        committed = t.seconds
        with step("sweep again (idempotent re-run)") as t:
            again = pool_sweep(today=today)
        rerun = t.seconds
        vacuum()
        with step("next day's sweep") as t:
            nextday = pool_sweep(today=today + dt.timedelta(days=1))
        tomorrow = t.seconds
        assert (again.warned, again.released) == (0, 0), again
        assert (result.warned, result.released) == (dry.warned, dry.released), (result, dry)

        scale = args.customers / args.sample
        print()
        print("| customers | warned | released | notifications |")
        print("|---|---|---|---|")
        print(f"| {args.customers:,} | {result.warned:,} | {result.released:,} | {result.notifications:,} |")
        print()
        print("| what | time |")
        print("|---|---|")
        print(f"| floor: bare SQL, 2 data-modifying CTE statements | {best['floor']:.2f} s |")
        print(
            f"| sweep: `pool_sweep` (best of 2, rolled back) | {best['sweep']:.2f} s "
            f"({best['sweep'] / best['floor']:.2f}× floor) |"
        )
        print(f"| sweep committed | {committed:.2f} s |")
        print(f"| idempotent re-run (nothing to do) | {rerun:.2f} s |")
        print(
            f"| next night's sweep ({nextday.warned:,} warned, {nextday.released:,} released) | {tomorrow:.2f} s |"
        )
        print(
            f"| naive ORM loop, {args.sample:,} customers ({w:,} warned, {r:,} released) | {naive:.2f} s "
            f"(≈ {naive * scale:.0f} s for {args.customers:,}) |"
        )
    finally:
        if not args.keep:
            drop_db(server)


if __name__ == "__main__":
    main()
