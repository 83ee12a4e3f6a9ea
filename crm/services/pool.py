"""C9/C10: inactivity warnings, release to the public pool (公海), claiming and assigning pool customers.

The sweep is set-based: per threshold a few INSERT … SELECT / UPDATE statements, whatever the number of
customers. It is idempotent (unique constraints per ownership + ON CONFLICT DO NOTHING + an advisory lock
on PostgreSQL so two beat instances queue instead of racing) and a follow-up logged while it runs wins:
the release UPDATE re-checks the contact clock in its own WHERE clause, so on PostgreSQL a row changed by
a concurrent follow-up is re-evaluated on its newest version and skipped.
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

from common.errors import Conflict, DomainError, NotFound
from common.models import Notification
from common.notifications import email_enabled, notify
from common.timeutil import local_date, start_of_local_day
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Department,
    Opportunity,
    OpportunityStage,
    PoolClaim,
    PoolPolicy,
    PoolRelease,
    PoolThreshold,
    PoolWarning,
    Role,
    User,
)
from crm.selectors import team_member_ids
from crm.services.customers import partner_rights_check
from crm.services.industry import industry_check
from partners.models import OwnershipChange, OwnershipReason

# C9: a signed contract still being delivered exempts the customer.
CONTRACT_EXEMPT_STATUSES = (ContractStatus.SIGNED, ContractStatus.IN_DELIVERY)
# C9: "an opportunity in the final stage" = negotiation (won/lost are closed).
OPPORTUNITY_EXEMPT_STAGES = (OpportunityStage.NEGOTIATION,)
CLAIMING_ROLES = (Role.REP, Role.ACCOUNT_EXECUTIVE, Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
ASSIGNING_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
_LOCK_KEY = 740_319_001  # pg_advisory_xact_lock key of the sweep
RELEASE_COLS = "customer_id, previous_owner_id, owned_since, released_at, reason, batch"
WARNING_COLS = "customer_id, owner_id, owned_since, threshold, days, created_at, batch"


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


# --- SQL pieces -----------------------------------------------------------------------------------


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _dt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _epoch(c: str) -> str:
    """The ownership epoch: when the owner got the customer (created_at for rows that predate owned_since)."""
    return f"COALESCE({c}.owned_since, {c}.created_at)"


def _clock(c: str, epoch: str | None = None) -> str:
    """C9: the later of the last follow-up and when the owner got the customer. A claimed customer's old
    follow-ups (by the previous owner) must not count against the new owner."""
    epoch = epoch or _epoch(c)
    return f"(CASE WHEN {c}.last_contacted_at > {epoch} THEN {c}.last_contacted_at ELSE {epoch} END)"


def _days_sql(c: str, today: dt.date, epoch: str | None = None) -> tuple[str, list[Any]]:
    """Whole days between the clock's Asia/Shanghai date and `today` (an SQL integer expression)."""
    clock = _clock(c, epoch)
    if connection.vendor == "postgresql":
        return f"(%s::date - ({clock} AT TIME ZONE %s)::date)", [today, settings.TIME_ZONE]
    offset = timezone.localtime(start_of_local_day(today)).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60)
    return (
        f"CAST(julianday(%s) - julianday(date({clock}, %s)) AS INTEGER)",
        [today.isoformat(), f"{minutes:+d} minutes"],
    )


def _cutoff(today: dt.date, days: int) -> dt.datetime:
    """Clock strictly before this instant ⇔ at least `days` whole local days have passed by `today`."""
    return start_of_local_day(today - dt.timedelta(days=days - 1))


def _by_grade(policy: PoolPolicy, today: dt.date, which: int) -> tuple[str, list[Any]]:
    """CASE grade WHEN … THEN cut-off … ELSE default END, for the warn (0) or release (1) days."""
    rules = list(policy.grade_rules.all())
    default = policy.warn_days if which == 0 else policy.release_days
    if not rules:
        return "%s", [_dt(_cutoff(today, default))]
    sql, params = ["CASE c.grade"], []
    for rule in rules:
        days = (rule.warn_days, rule.release_days)[which]
        sql.append("WHEN %s THEN %s")
        params += [rule.grade, _dt(_cutoff(today, days))]
    sql.append("ELSE %s END")
    params.append(_dt(_cutoff(today, default)))
    return " ".join(sql), params


