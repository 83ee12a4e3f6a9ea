"""Issue 17 (PostgreSQL): history tables refuse TRUNCATE, and the app's non-owner role (create_app_role)
can read and write rows but cannot edit settled ledger lines or closed months, cannot ALTER a table or
disable its triggers, and cannot TRUNCATE."""

from __future__ import annotations

import os

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from commissions.models import CommissionLine, CommissionPeriod
from tests.settlements.test_lock_postgres import SEP, _approved

HISTORY_TABLES = [
    "commissions_commissionline",
    "commissions_commissionperiod",
    "commissions_commissionforfeit",
    "settlements_settlement",
    "settlements_settlementline",
    "settlements_settlementstep",
    "settlements_payout",
    "crm_approvalrequest",
    "crm_approvalstep",
    "common_auditevent",
]


def _probe_role_error(role: str, sql: str) -> str:
    """Run `sql` as `role` (SET LOCAL ROLE inside a savepoint that is rolled back); the error text."""
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cur:
        cur.execute(f'SET LOCAL ROLE "{role}"')
        cur.execute(sql)
    return str(exc.value)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("table", HISTORY_TABLES)
def test_history_tables_refuse_truncate_even_with_the_truncate_right(table):
    # given a login that is not a superuser but holds TRUNCATE on every table (as their owner would)
    role = f"crm_truncate_probe_{os.getpid()}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cur.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')
    # when it truncates the table, then the guard trigger refuses
    assert f"table {table} is history" in _probe_role_error(role, f"TRUNCATE {table} CASCADE")


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_unguarded_table_can_still_be_truncated_by_a_holder_of_the_right():
    # the probe itself is sound: a table without the guard is truncated by the same kind of login
    role = f"crm_truncate_probe_{os.getpid()}"
    with connection.cursor() as cur:
        cur.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cur.execute(f'GRANT TRUNCATE ON common_jobsuccess TO "{role}"')
        cur.execute(f'SET LOCAL ROLE "{role}"')
        cur.execute("TRUNCATE common_jobsuccess")
        cur.execute("RESET ROLE")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_app_role_writes_rows_but_cannot_alter_disable_triggers_or_truncate(org):
    # given settled history and the app's role made by `manage.py create_app_role` (committed: a real login)
    s = _approved(org)
    line_id = s.lines.get().commission_line_id
    period_id = CommissionPeriod.objects.get(period=SEP).pk
    role = f"crm_app_probe_{os.getpid()}"
    call_command("create_app_role", role, verbosity=0)
    db = connection.settings_dict
    try:
        with psycopg.connect(
            host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, dbname=db["NAME"], user=role
        ) as app:
            cur = app.cursor()

            def refused(sql: str, *params: object) -> str:
                with pytest.raises(psycopg.Error) as exc:
                    cur.execute(sql, params or None)
                app.rollback()
                return str(exc.value)

            # it reads and writes ordinary rows
            cur.execute("SELECT count(*) FROM commissions_commissionline")
            assert cur.fetchone()[0] >= 1
            cur.execute("UPDATE crm_customer SET notes = notes")
            app.rollback()
            # the triggers still hold for it
            assert "settled" in refused(
                "UPDATE commissions_commissionline SET amount = 1 WHERE id = %s", line_id
            )
            assert "closed" in refused(
                "UPDATE commissions_commissionperiod SET closed = false WHERE id = %s", period_id
            )
            # and it can neither switch them off, nor change a table, nor empty one
            assert "must be owner" in refused("ALTER TABLE commissions_commissionline DISABLE TRIGGER ALL")
            assert "must be owner" in refused(
                "DROP TRIGGER commissions_line_settled_lock ON commissions_commissionline"
            )
            assert "must be owner" in refused("ALTER TABLE settlements_settlement ADD COLUMN x int")
            assert "permission denied" in refused("TRUNCATE settlements_settlementstep")
            assert "permission denied" in refused("TRUNCATE crm_customer CASCADE")
        # the ledger line is untouched
        assert CommissionLine.objects.get(pk=line_id).amount == s.lines.get().commission_line.amount
    finally:
        with connection.cursor() as c:
            c.execute(f'DROP OWNED BY "{role}"')
            c.execute(f'DROP ROLE "{role}"')


@pytest.mark.postgres
@pytest.mark.django_db
def test_create_app_role_refuses_a_superuser():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="superuser"):
        call_command("create_app_role", "postgres", verbosity=0)
