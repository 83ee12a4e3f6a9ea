"""Shared by the benchmarks that generate rows in SQL."""

from __future__ import annotations


def fill_not_null(cur, table: str, given: list[str]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Columns NOT NULL without a default that the generator does not set (added by other apps later):
    filled with a neutral value of their type, so the bench survives schema additions."""
    cur.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL""",
        (table,),
    )
    neutral = {
        "boolean": "false",
        "integer": "0",
        "bigint": "0",
        "smallint": "0",
        "numeric": "0",
        "date": "current_date",
        "timestamp with time zone": "now()",
        "jsonb": "'{}'::jsonb",
    }
    extra = [(c, neutral.get(t, "''")) for c, t in cur.fetchall() if c not in given and c != "id"]
    cols = "".join(f", {c}" for c, _v in extra)
    vals = "".join(f", {v}" for _c, v in extra)
    return cols, vals