def _days_by_grade(policy: PoolPolicy, which: int) -> tuple[str, list[Any]]:
    rules = list(policy.grade_rules.all())
    default = policy.warn_days if which == 0 else policy.release_days
    if not rules:
        return "%s", [default]
    sql, params = ["CASE c.grade"], []
    for rule in rules:
        sql.append("WHEN %s THEN %s")
        params += [rule.grade, (rule.warn_days, rule.release_days)[which]]
    sql.append("ELSE %s END")
    params.append(default)
    return " ".join(sql), params


def _exemptions(policy: PoolPolicy, c: str = "c") -> tuple[str, list[Any]]:
    sql, params = "", list[Any]()
    if policy.exempt_contract_in_delivery:
        marks = ", ".join(["%s"] * len(CONTRACT_EXEMPT_STATUSES))
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {_t(Contract)} k WHERE k.customer_id = {c}.id"
            f" AND k.status IN ({marks}))"
        )
        params += list(CONTRACT_EXEMPT_STATUSES)
    if policy.exempt_final_stage_opportunity:
        marks = ", ".join(["%s"] * len(OPPORTUNITY_EXEMPT_STAGES))
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {_t(Opportunity)} o WHERE o.customer_id = {c}.id"
            f" AND o.stage IN ({marks}))"
        )
        params += list(OPPORTUNITY_EXEMPT_STAGES)
    return sql, params


def _release_where(policy: PoolPolicy, today: dt.date) -> tuple[str, list[Any]]:
    cut, cut_p = _by_grade(policy, today, 1)
    ex, ex_p = _exemptions(policy)
    return f"c.owner_id IS NOT NULL AND {_clock('c')} < {cut}{ex}", cut_p + ex_p


def _warn_where(policy: PoolPolicy, today: dt.date) -> tuple[str, list[Any]]:
    warn, warn_p = _by_grade(policy, today, 0)
    rel, rel_p = _by_grade(policy, today, 1)
    ex, ex_p = _exemptions(policy)
    sql = (
        f"c.owner_id IS NOT NULL AND {_clock('c')} < {warn} AND {_clock('c')} >= {rel}{ex}"
        f" AND NOT EXISTS (SELECT 1 FROM {_t(PoolWarning)} w WHERE w.customer_id = c.id"
        f" AND w.owned_since = {_epoch('c')} AND w.threshold = %s)"
    )
    return sql, warn_p + rel_p + ex_p + [PoolThreshold.WARN]


def _text_sql(template: str, **columns: str) -> tuple[str, list[Any]]:
    """Fill a translated template's {placeholders} from SQL columns: REPLACE(REPLACE(%s, '{a}', x) …)."""
    sql, params = "%s", [template]
    for name, col in columns.items():
        sql = f"REPLACE({sql}, %s, {col})"
        params.append("{" + name + "}")
    return sql, params


def _customer_link_sql(c: str) -> tuple[str, list[Any]]:
    pattern = reverse("crm:customer_detail", args=[987654321])
    return "REPLACE(%s, %s, CAST(" + c + ".id AS TEXT))", [pattern, "987654321"]


