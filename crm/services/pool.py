"""C9/C10: inactivity warnings, release to the public pool (公海), claiming and assigning pool customers.

The sweep is set-based: per threshold a few INSERT … SELECT / UPDATE statements (crm.services.pool_sql),
whatever the number of customers. It is idempotent (unique constraints per ownership + ON CONFLICT DO
NOTHING + an advisory lock on PostgreSQL so two beat instances queue instead of racing) and a follow-up
logged while it runs wins: the release UPDATE re-checks the contact clock in its own WHERE clause, so on
PostgreSQL a row changed by a concurrent follow-up is re-evaluated on its newest version and skipped.

A manager's release by hand (issue 16, crm.services.pool_release → `pool_release_by_hand`) writes the
same release record and, through `pool_sql.release_record`, the same P1 history row and notices as the
sweep.
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

from common.deferred_text import words, words_json, words_stored_text
from common.errors import Conflict, DomainError, NotFound
from common.models import Notification
from common.notifications import email_enabled, notify
from common.timeutil import local_date, start_of_local_day
from crm import policy as crm_policy
from crm.extensions import CollisionCaseRef, open_opportunity_collision
from crm.models import (
    Contract,
    Customer,
    Grade,
    Opportunity,
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
from crm.services import pool_sql as sql
from crm.services.industry import industry_check
from crm.services.pool_sql import CONTRACT_EXEMPT_STATUSES, OPPORTUNITY_EXEMPT_STAGES

CLAIMING_ROLES = (Role.REP, Role.ACCOUNT_EXECUTIVE, Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
ASSIGNING_ROLES = (Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
_LOCK_KEY = 740_319_001  # pg_advisory_xact_lock key of the sweep
DAYS_WORDS = gettext_noop("%(days)s 天")  # the counted days of the sweep's notices (ngettext: 1 day)
RELEASE_REASON_WORDS = gettext_noop("%(days)s未联系，已转入公海")  # %(days)s: DAYS_WORDS ("60 天")
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


def _dt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _cutoff(today: dt.date, days: int) -> dt.datetime:
    """Clock strictly before this instant ⇔ at least `days` whole local days have passed by `today`."""
    return start_of_local_day(today - dt.timedelta(days=days - 1))


def _sweep_params(*, policy: PoolPolicy, today: dt.date, now: dt.datetime, batch: str) -> dict[str, Any]:
    """Every value the sweep's statements bind: the day, the cut-offs and days per grade (the grade's
    rule, else the policy's defaults), the exemption switches, the notification texts (their plain text
    in Chinese for e-mail and the admin, as notify() stores it, and their words each reader reads in their
    language; the {placeholders} filled in SQL) and links, the batch."""
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
        # P1: the release record's reason, stored in Chinese ("60 天未联系，已转入公海"), and on the history
        # row as words too (issue 15), read "Not contacted for 60 days; moved to the public pool".
        "release_reason": gettext_noop("{days} 天未联系，已转入公海"),
        "release_reason_words": RELEASE_REASON_WORDS,
        "released_text": gettext_noop("客户“{name}”已 {days} 天未联系，已转入公海。"),
        "released_manager_text": gettext_noop("您团队{owner}的客户“{name}”已 {days} 天未联系，已转入公海。"),
        "warn_text": gettext_noop("客户“{name}”已 {days} 天未联系，{left} 天后将转入公海，请尽快跟进。"),
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


# --- the sweep ------------------------------------------------------------------------------------


def _release(*, params: dict[str, Any]) -> int:
    sql.insert_release_candidates(params=params)
    released = sql.release_update(params=params)
    sql.drop_kept_candidates(params=params)
    if not released:
        return 0
    sql.insert_release_warnings(params=params)
    sql.release_record(params=params)
    return released


def _dry_run(result: SweepResult, params: dict[str, Any]) -> None:
    """What the sweep would do, writing nothing: how many releases and warnings, the first 20 of each."""
    result.released, result.released_sample, result.warned, result.warned_sample = sql.dry_run_counts(params)


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
            sql.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": _LOCK_KEY})
        result.released = _release(params=params)
        result.warned = sql.warn(params=params)
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
    same P1 history row and notices, through `pool_sql.release_record`), the reason given by the manager `by`.
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
        "released_text": gettext_noop("客户“{name}”已由%(by)s释放到公海，原因：{reason}。") % {"by": by},
        "released_manager_text": gettext_noop(
            "您团队{owner}的客户“{name}”已由%(by)s释放到公海，原因：{reason}。"
        )
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
    sql.insert_hand_releases(params=params, in_list=in_list)
    released = sql.hand_release_update(params=params, in_list=in_list)
    if released:
        sql.release_record(params=params, by_hand=True)
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
    # Issue 15: a manager's assignment notes whom it went to, stored in Chinese and read as words.
    note = None if assigned_by is None else words(gettext_noop("公海客户分配给%(user)s"), user=to_user)
    OwnershipChange.objects.create(
        customer=customer,
        from_user=None,
        to_user=to_user,
        reason=reason,
        note="" if note is None else words_stored_text(note),
        note_words=None if note is None else words_json(note),
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
