"""K14 partner perks, annual targets and upgrades (000 §4.3.1, 4.3.2, 4.3.4, 4.3.5). Thresholds are
settings (`REWARDS_*`); every perk carries its reason in words and a trail (`PartnerPerkEvent`).

Our reading of the seed, where it is not explicit:
- 4.3.1 free market guidance (2 days): the month's sales ≥ ¥10,000, or the three consecutive months ending
  with it ≥ ¥30,000. Valid the whole next month (次月), expired unused after it.
- 4.3.2 free public lecture: (the month ≥ ¥20,000 and the highest month in the partner's region — its
  业务部 — or the three months ≥ ¥50,000 and the highest three months in the region); ties share first
  place. Both perks stack (奖励可以叠加): each kind and month is its own perk.
- 4.3.4 an ordinary partner whose year's sales are ≥ 150% of its annual target gets the strategic-partner
  discount for the next month; one whose sales exceed the annual target of its region's strategic partner
  (the highest when there are several) gets six months' trial as a strategic partner from the next month,
  made permanent (the partner becomes strategic) as soon as the trial months' sales reach
  `REWARDS_TRIAL_TARGET_SHARE` (50%) of that target, expired when the six months pass without it.
- 4.3.5 a strategic partner ≥ 150% of its annual target gets branch-team training next month and priority
  for setting up a branch (12 months).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import PartnerPerk, PartnerPerkEvent, PerkAction, PerkKind, PerkStatus, SalesTarget
from commissions.services.reward_sales import add_months
from commissions.services.rewards import pool_sales
from common.deferred_text import Words, words, words_json, words_plural, words_stored_text
from common.errors import Conflict, DomainError
from common.fen import ZERO, format_cny, pct, round_fen
from common.notifications import notify
from common.timeutil import local_today, month_start
from crm.models import User
from partners.models import Partner, PartnerKind

REDEEMABLE = {
    PerkKind.MARKET_GUIDANCE,
    PerkKind.PUBLIC_LECTURE,
    PerkKind.STRATEGIC_DISCOUNT,
    PerkKind.BRANCH_TRAINING,
    PerkKind.BRANCH_PRIORITY,
}
MONTHS = gettext_noop("%(months)s 个月")  # counted: "1 month", "6 months"
# A trial's reason stored before its months were counted words ({"months": 6}) still reads in English.
TRIAL_REASON_BEFORE = gettext_noop(
    "%(year)s年业务总额 %(amount)s，超过本大区战略合伙人年度营销任务 %(bar)s："
    "次月起 %(months)s 个月享受战略合伙人待遇，期内业务总额达到 %(target)s即转为正式战略合伙人"
)


def _setting(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name)))


def _note(w: Words) -> dict[str, Any]:
    """A perk event's note written by the system: its Chinese wording and its words (issue 15)."""
    return {"note": words_stored_text(w)[:300], "note_words": words_json(w)}


def _month_end(start: dt.date, months: int) -> dt.date:
    """The last day of the `months`-month span starting at `start`."""
    return add_months(start, months) - dt.timedelta(days=1)


def _grant(
    *,
    partner_id: int,
    kind: str,
    earned_for: dt.date,
    valid_from: dt.date,
    months: int,
    reason: Words,
    figures: dict[str, str],
    target: Decimal | None = None,
) -> PartnerPerk | None:
    """One perk, once per partner, kind and period (None when it was granted already). The reason is
    kept as words too, so the partner reads it in their language (issue 15)."""
    stored = words_stored_text(reason)[:300]
    perk, created = PartnerPerk.objects.get_or_create(
        source_key=f"perk:{kind}:{earned_for:%Y%m}:{partner_id}",
        defaults={
            "partner_id": partner_id,
            "kind": kind,
            "earned_for": earned_for,
            "valid_from": valid_from,
            "valid_until": _month_end(valid_from, months),
            "reason": stored,
            "reason_words": words_json(reason),
            "figures": figures,
            "target": target,
        },
    )
    if not created:
        return None
    PartnerPerkEvent.objects.create(
        perk=perk, action=PerkAction.GRANTED, at=timezone.now(), note=stored, note_words=words_json(reason)
    )
    return perk


