"""C9/C10: inactivity warnings, release to the public pool (公海), claiming and assigning pool customers.

The sweep is set-based: per threshold a few INSERT … SELECT / UPDATE statements, whatever the number of
customers. It is idempotent (unique constraints per ownership + ON CONFLICT DO NOTHING + an advisory lock
on PostgreSQL so two beat instances queue instead of racing) and a follow-up logged while it runs wins:
the release UPDATE re-checks the contact clock in its own WHERE clause, so on PostgreSQL a row changed by
a concurrent follow-up is re-evaluated on its newest version and skipped.

A manager's release by hand (issue 16, crm.services.pool_release → `pool_release_by_hand`) writes the
same release record and, through `_release_record`, the same P1 history row and notices as the sweep.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import Conflict, DomainError, NotFound
from common.models import Notification
from common.notifications import email_enabled, notify
from common.timeutil import local_date, start_of_local_day
from crm import policy as crm_policy
from crm.contact_clock import CLOCK_SQL, EPOCH_SQL, RELEASED_CLOCK_SQL
from crm.extensions import CollisionCaseRef, open_opportunity_collision
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Department,
    Grade,
    Opportunity,
    OpportunityStage,
    OwnershipChange,
    OwnershipReason,
    PoolClaim,
    PoolPolicy,
    PoolRelease,
    PoolThreshold,
    PoolWarning,
    Role,
    User,
)
from crm.services import (
    customers as customer_services,
)  # module: crm.services.customers imports the policy, which imports this
from crm.services.industry import industry_check

# C9: a signed contract still being delivered exempts the customer.
CONTRACT_EXEMPT_STATUSES = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
# C9: "an opportunity in the final stage" = negotiation (won/lost are closed).
OPPORTUNITY_EXEMPT_STAGES = (OpportunityStage.NEGOTIATION,)
CLAIMING_ROLES = (Role.REP, Role.ACCOUNT_EXECUTIVE, Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
ASSIGNING_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
_LOCK_KEY = 740_319_001  # pg_advisory_xact_lock key of the sweep
DAYS_WORDS = gettext_noop("%(days)s 天")  # the counted days of the sweep's notices (ngettext: 1 day)
# Notices written before the days were counted words ({"days": "45"}) still read in English by these.
_EARLIER_WORDS = (
    gettext_noop("客户“%(name)s”已 %(days)s 天未联系，已转入公海。"),
    gettext_noop("您团队%(owner)s的客户“%(name)s”已 %(days)s 天未联系，已转入公海。"),
    gettext_noop("客户“%(name)s”已 %(days)s 天未联系，%(left)s 天后将转入公海，请尽快跟进。"),
)


@dataclass
class SweepResult:
    today: dt.date
    dry_run: bool
    warned: int = 0
    released: int = 0
    notifications: int = 0
    warned_sample: list[str] = field(default_factory=list)
    released_sample: list[str] = field(default_factory=list)
    batch: str = ""


# --- the sweep's SQL ------------------------------------------------------------------------------
#
# Each statement is written out whole, with a comment saying what it does, in the function that runs it.
# No value is ever formatted into the text: every one is a bound %(name)s parameter, all made once per
# sweep by `_sweep_params`. What is composed into the text is code, never data: the models' table names
# (quoted by Django) and the C9 conditions several statements share (the constants below).

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


def _dt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _cutoff(today: dt.date, days: int) -> dt.datetime:
    """Clock strictly before this instant ⇔ at least `days` whole local days have passed by `today`."""
    return start_of_local_day(today - dt.timedelta(days=days - 1))


def _sweep_params(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> dict[str, Any]:
    """Every value the sweep's statements bind: the day, the cut-offs and days per grade (the grade's
    rule, else the policy's defaults), the exemption switches, the notification texts (in the current
    language, their {placeholders} filled in SQL) and links, the batch."""
    rules = {rule.grade: rule for rule in policy.grade_rules.all()}
    params: dict[str, Any] = {
        "now": _dt(now),
        "batch": batch,
        "warn_before": _dt(_cutoff(today, policy.warn_days)),
        "release_before": _dt(_cutoff(today, policy.release_days)),
        "release_days": policy.release_days,
        "exempt_contracts": bool(policy.exempt_contract_in_delivery),
        "exempt_opportunities": bool(policy.exempt_final_stage_opportunity),
        "threshold_warn": PoolThreshold.WARN,
        "threshold_release": PoolThreshold.RELEASE,
        "history_reason": OwnershipReason.RELEASED,
        "changed_by": None,
        "release_reason": _("{days} 天未联系，已转入公海"),
        "released_text": _("客户“{name}”已 {days} 天未联系，已转入公海。"),
        "released_manager_text": _("您团队{owner}的客户“{name}”已 {days} 天未联系，已转入公海。"),
        "warn_text": _("客户“{name}”已 {days} 天未联系，{left} 天后将转入公海，请尽快跟进。"),
        # Issue 15: the same, as words each reader reads in their language; the days are counted words
        # ("%(days)s" is "1 day" or "45 days"), so the Chinese wording is the one above.
        "released_words": gettext_noop("客户“%(name)s”已 %(days)s未联系，已转入公海。"),
        "released_manager_words": gettext_noop(
            "您团队%(owner)s的客户“%(name)s”已 %(days)s未联系，已转入公海。"
        ),
        "warn_words": gettext_noop("客户“%(name)s”已 %(days)s未联系，%(left)s后将转入公海，请尽快跟进。"),
        "days_words": DAYS_WORDS,
        "by_name": "",
        "name_mark": "{name}",
        "days_mark": "{days}",
        "owner_mark": "{owner}",
        "left_mark": "{left}",
        "reason_mark": "{reason}",
        "pool_link": reverse("crm:pool_list"),
        "customer_link": reverse("crm:customer_detail", args=[987654321]),
        "customer_id_mark": "987654321",
    }
    for grade in Grade.values:
        rule = rules.get(grade)
        warn, release = (
            (rule.warn_days, rule.release_days) if rule else (policy.warn_days, policy.release_days)
        )
        params[f"grade_{grade}"] = grade
        params[f"warn_before_{grade}"] = _dt(_cutoff(today, warn))
        params[f"release_before_{grade}"] = _dt(_cutoff(today, release))
        params[f"release_days_{grade}"] = release
    for i, status in enumerate(CONTRACT_EXEMPT_STATUSES):
        params[f"contract_status_{i}"] = status
    for i, stage in enumerate(OPPORTUNITY_EXEMPT_STAGES):
        params[f"opportunity_stage_{i}"] = stage
    if connection.vendor == "postgresql":
        params |= {"today": today, "time_zone": settings.TIME_ZONE}
    else:
        offset = timezone.localtime(start_of_local_day(today)).utcoffset() or dt.timedelta()
        params |= {
            "today": today.isoformat(),
            "utc_offset": f"{int(offset.total_seconds() // 60):+d} minutes",
        }
    return params


def _exec(sql: str, params: dict[str, Any] | list[Any]) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


# --- the sweep ------------------------------------------------------------------------------------


def _insert_release_candidates(*, params: dict[str, Any]) -> int:
    # P1/C9: every customer due for release becomes a release candidate of this batch, with its reason
    # ("60 天未联系，已转入公海", the days of its own grade).
    return _exec(
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


def _release_update(*, params: dict[str, Any]) -> int:
    # The one statement that takes customers away: this batch's candidates lose their owner. Its WHERE
    # re-checks owner and contact clock on the row it updates: a follow-up committed since the
    # candidates were chosen keeps the customer.
    return _exec(
        f"""
        UPDATE {CUSTOMER} AS c SET owner_id = NULL, owned_since = NULL, updated_at = %(now)s
        WHERE c.owner_id IS NOT NULL AND {CLOCK} < {RELEASE_BEFORE}
          AND EXISTS (SELECT 1 FROM {POOL_RELEASE} r
                      WHERE r.batch = %(batch)s AND r.customer_id = c.id
                        AND r.previous_owner_id = c.owner_id AND r.owned_since = {EPOCH})
        """,
        params,
    )


def _release(*, params: dict[str, Any]) -> int:
    _insert_release_candidates(params=params)
    released = _release_update(params=params)
    # Candidates a concurrent follow-up (or a manager's reassignment) kept are not releases.
    _exec(
        f"""
        DELETE FROM {POOL_RELEASE} AS r
        WHERE r.batch = %(batch)s
          AND EXISTS (SELECT 1 FROM {CUSTOMER} c WHERE c.id = r.customer_id AND c.owner_id IS NOT NULL)
        """,
        params,
    )
    if not released:
        return 0
    # The release threshold's warning record, its days without contact counted from the release record's
    # epoch (the released row no longer has owned_since).
    _exec(
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
    _release_record(params=params)
    return released


def _release_record(*, params: dict[str, Any]) -> None:
    """What every release of a batch leaves behind, by the nightly sweep or by a manager's hand
    (pool_release_by_hand): the P1 ownership history row and the notices to the former owner and their
    manager. The texts' {name}, {owner}, {days} (the release warning's, by the sweep) and {reason} (the
    release record's) are filled in SQL."""
    # P1: the ownership history says why (the release record's reason) and who (None: the sweep).
    _exec(
        f"""
        INSERT INTO {OWNERSHIP_CHANGE}
               (customer_id, from_user_id, to_user_id, reason, note, changed_by_id, changed_at)
        SELECT r.customer_id, r.previous_owner_id, NULL, %(history_reason)s, r.reason, %(changed_by)s, %(now)s
        FROM {POOL_RELEASE} r
        WHERE r.batch = %(batch)s
        """,
        params,
    )
    days, by = _days_words_sql("COALESCE(w.days, 0)"), "CAST(%(by_name)s AS TEXT)"
    owner = "COALESCE(NULLIF(u.display_name, ''), u.username)"
    to_owner = _words_sql("released_words", name="c.name", days=days, reason="r.reason", by=by)
    to_manager = _words_sql(
        "released_manager_words", owner=owner, name="c.name", days=days, reason="r.reason", by=by
    )
    # C9: the owner is told ("客户“…”已 60 天未联系，已转入公海。"), with a link to the pool (not the
    # manager who released it by hand, when it was their own customer).
    _exec(
        f"""
        INSERT INTO {NOTIFICATION} (user_id, text, words, link, created_at, read_at, batch)
        SELECT r.previous_owner_id,
               REPLACE(REPLACE(REPLACE(%(released_text)s,
                                       %(name_mark)s, c.name),
                                       %(days_mark)s, CAST(COALESCE(w.days, 0) AS TEXT)),
                                       %(reason_mark)s, r.reason),
               {to_owner},
               %(pool_link)s, %(now)s, NULL, %(batch)s
        FROM {POOL_RELEASE} r
        JOIN {CUSTOMER} c ON c.id = r.customer_id
        LEFT JOIN {POOL_WARNING} w ON w.batch = r.batch AND w.customer_id = r.customer_id
                                  AND w.threshold = %(threshold_release)s
        WHERE r.batch = %(batch)s AND r.previous_owner_id <> COALESCE(%(changed_by)s, 0)
        """,
        params,
    )
    # C9: the owner's manager hears too (the direct manager, else the department's manager), with the
    # owner's name (display name, else username) — unless that manager released it.
    _exec(
        f"""
        INSERT INTO {NOTIFICATION} (user_id, text, words, link, created_at, read_at, batch)
        SELECT m.id,
               REPLACE(REPLACE(REPLACE(REPLACE(
                   %(released_manager_text)s,
                   %(owner_mark)s, {owner}),
                   %(name_mark)s, c.name),
                   %(days_mark)s, CAST(COALESCE(w.days, 0) AS TEXT)),
                   %(reason_mark)s, r.reason),
               {to_manager},
               %(pool_link)s, %(now)s, NULL, %(batch)s
        FROM {POOL_RELEASE} r
        JOIN {CUSTOMER} c ON c.id = r.customer_id
        JOIN {USER} u ON u.id = r.previous_owner_id
        JOIN {USER} m ON m.id = COALESCE(
            u.manager_id, (SELECT d.manager_id FROM {DEPARTMENT} d WHERE d.id = u.department_id)
        )
        LEFT JOIN {POOL_WARNING} w ON w.batch = r.batch AND w.customer_id = r.customer_id
                                  AND w.threshold = %(threshold_release)s
        WHERE r.batch = %(batch)s AND m.id <> u.id AND m.is_active AND m.id <> COALESCE(%(changed_by)s, 0)
        """,
        params,
    )


def _warn(*, params: dict[str, Any]) -> int:
    # C9: every customer due for a warning gets its warn-threshold record (once per ownership).
    warned = _exec(
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
    _exec(
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


def _dry_run(result: SweepResult, params: dict[str, Any]) -> None:
    """What the sweep would do, writing nothing: how many releases and warnings, the first 20 of each."""
    with connection.cursor() as cur:
        # How many customers are due for release, and the names of the first 20 (by id).
        cur.execute(f"SELECT COUNT(*) FROM {CUSTOMER} c WHERE {RELEASE_DUE}", params)
        result.released = int(cur.fetchone()[0])
        cur.execute(
            f"SELECT c.name FROM {CUSTOMER} c WHERE {RELEASE_DUE} ORDER BY c.id LIMIT %(limit)s", params
        )
        result.released_sample = [r[0] for r in cur.fetchall()]
        # The same for warnings.
        cur.execute(f"SELECT COUNT(*) FROM {CUSTOMER} c WHERE {WARN_DUE}", params)
        result.warned = int(cur.fetchone()[0])
        cur.execute(f"SELECT c.name FROM {CUSTOMER} c WHERE {WARN_DUE} ORDER BY c.id LIMIT %(limit)s", params)
        result.warned_sample = [r[0] for r in cur.fetchall()]


def pool_sweep(*, today: dt.date | None = None, dry_run: bool = False) -> SweepResult:
    """C9: warn owners at the warn threshold, release customers at the release threshold (set-based)."""
    today = today or timezone.localdate()
    policy = PoolPolicy.load()
    result = SweepResult(today=today, dry_run=dry_run)
    batch = uuid.uuid4().hex
    now = timezone.now()
    params = _sweep_params(policy=policy, today=today, now=now, batch=batch)
    if dry_run:
        _dry_run(result, {**params, "limit": 20})
        return result
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two beat instances (or a hand run during the nightly one) queue instead of racing.
            _exec("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _LOCK_KEY})
        result.released = _release(params=params)
        result.warned = _warn(params=params)
        result.notifications = Notification.objects.filter(batch=batch).count()
        if result.released:
            result.released_sample = list(
                PoolRelease.objects.filter(batch=batch)
                .order_by("customer_id")
                .values_list("customer__name", flat=True)[:20]
            )
        if result.warned:
            result.warned_sample = list(
                PoolWarning.objects.filter(batch=batch, threshold=PoolThreshold.WARN)
                .order_by("customer_id")
                .values_list("customer__name", flat=True)[:20]
            )
        if result.notifications and email_enabled():
            transaction.on_commit(lambda: _email_later(batch))
    result.batch = batch
    return result


def pool_release_by_hand(*, customer_ids: list[int], reason: str, by: User) -> int:
    """Release these customers to the pool now, as the sweep does (a release record per ownership, the
    same P1 history row and notices, through `_release_record`), the reason given by the manager `by`.
    The caller (crm.services.pool_release) has checked each customer and holds their rows."""
    if not customer_ids:
        return 0
    batch = uuid.uuid4().hex
    ids = {f"id_{i}": pk for i, pk in enumerate(customer_ids)}
    params: dict[str, Any] = {
        **ids,
        "now": _dt(timezone.now()),
        "batch": batch,
        "reason": reason,
        "threshold_release": PoolThreshold.RELEASE,
        "history_reason": OwnershipReason.RELEASED_BY_HAND,
        "changed_by": by.pk,
        "released_text": _("客户“{name}”已由%(by)s释放到公海，原因：{reason}。") % {"by": by},
        "released_manager_text": _("您团队{owner}的客户“{name}”已由%(by)s释放到公海，原因：{reason}。")
        % {"by": by},
        "released_words": gettext_noop("客户“%(name)s”已由%(by)s释放到公海，原因：%(reason)s。"),
        "released_manager_words": gettext_noop(
            "您团队%(owner)s的客户“%(name)s”已由%(by)s释放到公海，原因：%(reason)s。"
        ),
        "days_words": DAYS_WORDS,
        "by_name": str(by),
        "name_mark": "{name}",
        "days_mark": "{days}",
        "owner_mark": "{owner}",
        "reason_mark": "{reason}",
        "pool_link": reverse("crm:pool_list"),
    }
    in_list = ", ".join(f"%({key})s" for key in ids)
    # P1/C9: a release record for each chosen customer still owned, once per ownership.
    _exec(
        f"""
        INSERT INTO {POOL_RELEASE} (customer_id, previous_owner_id, owned_since, released_at, reason, batch)
        SELECT c.id, c.owner_id, {EPOCH}, %(now)s, %(reason)s, %(batch)s
        FROM {CUSTOMER} c
        WHERE c.id IN ({in_list}) AND c.owner_id IS NOT NULL
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    # They lose their owner (the same condition as the sweep's, without its clock).
    released = _exec(
        f"""
        UPDATE {CUSTOMER} AS c SET owner_id = NULL, owned_since = NULL, updated_at = %(now)s
        WHERE c.id IN ({in_list}) AND c.owner_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM {POOL_RELEASE} r
                      WHERE r.batch = %(batch)s AND r.customer_id = c.id
                        AND r.previous_owner_id = c.owner_id AND r.owned_since = {EPOCH})
        """,
        params,
    )
    if released:
        _release_record(params=params)
        if email_enabled():
            transaction.on_commit(lambda: _email_later(batch))
    return released


def _email_later(batch: str) -> None:
    from common.tasks import notifications_email_batch

    notifications_email_batch.delay(batch)


# --- reading a customer's state (badges) --------------------------------------------------------------


@dataclass
class PoolState:
    days: int | None
    warn_days: int
    release_days: int
    exempt: bool = False
    from_followup: bool = True  # the clock runs from the last follow-up, else from the hand-over
    since: dt.datetime | None = None

    @property
    def warned(self) -> bool:
        return self.days is not None and self.days >= self.warn_days

    @property
    def days_left(self) -> int | None:
        if self.days is None or self.exempt:
            return None
        return max(self.release_days - self.days, 0)


def contact_clock(customer: Customer) -> dt.datetime | None:
    return customer.contact_clock_start


def pool_days_without_contact(customer: Customer, *, today: dt.date | None = None) -> int | None:
    return customer.days_without_contact(today)


def pool_states(customers: list[Customer], *, policy: PoolPolicy | None = None) -> dict[int, PoolState]:
    """C9 badges for a page of customers: days without contact and days left before release.
    Exemptions are looked up (two queries) only for customers already past the warn threshold."""
    policy = policy or PoolPolicy.load()
    today = timezone.localdate()
    states: dict[int, PoolState] = {}
    for c in customers:
        if c.owner_id is None:
            continue
        warn, release = policy.days_for(c.grade)
        states[c.pk] = PoolState(
            days=pool_days_without_contact(c, today=today),
            warn_days=warn,
            release_days=release,
            from_followup=c.clock_from_followup,
            since=c.contact_clock_start,
        )
    flagged = [pk for pk, s in states.items() if s.warned]
    if flagged:
        exempt: set[int] = set()
        if policy.exempt_contract_in_delivery:
            exempt |= set(
                Contract.objects.filter(
                    customer_id__in=flagged, status__in=CONTRACT_EXEMPT_STATUSES
                ).values_list("customer_id", flat=True)
            )
        if policy.exempt_final_stage_opportunity:
            exempt |= set(
                Opportunity.objects.filter(
                    customer_id__in=flagged, stage__in=OPPORTUNITY_EXEMPT_STAGES
                ).values_list("customer_id", flat=True)
            )
        for pk in exempt:
            states[pk].exempt = True
    return states


# --- claiming and assigning (C10) -----------------------------------------------------------------


def can_claim(user: User) -> bool:
    # P2: a partner login that is also given a claiming role claims only in its region (pool_claim).
    return user.is_active and (user.has_role(*CLAIMING_ROLES) or user.sees_everything)


def can_assign(user: User) -> bool:
    return user.is_active and (user.has_role(*ASSIGNING_ROLES) or user.sees_everything)


def _take_from_pool(
    *, customer: Customer, to_user: User, by: User, assigned_by: User | None, reason: str
) -> Customer:
    """Exactly one winner: a conditional UPDATE … WHERE owner IS NULL (the row lock makes the loser wait,
    then see the new owner and update nothing). Then the P1 history row, like record_ownership_change."""
    now = timezone.now()
    taken = Customer.objects.filter(pk=customer.pk, owner__isnull=True).update(
        owner=to_user, owned_since=now, updated_at=now
    )
    if not taken:
        raise Conflict(
            _("手慢了：客户“%(name)s”刚刚已被其他人领取或分配。") % {"name": customer.name},
            code="already_claimed",
        )
    OwnershipChange.objects.create(
        customer=customer,
        from_user=None,
        to_user=to_user,
        reason=reason,
        note="" if assigned_by is None else _("公海客户分配给%(user)s") % {"user": to_user},
        changed_by=by,
        changed_at=now,
    )
    PoolClaim.objects.create(customer=customer, user=to_user, claimed_at=now, assigned_by=assigned_by)
    customer.refresh_from_db()
    # The claim stands (the customer was in the pool); a competing registration becomes a P3 case and
    # both sides are told (notification linking to the case).
    _pool_collisions(customer=customer, to_user=to_user, by=by)
    return customer


def _pool_collisions(*, customer: Customer, to_user: User, by: User) -> list[CollisionCaseRef]:
    """P3 on a claim/assignment from the pool: a pool customer has no owner, so the only "someone else
    who has registered it" our models can hold is the owner of an opportunity still open on it (release
    to the pool does not close opportunities; C9 only exempts the negotiation stage). Each such
    registrant (other than the new owner) becomes a party against the new owner, with the opportunity's
    registration time as evidence — so "first registered wins" proposes the earlier registrant."""
    opps = (
        Opportunity.objects.filter(customer=customer, closed_at__isnull=True)
        .exclude(owner=to_user)
        .select_related("owner")
        .order_by("registered_at", "id")
    )
    cases: list[CollisionCaseRef] = []
    seen: set[int] = set()
    for opp in opps:
        if opp.owner_id in seen or not opp.owner.is_active:
            continue
        seen.add(opp.owner_id)
        case = open_opportunity_collision(
            opp=opp, customer=customer, claimant=opp.owner, source="pool_claim", by=by, claimed_by=to_user.pk
        )
        if case is not None and case not in cases:
            cases.append(case)
    if cases:
        link = cases[0].get_absolute_url()
        text = words(
            gettext_noop("公海客户“%(name)s”另有他人报备的商机，系统已发起撞单处理。"), name=customer.name
        )
        users = [to_user, *(o.owner for o in opps if o.owner_id in seen)]  # opps is already evaluated
        transaction.on_commit(lambda: notify(users=users, text=text, link=link))
    return cases


def _pool_customer(customer: Customer | int) -> Customer:
    pk = customer.pk if isinstance(customer, Customer) else customer
    found = Customer.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("客户不存在。"))
    return found


def pool_claim(*, customer: Customer | int, by: User) -> Customer:
    """C10: a rep takes a pool customer, within the daily limit, the owned limit and the cooling-off."""
    if not can_claim(by):
        raise DomainError(_("只有销售人员可以领取公海客户。"), code="forbidden", status=403)
    policy = PoolPolicy.load()
    with transaction.atomic():
        # One rep's claims queue on their own user row, so the daily and owned limits hold under races.
        User.objects.select_for_update().filter(pk=by.pk).first()
        customer = _pool_customer(customer)
        if customer.owner_id is not None:
            raise Conflict(_("客户“%(name)s”已不在公海中。") % {"name": customer.name}, code="not_in_pool")
        customer_services.partner_rights_check(user=by, region_id=customer.region_id)
        industry_check(user=by, industry_id=customer.industry_id)  # 001 第八章
        today = timezone.localdate()
        claimed_today = PoolClaim.objects.filter(
            user=by, assigned_by__isnull=True, claimed_at__gte=start_of_local_day(today)
        ).count()
        if claimed_today >= policy.daily_claim_limit:
            raise DomainError(
                _("您今天已领取 %(n)s 个公海客户，已达每日上限（%(limit)s 个），请明天再领。")
                % {"n": claimed_today, "limit": policy.daily_claim_limit},
                code="claim_daily_limit",
            )
        owned = Customer.objects.filter(owner=by).count()
        if owned >= policy.max_owned:
            raise DomainError(
                _("您名下已有 %(n)s 个客户，已达上限（%(limit)s 个）：请先跟进或交回部分客户再领取。")
                % {"n": owned, "limit": policy.max_owned},
                code="claim_max_owned",
            )
        if policy.cooling_off_days:
            last = (
                PoolRelease.objects.filter(customer=customer, previous_owner=by)
                .order_by("-released_at")
                .values_list("released_at", flat=True)
                .first()
            )
            if last is not None:
                free_on = local_date(last) + dt.timedelta(days=policy.cooling_off_days)
                if today < free_on:
                    raise DomainError(
                        _(
                            "该客户于 %(date)s 从您名下释放到公海，%(days)s 天内不能重新领取，"
                            "%(free)s 起可以领取。"
                        )
                        % {
                            "date": local_date(last).isoformat(),
                            "days": policy.cooling_off_days,
                            "free": free_on.isoformat(),
                        },
                        code="claim_cooling_off",
                    )
        return _take_from_pool(
            customer=customer, to_user=by, by=by, assigned_by=None, reason=OwnershipReason.CLAIMED
        )


def pool_assign(*, customer: Customer | int, to_user: User, by: User) -> Customer:
    """C10: a manager gives a pool customer to a rep of their team (no claim limits apply)."""
    if not can_assign(by):
        raise DomainError(_("只有经理可以分配公海客户。"), code="forbidden", status=403)
    if not to_user.is_active:
        raise DomainError(_("不能分配给已停用的用户。"), code="inactive_user", field="to_user")
    if not by.sees_everything and to_user.pk not in crm_policy.team_member_ids(by):
        raise DomainError(_("只能分配给您团队的成员。"), code="not_in_team", field="to_user")
    with transaction.atomic():
        customer = _pool_customer(customer)
        if customer.owner_id is not None:
            raise Conflict(_("客户“%(name)s”已不在公海中。") % {"name": customer.name}, code="not_in_pool")
        customer_services.partner_rights_check(user=to_user, region_id=customer.region_id)
        customer = _take_from_pool(
            customer=customer, to_user=to_user, by=by, assigned_by=by, reason=OwnershipReason.ASSIGNED
        )
        link = reverse("crm:customer_detail", args=[customer.pk])
        text = words(gettext_noop("%(by)s 把公海客户“%(name)s”分配给了您。"), by=by, name=customer.name)
        transaction.on_commit(lambda: notify(users=[to_user], text=text, link=link))
    return customer
