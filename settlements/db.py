"""S3 in the database: on PostgreSQL, triggers refuse any change to a locked (approved/paid) settlement
and its lines — whatever path the write takes (a page, the API, the admin, a buggy service, raw SQL).

Installed idempotently by a post_migrate handler (CREATE OR REPLACE), never in a migration file. The
only change allowed on a locked settlement is the payout: approved → paid with paid_at/updated_at.
"""

from __future__ import annotations

from typing import Any

from common.db import postgres_sql_install, truncate_guard_sql

LOCK_SQL = r"""
CREATE OR REPLACE FUNCTION settlements_refuse_locked_settlement() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN ('approved', 'paid') THEN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'settlement % is locked (%)', OLD.id, OLD.status USING ERRCODE = 'P0001';
        END IF;
        IF OLD.status = 'approved' AND NEW.status = 'paid'
           AND (to_jsonb(NEW) - 'status' - 'paid_at' - 'updated_at')
               = (to_jsonb(OLD) - 'status' - 'paid_at' - 'updated_at') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'settlement % is locked (%)', OLD.id, OLD.status USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlements_refuse_locked_line() RETURNS trigger AS $$
DECLARE
    locked boolean;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status IN ('approved', 'paid') INTO locked
          FROM settlements_settlement WHERE id = OLD.settlement_id;
        IF locked THEN
            RAISE EXCEPTION 'settlement % is locked: its lines cannot change', OLD.settlement_id
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status IN ('approved', 'paid') INTO locked
          FROM settlements_settlement WHERE id = NEW.settlement_id;
        IF locked THEN
            RAISE EXCEPTION 'settlement % is locked: no lines can be added', NEW.settlement_id
                USING ERRCODE = 'P0001';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION settlements_refuse_step_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'settlement history is locked (append-only)' USING ERRCODE = 'P0001';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS settlements_settlement_lock ON settlements_settlement;
CREATE TRIGGER settlements_settlement_lock BEFORE UPDATE OR DELETE ON settlements_settlement
    FOR EACH ROW EXECUTE FUNCTION settlements_refuse_locked_settlement();
DROP TRIGGER IF EXISTS settlements_line_lock ON settlements_settlementline;
CREATE TRIGGER settlements_line_lock BEFORE INSERT OR UPDATE OR DELETE ON settlements_settlementline
    FOR EACH ROW EXECUTE FUNCTION settlements_refuse_locked_line();
-- Issue 17: a settlement is never "paid" without its payout (checked at commit: the payout row is
-- written in the same transaction, after the status change).
CREATE OR REPLACE FUNCTION settlements_refuse_paid_without_payout() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'paid' AND OLD.status <> 'paid' AND NOT EXISTS (
        SELECT 1 FROM settlements_payout WHERE settlement_id = NEW.id
    ) THEN
        RAISE EXCEPTION 'settlement % cannot be paid without a payout', NEW.id USING ERRCODE = 'P0001';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS settlements_paid_needs_payout ON settlements_settlement;
CREATE CONSTRAINT TRIGGER settlements_paid_needs_payout AFTER UPDATE ON settlements_settlement
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION settlements_refuse_paid_without_payout();
DROP TRIGGER IF EXISTS settlements_step_append_only ON settlements_settlementstep;
CREATE TRIGGER settlements_step_append_only BEFORE UPDATE OR DELETE ON settlements_settlementstep
    FOR EACH ROW EXECUTE FUNCTION settlements_refuse_step_change();
"""


# Issue 17: settlements, their lines, history and payouts are never truncated.
TRUNCATE_GUARDED = (
    "settlements_settlement",
    "settlements_settlementline",
    "settlements_settlementstep",
    "settlements_payout",
)


def install_lock_triggers(*, using: str = "default", **_: Any) -> None:
    postgres_sql_install(LOCK_SQL + truncate_guard_sql(*TRUNCATE_GUARDED), using=using)