def _notify(perks: list[PartnerPerk]) -> None:
    if not perks:
        return
    logins = dict(
        Partner.objects.filter(pk__in={p.partner_id for p in perks}, user__isnull=False).values_list(
            "id", "user_id"
        )
    )
    users = {u.pk: u for u in User.objects.filter(pk__in=logins.values())}
    for perk in perks:
        user = users.get(logins.get(perk.partner_id, 0))
        if user is not None:
            notify(
                users=[user],
                text=words(
                    gettext_noop("您获得%(kind)s（%(start)s 至 %(end)s）：%(reason)s"),
                    kind=PerkKind(perk.kind).label,
                    start=f"{perk.valid_from:%Y-%m-%d}",
                    end=f"{perk.valid_until:%Y-%m-%d}",
                    reason=perk.reason_words or perk.reason,
                ),
                link=reverse("commissions:perk_list"),
            )


def _month_total(label: Words, amount: Decimal, bar: Decimal) -> Words:
    return words(
        gettext_noop("%(period)s业务总额 %(amount)s，达到 %(bar)s"),
        period=label,
        amount=format_cny(amount),
        bar=format_cny(bar),
    )


def _three_months_total(label: Words, amount: Decimal, bar: Decimal) -> Words:
    return words(
        gettext_noop("截至%(period)s连续三个月业务总额 %(amount)s，达到 %(bar)s"),
        period=label,
        amount=format_cny(amount),
        bar=format_cny(bar),
    )


def _first_in_region(reached: Words) -> Words:
    return words(gettext_noop("%(reached)s 且为本大区第一"), reached=reached)


def _both(why: list[Words]) -> Words:
    """One or two reasons, joined the reader's way."""
    return why[0] if len(why) == 1 else words(gettext_noop("%(a)s；%(b)s"), a=why[0], b=why[1])


@transaction.atomic
def partner_perks_grant(*, month: dt.date) -> list[PartnerPerk]:
    """4.3.1–4.3.2: the perks earned by the month's sales, valid the next month. Idempotent."""
    month = month_start(month)
    month_sales = pool_sales(pool="partner", start=month, end=month)
    three_sales = pool_sales(pool="partner", start=add_months(month, -2), end=month)
    partners = list(Partner.objects.filter(is_active=True).values_list("id", "region_id"))
    top_month: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    top_three: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for pid, region in partners:
        top_month[region] = max(top_month[region], month_sales.get(pid, ZERO))
        top_three[region] = max(top_three[region], three_sales.get(pid, ZERO))
    g_month, g_three = _setting("REWARDS_GUIDANCE_MONTH_MIN"), _setting("REWARDS_GUIDANCE_THREE_MONTHS_MIN")
    l_month, l_three = _setting("REWARDS_LECTURE_MONTH_MIN"), _setting("REWARDS_LECTURE_THREE_MONTHS_MIN")
    valid_from = add_months(month, 1)
    label = words(gettext_noop("%(y)s年%(m)s月"), y=month.year, m=month.month)
    granted: list[PartnerPerk] = []
    for pid, region in partners:
        m, t = month_sales.get(pid, ZERO), three_sales.get(pid, ZERO)
        figures = {"month_sales": str(m), "three_month_sales": str(t)}
        why = []
        if m >= g_month:
            why.append(_month_total(label, m, g_month))
        if t >= g_three:
            why.append(_three_months_total(label, t, g_three))
        if why:
            reason = words_plural(
                gettext_noop("%(why)s：次月免费市场指导 %(days)s 天，仅承担工作人员差旅费用"),
                gettext_noop("%(why)s：次月免费市场指导 %(days)s 天，仅承担工作人员差旅费用"),
                "days",
                why=_both(why),
                days=settings.REWARDS_GUIDANCE_DAYS,
            )
            perk = _grant(
                partner_id=pid,
                kind=PerkKind.MARKET_GUIDANCE,
                earned_for=month,
                valid_from=valid_from,
                months=1,
                reason=reason,
                figures=figures,
            )
            granted += [perk] if perk else []
        why = []
        if m >= l_month and m == top_month[region]:
            why.append(_first_in_region(_month_total(label, m, l_month)))
        if t >= l_three and t == top_three[region]:
            why.append(_first_in_region(_three_months_total(label, t, l_three)))
        if why:
            perk = _grant(
                partner_id=pid,
                kind=PerkKind.PUBLIC_LECTURE,
                earned_for=month,
                valid_from=valid_from,
                months=1,
                reason=words(
                    gettext_noop("%(why)s：次月免费公益讲座一场，仅承担工作人员差旅费用"), why=_both(why)
                ),
                figures=figures,
            )
            granted += [perk] if perk else []
    _notify(granted)
    return granted


def annual_targets(year: int) -> dict[int, Decimal]:
    """Each partner's annual target (SalesTarget, annual, 1 January)."""
    return dict(
        SalesTarget.objects.filter(
            partner__isnull=False, annual=True, period=dt.date(year, 1, 1)
        ).values_list("partner_id", "amount")
    )


