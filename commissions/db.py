"""Issue 17 (K10/K12 in the database): on PostgreSQL, triggers protect the ledger and its closed months
the way settlements/db.py protects settlements — whatever path the write takes (a page, the admin, a
buggy service, raw SQL with the app's own login):

* a settled or paid ledger line never changes and is never deleted (the one move allowed is the
  settlement's payout: settled → paid, nothing else touched);
* a closed month cannot be reopened or deleted.

Installed idempotently by a post_migrate handler (CREATE OR REPLACE), like the settlement triggers. With
the app running under a database role that does not own the tables (README, "Security"), the app can
neither drop nor disable them.
"""

from __future__ import annotations

from typing import Any

from common.db import postgres_sql_install, truncate_guard_sql

LEDGER_SQL = r"""
CREATE OR REPLACE FUNCTION commissions_refuse_settled_line_change() RETURNS trigger AS $$
BEGIN
    IF OLD.status IN ('settled', 'paid') THEN
        IF TG_OP = 'UPDATE' AND OLD.status = 'settled' AND NEW.status = 'paid'
           AND (to_jsonb(NEW) - 'status' - 'updated_at') = (to_jsonb(OLD) - 'status' - 'updated_at') THEN
            RETURN NEW;
        END IF;
        -- K11: a settled line of an approved but unpaid settlement may be forfeited (status and reason)
        IF TG_OP = 'UPDATE' AND OLD.status = 'settled' AND NEW.status = 'forfeited'
           AND (to_jsonb(NEW) - 'status' - 'reason' - 'updated_at')
               = (to_jsonb(OLD) - 'status' - 'reason' - 'updated_at') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'commission line % is % : settled lines never change', OLD.id, OLD.status
            USING ERRCODE = 'P0001';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION commissions_refuse_period_reopen() RETURNS trigger AS $$
BEGIN
    IF OLD.closed THEN
        IF TG_OP = 'DELETE' OR NOT NEW.closed OR NEW.period <> OLD.period THEN
            RAISE EXCEPTION 'commission month % is closed: it cannot reopen', OLD.period
                USING ERRCODE = 'P0001';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS commissions_line_settled_lock ON commissions_commissionline;
CREATE TRIGGER commissions_line_settled_lock BEFORE UPDATE OR DELETE ON commissions_commissionline
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_settled_line_change();
DROP TRIGGER IF EXISTS commissions_period_closed_lock ON commissions_commissionperiod;
CREATE TRIGGER commissions_period_closed_lock BEFORE UPDATE OR DELETE ON commissions_commissionperiod
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_period_reopen();
"""


# Issue 17: the ledger and its months are history: never truncated.
TRUNCATE_GUARDED = (
    "commissions_commissionline",
    "commissions_commissionperiod",
    "commissions_commissionforfeit",
)


def install_ledger_triggers(*, using: str = "default", **_: Any) -> None:
    postgres_sql_install(LEDGER_SQL + truncate_guard_sql(*TRUNCATE_GUARDED), using=using)
