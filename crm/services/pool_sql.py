"""C9/C10: the SQL statements of the public-pool sweep (crm.services.pool.pool_sweep) and of a
manager's release by hand (pool_release_by_hand): set-based INSERT … SELECT / UPDATE statements, the
same on PostgreSQL and SQLite but for the few expressions `_days_since` and `_json_object` choose.

crm.services.pool decides what runs and binds the values (`_sweep_params`); this module only holds the
statements, so each is read whole in one place."""

from __future__ import annotations

from typing import Any

from django.db import connection

from common.models import Notification
from crm.contact_clock import CLOCK_SQL, EPOCH_SQL, RELEASED_CLOCK_SQL
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Department,
    Grade,
    Opportunity,
    OpportunityStage,
    OwnershipChange,
    PoolRelease,
    PoolWarning,
    User,
)

# C9: a signed contract still being delivered exempts the customer.
CONTRACT_EXEMPT_STATUSES = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
# C9: "an opportunity in the final stage" = negotiation (won/lost are closed).
OPPORTUNITY_EXEMPT_STAGES = (OpportunityStage.NEGOTIATION,)

# --- the sweep's SQL ------------------------------------------------------------------------------
#
# Each statement is written out whole, with a comment saying what it does, in the function that runs it.
# No value is ever formatted into the text: every one is a bound %(name)s parameter, all made once per
# sweep by crm.services.pool's `_sweep_params`. What is composed into the text is code, never data: the
# models' table names (quoted by Django) and the C9 conditions several statements share (the constants below).

_quote = connection.ops.quote_name
CUSTOMER = _quote(Customer._meta.db_table)
CONTRACT = _quote(Contract._meta.db_table)
OPPORTUNITY = _quote(Opportunity._meta.db_table)
DEPARTMENT = _quote(Department._meta.db_table)
USER = _quote(User._meta.db_table)
POOL_RELEASE = _quote(PoolRelease._meta.db_table)
POOL_WARNING = _quote(PoolWarning._meta.db_table)
OWNERSHIP_CHANGE = _quote(OwnershipChange._meta.db_table)
NOTIFICATION = _quote(Notification._meta.db_table)

# C9: the release clock is defined once, in crm.contact_clock (the badges and "my day" read the same).
EPOCH = EPOCH_SQL
CLOCK = CLOCK_SQL
RELEASED_CLOCK = RELEASED_CLOCK_SQL


def _for_grade(name: str) -> str:
    """SQL: the parameter `<name>_<grade>` for customer c's grade, else `<name>` (the policy default)."""
    whens = " ".join(f"WHEN %(grade_{g})s THEN %({name}_{g})s" for g in Grade.values)
    return f"(CASE c.grade {whens} ELSE %({name})s END)"


def _placeholders(name: str, values: tuple[str, ...]) -> str:
    """SQL: `%(<name>_0)s, %(<name>_1)s, …`, one per value of a constant tuple (an IN list)."""
    return ", ".join(f"%({name}_{i})s" for i in range(len(values)))


# C9, for customer c (its grade's rule, else the policy's days): a warning is due when its clock is
# before WARN_BEFORE, a release when it is before RELEASE_BEFORE; RELEASE_DAYS is its release threshold.
WARN_BEFORE = _for_grade("warn_before")
RELEASE_BEFORE = _for_grade("release_before")
RELEASE_DAYS = _for_grade("release_days")

# C9 exemptions, each switched on or off in the policy (a switched-off one matches no row): a contract
# signed or in delivery, an opportunity in the final stage.
NOT_EXEMPT = (
    f"NOT EXISTS (SELECT 1 FROM {CONTRACT} k WHERE %(exempt_contracts)s AND k.customer_id = c.id"
    f" AND k.status IN ({_placeholders('contract_status', CONTRACT_EXEMPT_STATUSES)}))"
    f" AND NOT EXISTS (SELECT 1 FROM {OPPORTUNITY} o WHERE %(exempt_opportunities)s AND o.customer_id = c.id"
    f" AND o.stage IN ({_placeholders('opportunity_stage', OPPORTUNITY_EXEMPT_STAGES)}))"
)

# C9: customer c is due for release: owned, silent past its release threshold, not exempt.
RELEASE_DUE = f"c.owner_id IS NOT NULL AND {CLOCK} < {RELEASE_BEFORE} AND {NOT_EXEMPT}"