def regional_strategic_targets(year: int, targets: dict[int, Decimal] | None = None) -> dict[int, Decimal]:
    """Per region: the annual target of its strategic partner (the highest when there are several)."""
    targets = annual_targets(year) if targets is None else targets
    out: dict[int, Decimal] = {}
    for pid, region in Partner.objects.filter(
        kind=PartnerKind.STRATEGIC, is_active=True, region__isnull=False
    ).values_list("id", "region_id"):
        if pid in targets:
            out[region] = max(out.get(region, ZERO), targets[pid])
    return out


@transaction.atomic
def partner_upgrades_grant(*, year: int) -> list[PartnerPerk]:
    """4.3.4–4.3.5: the year's upgrades and strategic perks, from January of the next year. Idempotent."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 1)
    sales = pool_sales(pool="partner", start=start, end=end)
    targets = annual_targets(year)
    strategic = regional_strategic_targets(year, targets)
    over = _setting("REWARDS_UPGRADE_OVER_TARGET")
    share = _setting("REWARDS_TRIAL_TARGET_SHARE")
    valid_from = dt.date(year + 1, 1, 1)
    granted: list[PartnerPerk] = []
    for partner in Partner.objects.filter(is_active=True).order_by("id"):
        s = sales.get(partner.pk, ZERO)
        target = targets.get(partner.pk)
        figures = {"year_sales": str(s), "target": str(target or "")}
        beats = target is not None and target > ZERO and s >= round_fen(target * (1 + over))
        beaten = words(
            gettext_noop("%(year)s年业务总额 %(amount)s，超额完成年度营销任务 %(target)s 的 %(over)s"),
            year=year,
            amount=format_cny(s),
            target=format_cny(target),
            over=pct(over),
        )
        if partner.kind == PartnerKind.ORDINARY:
            if beats:
                months = settings.REWARDS_STRATEGIC_DISCOUNT_MONTHS
                perk = _grant(
                    partner_id=partner.pk,
                    kind=PerkKind.STRATEGIC_DISCOUNT,
                    earned_for=start,
                    valid_from=valid_from,
                    months=months,
                    reason=words_plural(
                        gettext_noop("%(beaten)s：次月起享受战略合伙人折扣待遇 %(months)s 个月"),
                        gettext_noop("%(beaten)s：次月起享受战略合伙人折扣待遇 %(months)s 个月"),
                        "months",
                        beaten=beaten,
                        months=months,
                    ),
                    figures=figures,
                )
                granted += [perk] if perk else []
            bar = strategic.get(partner.region_id) if partner.region_id else None
            if bar is not None and s > bar:
                months = settings.REWARDS_TRIAL_MONTHS
                trial_target = round_fen(bar * share)
                perk = _grant(
                    partner_id=partner.pk,
                    kind=PerkKind.TRIAL_UPGRADE,
                    earned_for=start,
                    valid_from=valid_from,
                    months=months,
                    # Issue 15: the months are counted words ("1 month", "6 months"); the Chinese
                    # wording is unchanged (reasons stored before: TRIAL_REASON_BEFORE).
                    reason=words(
                        gettext_noop(
                            "%(year)s年业务总额 %(amount)s，超过本大区战略合伙人年度营销任务 %(bar)s："
                            "次月起 %(months)s享受战略合伙人待遇，期内业务总额达到 %(target)s"
                            "即转为正式战略合伙人"
                        ),
                        year=year,
                        amount=format_cny(s),
                        bar=format_cny(bar),
                        months=words_plural(MONTHS, MONTHS, "months", months=months),
                        target=format_cny(trial_target),
                    ),
                    figures={**figures, "strategic_target": str(bar)},
                    target=trial_target,
                )
                granted += [perk] if perk else []
        elif beats:
            for kind, months, what in (
                (
                    PerkKind.BRANCH_TRAINING,
                    1,
                    gettext_noop("次月享受分公司内部团队培训，仅承担工作人员差旅费用"),
                ),
                (
                    PerkKind.BRANCH_PRIORITY,
                    settings.REWARDS_BRANCH_PRIORITY_MONTHS,
                    gettext_noop("获得分公司设立优先权"),
                ),
            ):
                perk = _grant(
                    partner_id=partner.pk,
                    kind=kind,
                    earned_for=start,
                    valid_from=valid_from,
                    months=months,
                    reason=words(gettext_noop("%(beaten)s：%(what)s"), beaten=beaten, what=words(what)),
                    figures=figures,
                )
                granted += [perk] if perk else []
    _notify(granted)
    return granted


@transaction.atomic
def partner_trials_settle(*, today: dt.date) -> list[PartnerPerk]:
    """4.3.4: a trial whose months' sales reached its target is made permanent (the partner becomes
    strategic) — checked from its first month until it ends. Returns the trials made permanent."""
    made = []
    trials = PartnerPerk.objects.select_for_update().filter(
        kind=PerkKind.TRIAL_UPGRADE, status=PerkStatus.GRANTED, valid_from__lte=today
    )
    for perk in trials.select_related("partner"):
        last = month_start(min(today, perk.valid_until))
        s = pool_sales(pool="partner", start=perk.valid_from, end=last).get(perk.partner_id, ZERO)
        if perk.target is None or s < perk.target:
            continue
        perk.status = PerkStatus.MADE_PERMANENT
        perk.save(update_fields=["status", "updated_at"])
        Partner.objects.filter(pk=perk.partner_id).update(kind=PartnerKind.STRATEGIC)
        PartnerPerkEvent.objects.create(
            perk=perk,
            action=PerkAction.MADE_PERMANENT,
            at=timezone.now(),
            **_note(
                words(
                    gettext_noop("试用期业务总额 %(sales)s，达到 %(target)s：转为正式战略合伙人"),
                    sales=format_cny(s),
                    target=format_cny(perk.target),
                )
            ),
        )
        made.append(perk)
    return made


@transaction.atomic
def partner_perks_expire(*, today: dt.date) -> int:
    """000 §4.3.2 过期作废: every perk still unused after its last day is expired (set-based)."""
    partner_trials_settle(today=today)  # a trial met on its last day is made permanent, not expired
    qs = PartnerPerk.objects.filter(status=PerkStatus.GRANTED, valid_until__lt=today)
    expired = _note(words(gettext_noop("未在有效期内使用，过期作废")))
    ids = list(qs.values_list("id", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    PartnerPerkEvent.objects.bulk_create(
        [PartnerPerkEvent(perk_id=pk, action=PerkAction.EXPIRED, at=now, **expired) for pk in ids]
    )
    return PartnerPerk.objects.filter(pk__in=ids).update(status=PerkStatus.EXPIRED, updated_at=now)


@transaction.atomic
def partner_perk_redeem(
    *, perk: PartnerPerk | int, by: User, note: str = "", today: dt.date | None = None
) -> PartnerPerk:
    """Record that a perk was used (the guidance given, the lecture held …) within its validity."""
    today = today or local_today()
    pk = perk.pk if isinstance(perk, PartnerPerk) else perk
    obj = PartnerPerk.objects.select_for_update().get(pk=pk)
    if obj.kind not in REDEEMABLE:
        raise DomainError(_("试用升级按业绩自动转正或到期，不能手工登记使用。"))
    if obj.status != PerkStatus.GRANTED:
        raise Conflict(_("该奖励%(status)s，不能再登记使用。") % {"status": obj.get_status_display()})
    if today < obj.valid_from:
        raise DomainError(_("该奖励 %(day)s 起生效，尚不能使用。") % {"day": f"{obj.valid_from:%Y-%m-%d}"})
    if today > obj.valid_until:
        raise DomainError(_("该奖励已于 %(day)s 到期。") % {"day": f"{obj.valid_until:%Y-%m-%d}"})
    obj.status = PerkStatus.REDEEMED
    obj.save(update_fields=["status", "updated_at"])
    PartnerPerkEvent.objects.create(
        perk=obj,
        action=PerkAction.REDEEMED,
        by=by,
        at=timezone.now(),
        **({"note": note[:300]} if note else _note(words(gettext_noop("已使用")))),
    )
    return obj


def rewards_nightly(*, today: dt.date | None = None) -> dict[str, int]:
    """The nightly K14 job: champions of closed periods, last month's perks, trials, expiry, and in
    January the last year's upgrades. Every step is idempotent."""
    from commissions.services.rewards import champions_book_due

    today = today or local_today()
    last = add_months(month_start(today), -1)
    out = {"champions": sum(r.created for r in champions_book_due(today=today))}
    out["perks"] = len(partner_perks_grant(month=last))
    if today.month == 1:
        out["upgrades"] = len(partner_upgrades_grant(year=today.year - 1))
    out["permanent"] = len(partner_trials_settle(today=today))
    out["expired"] = partner_perks_expire(today=today)
    return out
