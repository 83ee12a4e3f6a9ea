"""Issue 17: the app runs under a PostgreSQL role that does not own the tables. Migrations run as the
owner; `manage.py create_app_role` (run as the owner, or a superuser) creates the app's role and grants
it row access only — SELECT/INSERT/UPDATE/DELETE on the tables, USAGE on the sequences — so the app's
own login cannot ALTER a table, drop or disable a trigger, or TRUNCATE history. Default privileges make
tables created by later migrations (by the same owner) reachable too."""

from __future__ import annotations

from django.db import connections, transaction
from psycopg import sql

from common.errors import DomainError

DML = sql.SQL("SELECT, INSERT, UPDATE, DELETE")


def app_role_statements(*, role: str, database: str, schema: str = "public") -> list[sql.Composed]:
    """The GRANTs (and REVOKEs) that make `role` a row-only user of `database`."""
    r, db, sch = sql.Identifier(role), sql.Identifier(database), sql.Identifier(schema)
    return [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sch, r),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sch, r),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(sch, r),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(DML, sch, r),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(sch, r),
        # tables and sequences the owner (this login) creates in later migrations
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT {} ON TABLES TO {}").format(sch, DML, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            sch, r
        ),
    ]


def app_role_create(*, role: str, password: str | None = None, using: str = "default") -> bool:
    """Create `role` (LOGIN, no superuser, no CREATEDB/CREATEROLE) if missing, then (re)grant row access on
    this database's tables. Idempotent: re-run it after a migrate if the owner changed. Returns whether the
    role was created now. Refuses a role that owns tables here or is a superuser: that would defeat it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise DomainError("create_app_role needs PostgreSQL", code="not_postgres")
    database = connection.settings_dict["NAME"]
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cur.fetchone()
        created = row is None
        if created:
            stmt = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT").format(
                sql.Identifier(role)
            )
            cur.execute(stmt.as_string(connection.connection))
        elif row[0]:
            raise DomainError(f"role {role} is a superuser: the app's role must not be", code="superuser")
        cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", [role])
        if cur.fetchone()[0]:
            raise DomainError(f"role {role} owns tables here: the app's role must not", code="owner")
        if password:
            stmt = sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
            cur.execute(stmt.as_string(connection.connection))
        for stmt in app_role_statements(role=role, database=database):
            cur.execute(stmt.as_string(connection.connection))
    return created
