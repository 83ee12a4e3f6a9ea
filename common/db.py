"""SQL the ORM cannot express (triggers, special indexes), installed idempotently after `migrate`."""

from __future__ import annotations

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
