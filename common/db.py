"""SQL the ORM cannot express (triggers, special indexes), installed idempotently after `migrate`."""

from __future__ import annotations

from typing import Any

from django.db import connections


def postgres_sql_install(sql: str, *, using: str = "default") -> bool:
    """Run idempotent DDL (CREATE OR REPLACE …, DROP … IF EXISTS) on PostgreSQL; other databases are
    left alone. Returns whether it ran."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(sql)
    return True


# Issue 17: history tables are never emptied wholesale. A statement-level BEFORE TRUNCATE trigger refuses
# TRUNCATE (also when it reaches the table through CASCADE) for every login but a superuser — a superuser
# can drop any trigger anyway, and it is what the test runner's `flush` uses between transactional tests.
# With the app on a non-owner role (README, "Security") TRUNCATE is not even granted; the trigger also
# protects an installation that still runs the app as the owner.
TRUNCATE_GUARD_FUNCTION = r"""
CREATE OR REPLACE FUNCTION common_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'table % is history: it cannot be truncated', TG_TABLE_NAME USING ERRCODE = 'P0001';
END;
$$ LANGUAGE plpgsql;
"""


def truncate_guard_sql(*tables: str) -> str:
    """The idempotent DDL that puts the TRUNCATE guard on `tables` (install with postgres_sql_install)."""
    parts = [TRUNCATE_GUARD_FUNCTION]
    for table in tables:
        trigger = f"{table}_no_truncate"
        parts.append(
            f"DROP TRIGGER IF EXISTS {trigger} ON {table};\n"
            f"CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table}\n"
            f"    FOR EACH STATEMENT EXECUTE FUNCTION common_refuse_truncate();\n"
        )
    return "\n".join(parts)


def indexes_built_after_migrate(app_label: str, indexes: list[tuple[str, Any]]) -> Any:
    """A migration operation for list indexes on big tables: the indexes (model name, models.Index) enter
    the migration state; on PostgreSQL the database gets them after `migrate`, CONCURRENTLY (the app's
    post-migrate handler, e.g. crm.signals.ensure_search_indexes), so a table of millions keeps taking
    writes; other databases (SQLite: tests, the demo) build them in the migration."""
    from django.db import migrations

    def create_unless_postgres(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            return
        for model_name, index in indexes:
            schema_editor.add_index(apps.get_model(app_label, model_name), index)

    def drop(apps: Any, schema_editor: Any) -> None:
        for model_name, index in indexes:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index.name)}")
            else:
                schema_editor.remove_index(apps.get_model(app_label, model_name), index)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=name, index=index) for name, index in indexes],
        database_operations=[migrations.RunPython(create_unless_postgres, drop)],
    )
