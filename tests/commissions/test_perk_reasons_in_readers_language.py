"""Issue 15: why a partner earned a perk reads in the partner's language — on the perks page, in the
API and in the notification — while the stored reason stays the Chinese wording it always was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from django.utils.html import escape

from commissions.models import PartnerPerk, PerkKind, SalesTarget
from commissions.services.perks import partner_perks_grant, partner_upgrades_grant
from common.models import Notification
from crm.models import Role
from tests.commissions.reward_helpers import make_partner, partner_sale
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)


def test_a_market_guidance_reason_reads_in_each_language(org, client_for, api_for) -> None:  # type: ignore[no-untyped-def]
    # given a partner with a login who sold ¥12,000 in October and ¥30,000 over August–October
    login = UserFactory(username="p_steady", roles=[Role.PARTNER])
    steady = make_partner("三月三万", region=org.region, user=login)
    for month, amount in ((8, "9000.00"), (9, "9000.00"), (10, "12000.00")):
        partner_sale(steady, owner=org.rep_a1, amount=amount, on=dt.date(2026, month, 2))
    # when the month's perks are granted
    partner_perks_grant(month=OCT)
    perk = PartnerPerk.objects.get(partner=steady, kind=PerkKind.MARKET_GUIDANCE)
    zh = (
        "2026年10月业务总额 ¥12,000.00，达到 ¥10,000.00；截至2026年10月连续三个月业务总额 ¥30,000.00，"
        "达到 ¥30,000.00：次月免费市场指导 2 天，仅承担工作人员差旅费用"
    )
    en = (
        "Earned by business total ¥12,000.00 in 10/2026, reaching ¥10,000.00; business total ¥30,000.00 in "
        "the three months to 10/2026, reaching ¥30,000.00: 2 days of free market guidance next month "
        "(only the staff's travel costs are charged)"
    )
    # then the stored reason is the Chinese wording, and each reader reads their own
    assert perk.reason == zh
    assert perk.reason_text == zh
    with translation.override("en"):
        assert perk.reason_text == en
        assert Notification.objects.get(user=login).message == (
            f"You have been granted Free market guidance (2026-11-01 to 2026-11-30): {en}"
        )
    client = client_for(login)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert escape(en) in client.get(f"/commissions/rewards/perks/{perk.pk}/").content.decode()
    api = api_for(login).get(f"/api/commissions/perks/{perk.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api["reason"] == en


def test_an_upgrade_reason_reads_in_english(org) -> None:  # type: ignore[no-untyped-def]
    edge = make_partner("一倍半", region=org.region)
    SalesTarget.objects.create(
        partner=edge, period=dt.date(2026, 1, 1), annual=True, amount=Decimal("100000.00")
    )
    partner_sale(edge, owner=org.rep_a1, amount="150000.00", on=dt.date(2026, 6, 1))
    partner_upgrades_grant(year=2026)
    perk = PartnerPerk.objects.get(partner=edge)
    assert perk.reason == (
        "2026年业务总额 ¥150,000.00，超额完成年度营销任务 ¥100,000.00 的 50%："
        "次月起享受战略合伙人折扣待遇 1 个月"
    )
    with translation.override("en"):
        assert perk.reason_text == (
            "Business total ¥150,000.00 in 2026, beating the annual target ¥100,000.00 by 50%: "
            "the strategic partner discount for 1 month from next month"
        )


@pytest.mark.parametrize(
    ("months", "zh_months", "en_months"), [(1, "1 个月", "1 month"), (6, "6 个月", "6 months")]
)
def test_a_trial_upgrade_counts_its_months(org, months, zh_months, en_months) -> None:  # type: ignore[no-untyped-def]
    # given a strategic partner's annual target of ¥200,000 in the region and an ordinary partner above it
    from partners.models import PartnerKind

    strategic = make_partner("战略", region=org.region, kind=PartnerKind.STRATEGIC)
    SalesTarget.objects.create(
        partner=strategic, period=dt.date(2026, 1, 1), annual=True, amount=Decimal("200000.00")
    )
    riser = make_partner("黑马", region=org.region)
    partner_sale(riser, owner=org.rep_a1, amount="200000.01", on=dt.date(2026, 9, 1))
    # when the year's upgrades are granted with a trial of `months` months
    with override_settings(REWARDS_TRIAL_MONTHS=months):
        partner_upgrades_grant(year=2026)
    trial = PartnerPerk.objects.get(partner=riser, kind=PerkKind.TRIAL_UPGRADE)
    # then the reason counts the months in English, and the Chinese wording is as it always was
    assert trial.reason == (
        "2026年业务总额 ¥200,000.01，超过本大区战略合伙人年度营销任务 ¥200,000.00："
        f"次月起 {zh_months}享受战略合伙人待遇，期内业务总额达到 ¥100,000.00即转为正式战略合伙人"
    )
    with translation.override("en"):
        assert trial.reason_text == (
            "Business total ¥200,000.01 in 2026, above the annual target of the region's strategic partner "
            f"¥200,000.00: strategic partner treatment for {en_months} from next month, made permanent on "
            "reaching a business total of ¥100,000.00 within that time"
        )


def test_a_trial_reason_stored_before_still_reads_in_english(org) -> None:  # type: ignore[no-untyped-def]
    from commissions.services.perks import TRIAL_REASON_BEFORE
    from common.deferred_text import words_text

    stored = {
        "m": TRIAL_REASON_BEFORE,
        "a": {"year": 2026, "amount": "¥1.00", "bar": "¥0.50", "months": 6, "target": "¥0.25"},
    }
    with translation.override("en"):
        assert words_text(stored) == (
            "Business total ¥1.00 in 2026, above the annual target of the region's strategic partner ¥0.50: "
            "strategic partner treatment for 6 months from next month, made permanent on reaching a business "
            "total of ¥0.25 within that time"
        )


def test_the_perks_trail_reads_in_each_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    from commissions.models import PerkAction, PerkStatus
    from commissions.services.perks import partner_perks_expire, partner_trials_settle
    from partners.models import PartnerKind

    # given a trial made permanent and another left to expire
    strategic = make_partner("战略", region=org.region, kind=PartnerKind.STRATEGIC)
    SalesTarget.objects.create(
        partner=strategic, period=dt.date(2026, 1, 1), annual=True, amount=Decimal("200000.00")
    )
    riser, idle = make_partner("黑马", region=org.region), make_partner("昙花", region=org.region)
    for p in (riser, idle):
        partner_sale(p, owner=org.rep_a1, amount="200000.01", on=dt.date(2026, 9, 1))
    partner_upgrades_grant(year=2026)
    partner_sale(riser, owner=org.rep_a1, amount="100000.00", on=dt.date(2027, 2, 2))
    partner_trials_settle(today=dt.date(2027, 2, 28))
    partner_perks_expire(today=dt.date(2027, 7, 1))
    made = PartnerPerk.objects.get(partner=riser, status=PerkStatus.MADE_PERMANENT).events.get(
        action=PerkAction.MADE_PERMANENT
    )
    gone = PartnerPerk.objects.get(partner=idle, status=PerkStatus.EXPIRED).events.get(
        action=PerkAction.EXPIRED
    )
    # then the stored notes are the Chinese wording, and English readers read English
    assert (made.note, gone.note) == (
        "试用期业务总额 ¥100,000.00，达到 ¥100,000.00：转为正式战略合伙人",
        "未在有效期内使用，过期作废",
    )
    with translation.override("en"):
        assert (made.note_text, gone.note_text) == (
            "Business total ¥100,000.00 in the trial, reaching ¥100,000.00: made a strategic partner",
            "Not used within its validity: expired",
        )
    client = client_for(org.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/commissions/rewards/perks/{gone.perk_id}/").content.decode()
    assert "Not used within its validity: expired" in html and "过期作废" not in html
