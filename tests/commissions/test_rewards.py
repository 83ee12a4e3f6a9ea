"""K14 (000 §4.3): sales champions booked as reward lines when the period closes (ties split to the fen)
and paid by the next settlement; partner perks at their thresholds, stacking, redeemed and expired with
a trail; annual upgrades, the six-month trial made permanent or expired."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import (
    CommissionLine,
    LineKind,
    LineStatus,
    PartnerPerk,
    PerkKind,
    PerkStatus,
    SalesTarget,
)
from commissions.services.periods import commission_period_close
from commissions.services.perks import (
    partner_perk_redeem,
    partner_perks_expire,
    partner_perks_grant,
    partner_trials_settle,
    partner_upgrades_grant,
    rewards_nightly,
)
from commissions.services.rewards import champions_book, champions_book_due
from common.errors import DomainError
from partners.models import PartnerKind
from settlements.models import Settlement, SettlementStatus
from settlements.services.generation import settlement_generate
from settlements.services.workflow import settlement_transition
from tests.commissions.reward_helpers import make_partner, partner_sale

pytestmark = pytest.mark.django_db
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def rewards():  # type: ignore[no-untyped-def]
    return {
        (line.payee_partner.name, line.period, line.amount, line.status)
        for line in CommissionLine.objects.filter(kind=LineKind.REWARD).select_related("payee_partner")
    }


def test_the_month_champion_gets_300_in_the_next_month_once_the_month_closed(org) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region)
    partner_sale(a, owner=org.rep_a1, amount="12000.00", on=dt.date(2026, 10, 5))
    partner_sale(b, owner=org.rep_a1, amount="8000.00", on=dt.date(2026, 10, 31))
    partner_sale(b, owner=org.rep_a1, amount="9000.00", on=dt.date(2026, 11, 1))  # November: not counted
    # October still open: nobody is champion yet
    assert champions_book_due(today=dt.date(2026, 11, 12)) == []
    commission_period_close(period=OCT)
    champions_book_due(today=dt.date(2026, 11, 12))
    assert rewards() == {("甲", NOV, Decimal("300.00"), LineStatus.PAYABLE)}
    line = CommissionLine.objects.get(kind=LineKind.REWARD)
    assert line.explanation["text"] == "2026年10月月销售冠军奖：销售额 ¥12,000.00，排名第一，奖金 ¥300.00"
    # idempotent
    champions_book_due(today=dt.date(2026, 11, 13))
    assert CommissionLine.objects.filter(kind=LineKind.REWARD).count() == 1


def test_tied_champions_split_300_with_allocate(org) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region_b)
    partner_sale(a, owner=org.rep_a1, amount="10000.00", on=dt.date(2026, 10, 5))
    partner_sale(b, owner=org.rep_a1, amount="10000.00", on=dt.date(2026, 10, 6))
    result = champions_book(kind="month", start=OCT, pool="partner")
    assert [c.amount for c in result.champions] == [Decimal("150.00"), Decimal("150.00")]
    assert rewards() == {("甲", NOV, Decimal("150.00"), "payable"), ("乙", NOV, Decimal("150.00"), "payable")}
    text = CommissionLine.objects.filter(payee_partner=a).get().explanation["text"]
    assert "2 人并列第一，奖金 ¥300.00 由并列者平分，本人分得 ¥150.00" in text


def test_a_three_way_quarter_tie_splits_500_to_the_fen(org) -> None:  # type: ignore[no-untyped-def]
    ps = [make_partner(n, region=org.region) for n in ("甲", "乙", "丙")]
    for i, p in enumerate(ps):
        partner_sale(p, owner=org.rep_a1, amount="7000.00", on=dt.date(2026, 10 + i % 3, 3))
    result = champions_book(kind="quarter", start=dt.date(2026, 11, 1), pool="partner")
    assert result.start == OCT and result.booked_in == dt.date(2027, 1, 1)
    assert [c.amount for c in result.champions] == [Decimal("166.67"), Decimal("166.67"), Decimal("166.66")]


def test_the_year_champion_gets_5000_after_december_closes(org) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region)
    partner_sale(a, owner=org.rep_a1, amount="30000.00", on=dt.date(2026, 3, 5))
    partner_sale(b, owner=org.rep_a1, amount="29999.99", on=dt.date(2026, 12, 5))
    commission_period_close(period=dt.date(2026, 12, 1))
    champions_book_due(today=dt.date(2027, 1, 8))
    jan = dt.date(2027, 1, 1)
    # December is the month, the fourth quarter's and the year's last month: one line each
    assert rewards() == {
        ("乙", jan, Decimal("300.00"), "payable"),
        ("乙", jan, Decimal("500.00"), "payable"),
        ("甲", jan, Decimal("5000.00"), "payable"),
    }


def test_the_champion_line_is_paid_by_the_next_settlement_through_the_chain(org) -> None:  # type: ignore[no-untyped-def]
    a = make_partner("甲", region=org.region, kind=PartnerKind.STRATEGIC)
    partner_sale(a, owner=org.rep_a1, amount="12000.00", on=dt.date(2026, 10, 5))
    commission_period_close(period=OCT)
    rewards_nightly(today=dt.date(2026, 11, 12))
    settlement_generate(month=NOV, by=org.finance)
    s = Settlement.objects.get(payee_partner=a, month=NOV)
    assert s.reward_total == Decimal("300.00") and s.line_total == Decimal("300.00")
    line = s.lines.get()
    assert line.rebate == Decimal("300.00")
    assert "奖励" in line.description and "2026年10月月销售冠军奖" in line.description
    settlement_transition(settlement=s, action="submit", by=org.finance)
    settlement_transition(settlement=s, action="confirm", by=org.finance)
    settlement_transition(settlement=s, action="approve", by=org.regional_manager)
    settlement_transition(settlement=s, action="approve", by=org.finance)
    s = settlement_transition(settlement=s, action="approve", by=org.president)
    assert s.status == SettlementStatus.APPROVED
    assert CommissionLine.objects.get(kind=LineKind.REWARD).status == LineStatus.SETTLED


def perks():  # type: ignore[no-untyped-def]
    return {(p.partner.name, p.kind) for p in PartnerPerk.objects.select_related("partner")}


def test_market_guidance_at_10000_in_the_month_or_30000_over_three_months(org) -> None:  # type: ignore[no-untyped-def]
    edge, below = make_partner("整一万", region=org.region), make_partner("差一分", region=org.region_b)
    steady, short = (
        make_partner("三月三万", region=org.region),
        make_partner("三月差一分", region=org.region_b),
    )
    partner_sale(edge, owner=org.rep_a1, amount="10000.00", on=dt.date(2026, 10, 9))
    partner_sale(below, owner=org.rep_a1, amount="9999.99", on=dt.date(2026, 10, 9))
    for month, amount in ((8, "12000.00"), (9, "9000.00"), (10, "9000.00")):
        partner_sale(steady, owner=org.rep_a1, amount=amount, on=dt.date(2026, month, 2))
    for month, amount in ((8, "12000.00"), (9, "9000.00"), (10, "8999.99")):
        partner_sale(short, owner=org.rep_a1, amount=amount, on=dt.date(2026, month, 2))
    partner_perks_grant(month=OCT)
    assert perks() == {("整一万", PerkKind.MARKET_GUIDANCE), ("三月三万", PerkKind.MARKET_GUIDANCE)}
    perk = PartnerPerk.objects.get(partner=steady)
    assert (perk.valid_from, perk.valid_until, perk.status) == (
        NOV,
        dt.date(2026, 11, 30),
        PerkStatus.GRANTED,
    )
    assert perk.reason == (
        "截至2026年10月连续三个月业务总额 ¥30,000.00，达到 ¥30,000.00："
        "次月免费市场指导 2 天，仅承担工作人员差旅费用"
    )
    assert [e.action for e in perk.events.all()] == ["granted"]
    partner_perks_grant(month=OCT)  # idempotent
    assert PartnerPerk.objects.count() == 2


def test_the_lecture_needs_20000_and_first_in_the_region_and_stacks_with_guidance(org) -> None:  # type: ignore[no-untyped-def]
    first, second = make_partner("第一", region=org.region), make_partner("第二", region=org.region)
    beaten = make_partner("别区第二", region=org.region_b)
    top_b = make_partner("别区第一", region=org.region_b)
    partner_sale(first, owner=org.rep_a1, amount="20000.00", on=dt.date(2026, 10, 9))
    partner_sale(second, owner=org.rep_a1, amount="19999.99", on=dt.date(2026, 10, 9))
    partner_sale(beaten, owner=org.rep_a1, amount="20000.00", on=dt.date(2026, 10, 9))
    partner_sale(top_b, owner=org.rep_a1, amount="21000.00", on=dt.date(2026, 10, 9))
    partner_perks_grant(month=OCT)
    assert perks() == {
        ("第一", PerkKind.MARKET_GUIDANCE),
        ("第一", PerkKind.PUBLIC_LECTURE),
        ("第二", PerkKind.MARKET_GUIDANCE),
        ("别区第二", PerkKind.MARKET_GUIDANCE),
        ("别区第一", PerkKind.MARKET_GUIDANCE),
        ("别区第一", PerkKind.PUBLIC_LECTURE),
    }


def test_a_perk_is_redeemed_within_its_month_and_expires_unused(org) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region)
    partner_sale(a, owner=org.rep_a1, amount="10000.00", on=dt.date(2026, 10, 9))
    partner_sale(b, owner=org.rep_a1, amount="10000.00", on=dt.date(2026, 10, 9))
    partner_perks_grant(month=OCT)
    pa, pb = PartnerPerk.objects.get(partner=a), PartnerPerk.objects.get(partner=b)
    with pytest.raises(DomainError, match="2026-11-01 起生效"):
        partner_perk_redeem(perk=pa, by=org.regional_manager, today=dt.date(2026, 10, 31))
    partner_perk_redeem(
        perk=pa, by=org.regional_manager, note="11月8日市场指导两天", today=dt.date(2026, 11, 30)
    )
    assert partner_perks_expire(today=dt.date(2026, 11, 30)) == 0  # still valid on its last day
    assert partner_perks_expire(today=dt.date(2026, 12, 1)) == 1
    pa.refresh_from_db()
    pb.refresh_from_db()
    assert (pa.status, pb.status) == (PerkStatus.REDEEMED, PerkStatus.EXPIRED)
    assert [(e.action, e.by, e.note) for e in pa.events.all()][1] == (
        "redeemed",
        org.regional_manager,
        "11月8日市场指导两天",
    )
    assert [e.action for e in pb.events.all()] == ["granted", "expired"]
    with pytest.raises(DomainError, match="已过期"):
        partner_perk_redeem(perk=pb, by=org.regional_manager, today=dt.date(2026, 11, 20))


def _target(partner, amount: str, year: int = 2026) -> None:  # type: ignore[no-untyped-def]
    SalesTarget.objects.create(
        partner=partner, period=dt.date(year, 1, 1), annual=True, amount=Decimal(amount)
    )


def test_an_ordinary_partner_at_150_percent_gets_a_month_of_strategic_discount(org) -> None:  # type: ignore[no-untyped-def]
    edge, below = make_partner("一倍半", region=org.region), make_partner("差一分", region=org.region)
    _target(edge, "100000.00")
    _target(below, "100000.00")
    partner_sale(edge, owner=org.rep_a1, amount="150000.00", on=dt.date(2026, 6, 1))
    partner_sale(below, owner=org.rep_a1, amount="149999.99", on=dt.date(2026, 6, 1))
    partner_upgrades_grant(year=2026)
    assert perks() == {("一倍半", PerkKind.STRATEGIC_DISCOUNT)}
    perk = PartnerPerk.objects.get()
    assert (perk.valid_from, perk.valid_until) == (dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert perk.reason.startswith("2026年业务总额 ¥150,000.00，超额完成年度营销任务 ¥100,000.00 的 50%")


def test_the_trial_upgrade_is_made_permanent_when_its_target_is_met_within_six_months(org) -> None:  # type: ignore[no-untyped-def]
    strategic = make_partner("战略", region=org.region, kind=PartnerKind.STRATEGIC)
    _target(strategic, "200000.00")
    riser, idle = make_partner("黑马", region=org.region), make_partner("昙花", region=org.region)
    partner_sale(riser, owner=org.rep_a1, amount="200000.01", on=dt.date(2026, 9, 1))
    partner_sale(idle, owner=org.rep_a1, amount="200000.01", on=dt.date(2026, 9, 1))
    partner_upgrades_grant(year=2026)
    trial = PartnerPerk.objects.get(partner=riser, kind=PerkKind.TRIAL_UPGRADE)
    assert (trial.valid_from, trial.valid_until, trial.target) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 6, 30),
        Decimal("100000.00"),
    )
    partner_sale(riser, owner=org.rep_a1, amount="60000.00", on=dt.date(2027, 1, 20))
    assert partner_trials_settle(today=dt.date(2027, 2, 10)) == []
    partner_sale(riser, owner=org.rep_a1, amount="40000.00", on=dt.date(2027, 3, 2))
    partner_sale(idle, owner=org.rep_a1, amount="99999.99", on=dt.date(2027, 6, 30))
    assert [p.partner.name for p in partner_trials_settle(today=dt.date(2027, 3, 31))] == ["黑马"]
    riser.refresh_from_db()
    assert riser.kind == PartnerKind.STRATEGIC
    trial.refresh_from_db()
    assert trial.status == PerkStatus.MADE_PERMANENT
    assert trial.events.last().note == "试用期业务总额 ¥100,000.00，达到 ¥100,000.00：转为正式战略合伙人"
    partner_perks_expire(today=dt.date(2027, 7, 1))
    idle_trial = PartnerPerk.objects.get(partner=idle, kind=PerkKind.TRIAL_UPGRADE)
    idle.refresh_from_db()
    assert (idle_trial.status, idle.kind) == (PerkStatus.EXPIRED, PartnerKind.ORDINARY)


def test_a_strategic_partner_at_150_percent_gets_branch_training_and_priority(org) -> None:  # type: ignore[no-untyped-def]
    s = make_partner("战略", region=org.region, kind=PartnerKind.STRATEGIC)
    _target(s, "200000.00")
    partner_sale(s, owner=org.rep_a1, amount="300000.00", on=dt.date(2026, 2, 1))
    partner_upgrades_grant(year=2026)
    got = {p.kind: p.valid_until for p in PartnerPerk.objects.all()}
    assert got == {
        PerkKind.BRANCH_TRAINING: dt.date(2027, 1, 31),
        PerkKind.BRANCH_PRIORITY: dt.date(2027, 12, 31),
    }


def test_the_reward_and_a3_reminder_jobs_are_scheduled_on_migrate() -> None:
    from django_celery_beat.models import PeriodicTask

    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"commissions.tasks.rewards_nightly", "reports.tasks.a3_reminders"} <= tasks