def _exec(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return max(cur.rowcount, 0)


def _count(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def _sample(where: str, params: list[Any], limit: int = 20) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT c.name FROM {_t(Customer)} c WHERE {where} ORDER BY c.id LIMIT {int(limit)}", params
        )
        return [r[0] for r in cur.fetchall()]


def _owner_name(u: str) -> str:
    return f"COALESCE(NULLIF({u}.display_name, ''), {u}.username)"


# --- the sweep ------------------------------------------------------------------------------------


def _insert_release_candidates(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> int:
    where, params = _release_where(policy, today)
    # P1/C9: "60 天未联系，已转入公海", with the customer's own (per-grade) release days.
    rel_days, rel_p = _days_by_grade(policy, 1)
    reason, reason_p = _text_sql(_("{days} 天未联系，已转入公海"), days=f"CAST(({rel_days}) AS TEXT)")
    return _exec(
        f"INSERT INTO {_t(PoolRelease)} ({RELEASE_COLS})"
        f" SELECT c.id, c.owner_id, {_epoch('c')}, %s, {reason}, %s FROM {_t(Customer)} c WHERE {where}"
        " ON CONFLICT DO NOTHING",
        [_dt(now), *reason_p, *rel_p, batch, *params],
    )


def _release_update(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> int:
    """The one statement that takes customers away. Its WHERE re-checks owner and contact clock on the row
    it updates: a follow-up committed since the candidates were chosen keeps the customer."""
    cut, cut_p = _by_grade(policy, today, 1)
    c = _t(Customer)
    # The CASE on grade reads "c.grade"; here the table is not aliased, so name it in full.
    cut = cut.replace("c.grade", f"{c}.grade")
    return _exec(
        f"UPDATE {c} SET owner_id = NULL, owned_since = NULL, updated_at = %s"
        f" WHERE {c}.owner_id IS NOT NULL AND {_clock(c)} < {cut}"
        f" AND EXISTS (SELECT 1 FROM {_t(PoolRelease)} r WHERE r.batch = %s AND r.customer_id = {c}.id"
        f" AND r.previous_owner_id = {c}.owner_id AND r.owned_since = {_epoch(c)})",
        [_dt(now), *cut_p, batch],
    )


def _release(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> int:
    _insert_release_candidates(policy=policy, today=today, now=now, batch=batch)
    released = _release_update(policy=policy, today=today, now=now, batch=batch)
    pr, cu, us = _t(PoolRelease), _t(Customer), _t(User)
    # Candidates a concurrent follow-up (or a manager's reassignment) kept are not releases.
    _exec(
        f"DELETE FROM {pr} WHERE batch = %s AND EXISTS (SELECT 1 FROM {cu} c"
        f" WHERE c.id = {pr}.customer_id AND c.owner_id IS NOT NULL)",
        [batch],
    )
    if not released:
        return 0
    # P1: the ownership history says why (the release record's reason).
    _exec(
        f"INSERT INTO {_t(OwnershipChange)} (customer_id, from_user_id, to_user_id, reason, note,"
        " changed_by_id, changed_at)"
        f" SELECT r.customer_id, r.previous_owner_id, NULL, %s, r.reason, NULL, %s FROM {pr} r"
        " WHERE r.batch = %s",
        [OwnershipReason.RELEASED, _dt(now), batch],
    )
    # The released row no longer has owned_since: count from the release record's epoch.
    days, days_p = _days_sql("c", today, epoch="r.owned_since")
    _exec(
        f"INSERT INTO {_t(PoolWarning)} ({WARNING_COLS})"
        f" SELECT r.customer_id, r.previous_owner_id, r.owned_since, %s, {days}, %s, %s"
        f" FROM {pr} r JOIN {cu} c ON c.id = r.customer_id WHERE r.batch = %s ON CONFLICT DO NOTHING",
        [PoolThreshold.RELEASE, *days_p, _dt(now), batch, batch],
    )
    pool_link = reverse("crm:pool_list")
    text, text_p = _text_sql(
        _("客户“{name}”已 {days} 天未联系，已转入公海。"), name="c.name", days="CAST(w.days AS TEXT)"
    )
    nt, pw = _t(Notification), _t(PoolWarning)
    _exec(
        f"INSERT INTO {nt} (user_id, text, link, created_at, read_at, batch)"
        f" SELECT w.owner_id, {text}, %s, %s, NULL, %s FROM {pw} w JOIN {cu} c ON c.id = w.customer_id"
        " WHERE w.batch = %s AND w.threshold = %s",
        [*text_p, pool_link, _dt(now), batch, batch, PoolThreshold.RELEASE],
    )
    # C9: the owner's manager hears too (direct manager, else the department's manager).
    text, text_p = _text_sql(
        _("您团队{owner}的客户“{name}”已 {days} 天未联系，已转入公海。"),
        owner=_owner_name("u"),
        name="c.name",
        days="CAST(w.days AS TEXT)",
    )
    _exec(
        f"INSERT INTO {nt} (user_id, text, link, created_at, read_at, batch)"
        f" SELECT m.id, {text}, %s, %s, NULL, %s FROM {pw} w JOIN {cu} c ON c.id = w.customer_id"
        f" JOIN {us} u ON u.id = w.owner_id"
        f" JOIN {us} m ON m.id = COALESCE(u.manager_id, (SELECT d.manager_id FROM {_t(Department)} d"
        "  WHERE d.id = u.department_id))"
        " WHERE w.batch = %s AND w.threshold = %s AND m.id <> u.id AND m.is_active",
        [*text_p, pool_link, _dt(now), batch, batch, PoolThreshold.RELEASE],
    )
    return released


def _warn(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> int:
    where, params = _warn_where(policy, today)
    days, days_p = _days_sql("c", today)
    warned = _exec(
        f"INSERT INTO {_t(PoolWarning)} ({WARNING_COLS})"
        f" SELECT c.id, c.owner_id, {_epoch('c')}, %s, {days}, %s, %s FROM {_t(Customer)} c WHERE {where}"
        " ON CONFLICT DO NOTHING",
        [PoolThreshold.WARN, *days_p, _dt(now), batch, *params],
    )
    if not warned:
        return 0
    rel_days, rel_p = _days_by_grade(policy, 1)
    text, text_p = _text_sql(
        _("客户“{name}”已 {days} 天未联系，{left} 天后将转入公海，请尽快跟进。"),
        name="c.name",
        days="CAST(w.days AS TEXT)",
        left=f"CAST(({rel_days}) - w.days AS TEXT)",
    )
    link, link_p = _customer_link_sql("c")
    _exec(
        f"INSERT INTO {_t(Notification)} (user_id, text, link, created_at, read_at, batch)"
        f" SELECT w.owner_id, {text}, {link}, %s, NULL, %s"
        f" FROM {_t(PoolWarning)} w JOIN {_t(Customer)} c ON c.id = w.customer_id"
        " WHERE w.batch = %s AND w.threshold = %s",
        [*text_p, *rel_p, *link_p, _dt(now), batch, batch, PoolThreshold.WARN],
    )
    return warned


def pool_sweep(*, today: dt.date | None = None, dry_run: bool = False) -> SweepResult:
    """C9: warn owners at the warn threshold, release customers at the release threshold (set-based)."""
    today = today or timezone.localdate()
    policy = PoolPolicy.load()
    result = SweepResult(today=today, dry_run=dry_run)
    if dry_run:
        rel_where, rel_p = _release_where(policy, today)
        warn_where, warn_p = _warn_where(policy, today)
        result.released = _count(f"SELECT COUNT(*) FROM {_t(Customer)} c WHERE {rel_where}", rel_p)
        result.warned = _count(f"SELECT COUNT(*) FROM {_t(Customer)} c WHERE {warn_where}", warn_p)
        result.released_sample = _sample(rel_where, rel_p)
        result.warned_sample = _sample(warn_where, warn_p)
        return result
    batch = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two beat instances (or a hand run during the nightly one) queue instead of racing.
            _exec("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        result.released = _release(policy=policy, today=today, now=now, batch=batch)
        result.warned = _warn(policy=policy, today=today, now=now, batch=batch)
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
            days=pool_days_without_contact(c, today=today), warn_days=warn, release_days=release
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


def _pool_collisions(*, customer: Customer, to_user: User, by: User) -> list[Any]:
    """P3 on a claim/assignment from the pool: a pool customer has no owner, so the only "someone else
    who has registered it" our models can hold is the owner of an opportunity still open on it (release
    to the pool does not close opportunities; C9 only exempts the negotiation stage). Each such
    registrant (other than the new owner) becomes a party against the new owner, with the opportunity's
    registration time as evidence — so "first registered wins" proposes the earlier registrant."""
    from partners.services.collisions import collision_open

    opps = (
        Opportunity.objects.filter(customer=customer, closed_at__isnull=True)
        .exclude(owner=to_user)
        .select_related("owner")
        .order_by("registered_at", "id")
    )
    cases: list[Any] = []
    seen: set[int] = set()
    for opp in opps:
        if opp.owner_id in seen or not opp.owner.is_active:
            continue
        seen.add(opp.owner_id)
        case = collision_open(
            customer=customer,
            claimant=opp.owner,
            source="pool_claim",
            by=by,
            registered_at=opp.registered_at,
            evidence={
                "opportunity_id": opp.pk,
                "opportunity": opp.name,
                "opportunity_registered_at": opp.registered_at.isoformat(),
                "claimed_by": to_user.pk,
            },
        )
        if case is not None and case not in cases:
            cases.append(case)
    if cases:
        link = reverse("partners:collision_detail", args=[cases[0].pk])
        text = _("公海客户“%(name)s”另有他人报备的商机，系统已发起撞单处理。") % {"name": customer.name}
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
        partner_rights_check(user=by, region_id=customer.region_id)
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
    if not by.sees_everything and to_user.pk not in team_member_ids(by):
        raise DomainError(_("只能分配给您团队的成员。"), code="not_in_team", field="to_user")
    with transaction.atomic():
        customer = _pool_customer(customer)
        if customer.owner_id is not None:
            raise Conflict(_("客户“%(name)s”已不在公海中。") % {"name": customer.name}, code="not_in_pool")
        partner_rights_check(user=to_user, region_id=customer.region_id)
        customer = _take_from_pool(
            customer=customer, to_user=to_user, by=by, assigned_by=by, reason=OwnershipReason.ASSIGNED
        )
        link = reverse("crm:customer_detail", args=[customer.pk])
        text = _("%(by)s 把公海客户“%(name)s”分配给了您。") % {"by": by, "name": customer.name}
        transaction.on_commit(lambda: notify(users=[to_user], text=text, link=link))
    return customer