# C9: customer c is due for a warning: owned, silent past its warn threshold but not its release
# threshold, not exempt, and not yet warned in this ownership.
WARN_DUE = (
    f"c.owner_id IS NOT NULL AND {CLOCK} < {WARN_BEFORE} AND {CLOCK} >= {RELEASE_BEFORE} AND {NOT_EXEMPT}"
    f" AND NOT EXISTS (SELECT 1 FROM {POOL_WARNING} w WHERE w.customer_id = c.id"
    f" AND w.owned_since = {EPOCH} AND w.threshold = %(threshold_warn)s)"
)


def _days_since(clock: str) -> str:
    """SQL: whole Asia/Shanghai days from `clock` (one of the clock constants above) to %(today)s."""
    if connection.vendor == "postgresql":
        return f"(%(today)s::date - ({clock} AT TIME ZONE %(time_zone)s)::date)"
    return f"CAST(julianday(%(today)s) - julianday(date({clock}, %(utc_offset)s)) AS INTEGER)"


def _json_object() -> str:
    return "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"


def _words_sql(msgid: str, **args: str) -> str:
    """SQL: a notification's words (common.deferred_text: message id + arguments, read in the reader's
    language) built row by row; `msgid` names a parameter, each argument is an SQL text expression."""
    build = _json_object()
    pairs = ", ".join(f"'{name}', {sql}" for name, sql in args.items())
    return f"{build}('m', CAST(%({msgid})s AS TEXT), 'a', {build}({pairs}))"


def _days_words_sql(days: str) -> str:
    """SQL: "N 天" as counted words (common.deferred_text.words_plural: "1 day", "2 days" in English)
    for an SQL integer expression — a JSON number, so the reader's ngettext can count it."""
    build = _json_object()
    return (
        f"{build}('m', CAST(%(days_words)s AS TEXT), 'p', CAST(%(days_words)s AS TEXT), 'c', 'days',"
        f" 'a', {build}('days', {days}))"
    )


def execute(sql: str, params: dict[str, Any] | list[Any]) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


