"""Issue 17 (K10/K12 in the database): on PostgreSQL, triggers protect the ledger and its closed months
the way settlements/db.py protects settlements — whatever path the write takes (a page, the admin, a
buggy service, raw SQL with the app's own login):

* a settled or paid ledger line never changes and is never deleted (the one move allowed is the
  settlement's payout: settled → paid, nothing else touched);
* a closed month cannot be reopened or deleted;
* every ledger line names a payee (user), a plan and a credit share of its own order that exist, and
  none of them can be deleted (or its key changed) while a line names it — what three foreign keys
  guaranteed, checked once per statement instead of once per line (`LEDGER_KEYS_SQL`).

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


# Issue 12 (README: Performance, the per-category path): the ledger's keys to its payee, its plan and its
# (credit share, order) are checked per statement, not per line. A foreign key runs one
# `SELECT … FOR KEY SHARE` per inserted line and key — half of what PostgreSQL spent writing a month's
# 440,000 lines. These triggers give the same guarantees set-based:
# * after each INSERT statement (a COPY chunk, a bulk_create): the rows the new lines name are locked
#   FOR KEY SHARE, as a foreign key locks them, in one statement per key; then any new line naming one
#   that does not exist fails the statement with foreign_key_violation (23503: Django's IntegrityError);
# * an UPDATE that changes a key is checked the same way, row by row (the month run never changes one);
# * a user, a plan or a credit share a line names cannot be deleted, nor its key changed (NO ACTION).
# The lock is what makes this as safe as a foreign key under concurrency: a DELETE of a locked row
# waits for the inserting transaction, and its check then sees the committed lines. MATCH SIMPLE as the
# keys were: a line without a payee user, plan or share is not checked for it.
def _ledger_key_check(lines: str) -> str:
    """The body of a key check, one text for the per-statement and the per-row trigger: lock what the
    lines `lines` name (a row source: the statement's new lines, or the one changed line), then refuse a
    line that names one that does not exist."""
    return f"""
    PERFORM 1 FROM crm_user u
        WHERE u.id IN (SELECT n.payee_user_id FROM {lines} n) FOR KEY SHARE OF u;
    PERFORM 1 FROM commissions_commissionplan p
        WHERE p.id IN (SELECT n.plan_id FROM {lines} n) FOR KEY SHARE OF p;
    PERFORM 1 FROM partners_creditshare s
        WHERE (s.id, s.order_id) IN (SELECT n.credit_share_id, n.order_id FROM {lines} n)
        FOR KEY SHARE OF s;
    SELECT n.id, n.payee_user_id, n.plan_id, n.credit_share_id, n.order_id INTO bad
        FROM {lines} n
        WHERE (n.payee_user_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM crm_user u WHERE u.id = n.payee_user_id))
           OR (n.plan_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM commissions_commissionplan p WHERE p.id = n.plan_id))
           OR (n.credit_share_id IS NOT NULL AND n.order_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM partners_creditshare s
                               WHERE s.id = n.credit_share_id AND s.order_id = n.order_id))
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'commission line % names a payee (%), plan (%) or credit share (% of order %) '
            'that does not exist', bad.id, bad.payee_user_id, bad.plan_id, bad.credit_share_id, bad.order_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;"""


_CHANGED_LINE = (
    "(SELECT NEW.id AS id, NEW.payee_user_id AS payee_user_id, NEW.plan_id AS plan_id,"
    " NEW.credit_share_id AS credit_share_id, NEW.order_id AS order_id)"
)

LEDGER_KEYS_SQL = f"""
CREATE OR REPLACE FUNCTION commissions_line_keys_check() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN{_ledger_key_check("commissions_new_lines")}
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION commissions_line_key_check_row() RETURNS trigger AS $$
DECLARE
    bad record;
BEGIN{_ledger_key_check(_CHANGED_LINE)}
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION commissions_refuse_named_key_change() RETURNS trigger AS $$
DECLARE
    named boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id
       AND (TG_TABLE_NAME <> 'partners_creditshare'
            OR to_jsonb(NEW) -> 'order_id' = to_jsonb(OLD) -> 'order_id') THEN
        RETURN NEW;  -- the key was written, not changed
    END IF;
    IF TG_TABLE_NAME = 'crm_user' THEN
        named := EXISTS (SELECT 1 FROM commissions_commissionline l WHERE l.payee_user_id = OLD.id);
    ELSIF TG_TABLE_NAME = 'commissions_commissionplan' THEN
        named := EXISTS (SELECT 1 FROM commissions_commissionline l WHERE l.plan_id = OLD.id);
    ELSE
        named := EXISTS (SELECT 1 FROM commissions_commissionline l
                         WHERE l.order_id = OLD.order_id AND l.credit_share_id = OLD.id);
    END IF;
    IF named THEN
        RAISE EXCEPTION '% % is named by commission lines: it cannot be deleted or re-keyed',
            TG_TABLE_NAME, OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS commissions_line_keys_insert ON commissions_commissionline;
CREATE TRIGGER commissions_line_keys_insert AFTER INSERT ON commissions_commissionline
    REFERENCING NEW TABLE AS commissions_new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION commissions_line_keys_check();
DROP TRIGGER IF EXISTS commissions_line_keys_update ON commissions_commissionline;
CREATE TRIGGER commissions_line_keys_update
    AFTER UPDATE OF payee_user_id, plan_id, credit_share_id, order_id ON commissions_commissionline
    FOR EACH ROW WHEN (OLD.payee_user_id IS DISTINCT FROM NEW.payee_user_id
                       OR OLD.plan_id IS DISTINCT FROM NEW.plan_id
                       OR OLD.credit_share_id IS DISTINCT FROM NEW.credit_share_id
                       OR OLD.order_id IS DISTINCT FROM NEW.order_id)
    EXECUTE FUNCTION commissions_line_key_check_row();
DROP TRIGGER IF EXISTS commissions_named_user_kept ON crm_user;
CREATE TRIGGER commissions_named_user_kept BEFORE DELETE OR UPDATE OF id ON crm_user
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_named_key_change();
DROP TRIGGER IF EXISTS commissions_named_plan_kept ON commissions_commissionplan;
CREATE TRIGGER commissions_named_plan_kept BEFORE DELETE OR UPDATE OF id ON commissions_commissionplan
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_named_key_change();
DROP TRIGGER IF EXISTS commissions_named_share_kept ON partners_creditshare;
CREATE TRIGGER commissions_named_share_kept BEFORE DELETE OR UPDATE OF id, order_id ON partners_creditshare
    FOR EACH ROW EXECUTE FUNCTION commissions_refuse_named_key_change();
"""


# Issue 17: the ledger and its months are history: never truncated.
TRUNCATE_GUARDED = (
    "commissions_commissionline",
    "commissions_commissionperiod",
    "commissions_commissionforfeit",
)


def install_ledger_triggers(*, using: str = "default", **_: Any) -> None:
    postgres_sql_install(LEDGER_SQL + LEDGER_KEYS_SQL + truncate_guard_sql(*TRUNCATE_GUARDED), using=using)