def insert_release_candidates(*, params: dict[str, Any]) -> int:
    # P1/C9: every customer due for release becomes a release candidate of this batch, with its reason
    # ("60 天未联系，已转入公海", the days of its own grade).
    return execute(
        f"""
        INSERT INTO {POOL_RELEASE} (customer_id, previous_owner_id, owned_since, released_at, reason, batch)
        SELECT c.id, c.owner_id, {EPOCH}, %(now)s,
               REPLACE(%(release_reason)s, %(days_mark)s, CAST({RELEASE_DAYS} AS TEXT)), %(batch)s
        FROM {CUSTOMER} c
        WHERE {RELEASE_DUE}
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def release_update(*, params: dict[str, Any]) -> int:
    # The one statement that takes customers away: this batch's candidates lose their owner. Its WHERE
    # re-checks owner and contact clock on the row it updates: a follow-up committed since the
    # candidates were chosen keeps the customer.
    return execute(
        f"""
        UPDATE {CUSTOMER} AS c SET owner_id = NULL, owned_since = NULL, updated_at = %(now)s
        WHERE c.owner_id IS NOT NULL AND {CLOCK} < {RELEASE_BEFORE}
          AND EXISTS (SELECT 1 FROM {POOL_RELEASE} r
                      WHERE r.batch = %(batch)s AND r.customer_id = c.id
                        AND r.previous_owner_id = c.owner_id AND r.owned_since = {EPOCH})
        """,
        params,
    )


def drop_kept_candidates(*, params: dict[str, Any]) -> int:
    # Candidates a concurrent follow-up (or a manager's reassignment) kept are not releases.
    return execute(
        f"""
        DELETE FROM {POOL_RELEASE} AS r
        WHERE r.batch = %(batch)s
          AND EXISTS (SELECT 1 FROM {CUSTOMER} c WHERE c.id = r.customer_id AND c.owner_id IS NOT NULL)
        """,
        params,
    )


def insert_release_warnings(*, params: dict[str, Any]) -> int:
    # The release threshold's warning record, its days without contact counted from the release record's
    # epoch (the released row no longer has owned_since).
    return execute(
        f"""
        INSERT INTO {POOL_WARNING} (customer_id, owner_id, owned_since, threshold, days, created_at, batch)
        SELECT r.customer_id, r.previous_owner_id, r.owned_since, %(threshold_release)s,
               {_days_since(RELEASED_CLOCK)}, %(now)s, %(batch)s
        FROM {POOL_RELEASE} r JOIN {CUSTOMER} c ON c.id = r.customer_id
        WHERE r.batch = %(batch)s
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def release_record(*, params: dict[str, Any], by_hand: bool = False) -> None:
    """What every release of a batch leaves behind, by the nightly sweep or by a manager's hand
    (pool_release_by_hand): the P1 ownership history row and the notices to the former owner and their
    manager. The texts' {name}, {owner}, {days} (by the sweep: the days without contact, counted as its
    release warning counts them; by hand: 0, no text names them) and {reason} (the release record's) are
    filled in SQL.

    The days are computed from the release record and the customer row, not joined from this batch's
    release warnings: joined, the planner (no statistics yet on the batch's fresh rows) chose a nested
    loop over every pair of releases and warnings, 40 s per notice statement for 33 k releases."""
    # P1: the ownership history says why (the release record's reason) and who (None: the sweep). Issue 15:
    # the sweep's reason also as words, the days of the customer's grade counted ("60 days"), so each
    # reader reads it in their language; a manager's reason by hand reads as typed (no words).
    note_words = "NULL" if by_hand else _words_sql("release_reason_words", days=_days_words_sql(RELEASE_DAYS))
    execute(
        f"""
        INSERT INTO {OWNERSHIP_CHANGE}
               (customer_id, from_user_id, to_user_id, reason, note, note_words, changed_by_id, changed_at)
        SELECT r.customer_id, r.previous_owner_id, NULL, %(history_reason)s, r.reason, {note_words},
               %(changed_by)s, %(now)s
        FROM {POOL_RELEASE} r JOIN {CUSTOMER} c ON c.id = r.customer_id
        WHERE r.batch = %(batch)s
        """,
        params,
    )
    days_sql = "0" if by_hand else _days_since(RELEASED_CLOCK)  # = the release warning's days
    days, by = _days_words_sql(days_sql), "CAST(%(by_name)s AS TEXT)"
    owner = "COALESCE(NULLIF(u.display_name, ''), u.username)"
    to_owner = _words_sql("released_words", name="c.name", days=days, reason="r.reason", by=by)
    to_manager = _words_sql(
        "released_manager_words", owner=owner, name="c.name", days=days, reason="r.reason", by=by
    )
    # C9: the owner is told ("客户“…”已 60 天未联系，已转入公海。"), with a link to the pool (not the
    # manager who released it by hand, when it was their own customer).
    execute(
        f"""
        INSERT INTO {NOTIFICATION} (user_id, text, words, link, created_at, read_at, batch)
        SELECT r.previous_owner_id,
               REPLACE(REPLACE(REPLACE(%(released_text)s,
                                       %(name_mark)s, c.name),
                                       %(days_mark)s, CAST({days_sql} AS TEXT)),
                                       %(reason_mark)s, r.reason),
               {to_owner},
               %(pool_link)s, %(now)s, NULL, %(batch)s
        FROM {POOL_RELEASE} r
        JOIN {CUSTOMER} c ON c.id = r.customer_id
        WHERE r.batch = %(batch)s AND r.previous_owner_id <> COALESCE(%(changed_by)s, 0)
        """,
        params,
    )
    # C9: the owner's manager hears too (the direct manager, else the department's manager), with the
    # owner's name (display name, else username) — unless that manager released it.
    execute(
        f"""
        INSERT INTO {NOTIFICATION} (user_id, text, words, link, created_at, read_at, batch)
        SELECT m.id,
               REPLACE(REPLACE(REPLACE(REPLACE(
                   %(released_manager_text)s,
                   %(owner_mark)s, {owner}),
                   %(name_mark)s, c.name),
                   %(days_mark)s, CAST({days_sql} AS TEXT)),
                   %(reason_mark)s, r.reason),
               {to_manager},
               %(pool_link)s, %(now)s, NULL, %(batch)s
        FROM {POOL_RELEASE} r
        JOIN {CUSTOMER} c ON c.id = r.customer_id
        JOIN {USER} u ON u.id = r.previous_owner_id
        JOIN {USER} m ON m.id = COALESCE(
            u.manager_id, (SELECT d.manager_id FROM {DEPARTMENT} d WHERE d.id = u.department_id)
        )
        WHERE r.batch = %(batch)s AND m.id <> u.id AND m.is_active AND m.id <> COALESCE(%(changed_by)s, 0)
        """,
        params,
    )


def warn(*, params: dict[str, Any]) -> int:
    # C9: every customer due for a warning gets its warn-threshold record (once per ownership).
    warned = execute(
        f"""
        INSERT INTO {POOL_WARNING} (customer_id, owner_id, owned_since, threshold, days, created_at, batch)
        SELECT c.id, c.owner_id, {EPOCH}, %(threshold_warn)s, {_days_since(CLOCK)}, %(now)s, %(batch)s
        FROM {CUSTOMER} c
        WHERE {WARN_DUE}
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    if not warned:
        return 0
    # C9: the owner is told how many days are left before the release, with a link to the customer.
    days, left = _days_words_sql("w.days"), _days_words_sql(f"{RELEASE_DAYS} - w.days")
    execute(
        f"""
        INSERT INTO {NOTIFICATION} (user_id, text, words, link, created_at, read_at, batch)
        SELECT w.owner_id,
               REPLACE(REPLACE(REPLACE(%(warn_text)s,
                                       %(name_mark)s, c.name),
                                       %(days_mark)s, CAST(w.days AS TEXT)),
                                       %(left_mark)s, CAST({RELEASE_DAYS} - w.days AS TEXT)),
               {_words_sql("warn_words", name="c.name", days=days, left=left)},
               REPLACE(%(customer_link)s, %(customer_id_mark)s, CAST(c.id AS TEXT)),
               %(now)s, NULL, %(batch)s
        FROM {POOL_WARNING} w JOIN {CUSTOMER} c ON c.id = w.customer_id
        WHERE w.batch = %(batch)s AND w.threshold = %(threshold_warn)s
        """,
        params,
    )
    return warned


def dry_run_counts(params: dict[str, Any]) -> tuple[int, list[str], int, list[str]]:
    """What the sweep would do, writing nothing: how many releases and the first names (by id, up to
    %(limit)s), then the same for warnings."""
    with connection.cursor() as cur:
        # How many customers are due for release, and the names of the first ones (by id).
        cur.execute(f"SELECT COUNT(*) FROM {CUSTOMER} c WHERE {RELEASE_DUE}", params)
        released = int(cur.fetchone()[0])
        cur.execute(
            f"SELECT c.name FROM {CUSTOMER} c WHERE {RELEASE_DUE} ORDER BY c.id LIMIT %(limit)s", params
        )
        released_sample = [r[0] for r in cur.fetchall()]
        # The same for warnings.
        cur.execute(f"SELECT COUNT(*) FROM {CUSTOMER} c WHERE {WARN_DUE}", params)
        warned = int(cur.fetchone()[0])
        cur.execute(f"SELECT c.name FROM {CUSTOMER} c WHERE {WARN_DUE} ORDER BY c.id LIMIT %(limit)s", params)
        warned_sample = [r[0] for r in cur.fetchall()]
    return released, released_sample, warned, warned_sample


def insert_hand_releases(*, params: dict[str, Any], in_list: str) -> int:
    # P1/C9: a release record for each chosen customer still owned, once per ownership (`in_list`: the
    # customers' bound %(id_N)s parameters).
    return execute(
        f"""
        INSERT INTO {POOL_RELEASE} (customer_id, previous_owner_id, owned_since, released_at, reason, batch)
        SELECT c.id, c.owner_id, {EPOCH}, %(now)s, %(reason)s, %(batch)s
        FROM {CUSTOMER} c
        WHERE c.id IN ({in_list}) AND c.owner_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def hand_release_update(*, params: dict[str, Any], in_list: str) -> int:
    # They lose their owner (the same condition as the sweep's, without its clock).
    return execute(
        f"""
        UPDATE {CUSTOMER} AS c SET owner_id = NULL, owned_since = NULL, updated_at = %(now)s
        WHERE c.id IN ({in_list}) AND c.owner_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM {POOL_RELEASE} r
                      WHERE r.batch = %(batch)s AND r.customer_id = c.id
                        AND r.previous_owner_id = c.owner_id AND r.owned_since = {EPOCH})
        """,
        params,
    )
