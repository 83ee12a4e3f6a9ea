"""K14 pages and API: a partner sees only its own perks and champion awards, the regional manager its
region's and records a perk as used (with confirmation, keeping the note on error); the quarterly review
names the candidates; lists cost a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from commissions.models import PartnerPerk, PerkKind, PerkStatus, SalesTarget
from commissions.services.rewards import champions_book
from crm.models import Role
from partners.models import PartnerKind
from tests.commissions.reward_helpers import make_partner, partner_sale
from tests.factories import NAV_QUERIES, UserFactory

pytestmark = pytest.mark.django_db


def perk(partner, *, kind=PerkKind.MARKET_GUIDANCE, month=None, valid=True):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    start = (month or today).replace(day=1)
    return PartnerPerk.objects.create(
        partner=partner,
        kind=kind,
        earned_for=start,
        valid_from=start,
        valid_until=(start + dt.timedelta(days=40)).replace(day=1) - dt.timedelta(days=1),
        reason=f"{partner.name} 业务总额 ¥10,000.00",
        source_key=f"perk:t:{kind}:{partner.pk}:{start}",
    )


@pytest.fixture
def world(org):  # type: ignore[no-untyped-def]
    login = UserFactory(username="p_login", roles=[Role.PARTNER])
    mine = make_partner("自己", region=org.region, user=login)
    other = make_partner("别人", region=org.region_b)
    return login, mine, other, perk(mine), perk(other)


def test_a_partner_sees_only_its_own_perks_in_the_page_and_the_api(client_for, api_for, world) -> None:  # type: ignore[no-untyped-def]
    login, _mine, _other, own, others = world
    html = client_for(login).get("/commissions/rewards/perks/").content.decode()
    assert "自己 业务总额" in html and "别人 业务总额" not in html
    assert client_for(login).get(f"/commissions/rewards/perks/{others.pk}/").status_code == 404
    api = api_for(login)
    assert [p["id"] for p in api.get("/api/commissions/perks/").json()["results"]] == [own.pk]
    assert api.get(f"/api/commissions/perks/{others.pk}/").status_code == 404
    # the partner sees its perk but does not record its own use
    assert api.post(f"/api/commissions/perks/{own.pk}/redeem/", {"note": "用了"}).status_code == 403
    own.refresh_from_db()
    assert own.status == PerkStatus.GRANTED


def test_the_regional_manager_records_a_perk_of_its_region_as_used(client_for, api_for, org, world) -> None:  # type: ignore[no-untyped-def]
    _login, _mine, _other, own, others = world
    client = client_for(org.regional_manager)
    html = client.get("/commissions/rewards/perks/").content.decode()
    assert "自己 业务总额" in html and "别人 业务总额" not in html
    page = client.get(f"/commissions/rewards/perks/{own.pk}/").content.decode()
    assert "data-confirm" in page and "登记已使用" in page
    # a missing note: the form says so and nothing changes
    response = client.post(f"/commissions/rewards/perks/{own.pk}/", {"note": ""})
    assert response.status_code == 200 and "必填项" in response.content.decode()
    response = client.post(f"/commissions/rewards/perks/{own.pk}/", {"note": "11月8日到店指导"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.status == PerkStatus.REDEEMED
    assert [(e.action, e.by, e.note) for e in own.events.all()] == [
        ("redeemed", org.regional_manager, "11月8日到店指导")
    ]
    # twice: a clear refusal, in the API as well
    body = api_for(org.regional_manager).post(f"/api/commissions/perks/{own.pk}/redeem/", {"note": "再来"})
    assert body.status_code == 409 and "已使用" in str(body.json())
    assert client.get(f"/commissions/rewards/perks/{others.pk}/").status_code == 404
    assert client_for(org.rep_a1).get("/commissions/rewards/perks/").status_code == 404


def test_perk_lists_cost_a_fixed_number_of_queries(
    client_for, api_for, org, world, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    _login, mine, other, _own, _others = world
    for i in range(1, 25):
        perk(
            mine if i % 2 else other,
            kind=PerkKind.PUBLIC_LECTURE,
            month=dt.date(2025, 1 + i % 12, 1) + dt.timedelta(days=400 * (i // 12)),
        )
    client = client_for(org.president)
    client.get("/commissions/rewards/perks/")  # warms the per-process caches (site settings, ContentTypes)
    with django_assert_max_num_queries(NAV_QUERIES + 4):
        assert client.get("/commissions/rewards/perks/").status_code == 200
    with django_assert_max_num_queries(8):
        assert len(api_for(org.president).get("/api/commissions/perks/").json()["results"]) == 26


def test_champions_are_announced_to_staff_and_a_partner_sees_only_its_own(
    client_for, api_for, org, world
) -> None:  # type: ignore[no-untyped-def]
    login, _mine, other, _own, _others = world
    partner_sale(other, owner=org.rep_a1, amount="12000.00", on=dt.date(2026, 10, 5))
    champions_book(kind="month", start=dt.date(2026, 10, 1), pool="partner")
    html = (
        client_for(org.rep_a1)
        .get("/commissions/rewards/champions/?period_kind=month&year=2026")
        .content.decode()
    )
    assert "别人" in html and "¥300.00" in html and "¥12,000.00" in html
    body = api_for(org.rep_a1).get("/api/commissions/champions/").json()["results"]
    assert [(x["winner"], x["amount"], x["text"]) for x in body] == [
        ("别人", "300.00", "2026年10月月销售冠军奖：销售额 ¥12,000.00，排名第一，奖金 ¥300.00")
    ]
    assert api_for(login).get("/api/commissions/champions/").json()["results"] == []


def test_the_quarterly_review_lists_the_upgrade_candidates(client_for, api_for, org) -> None:  # type: ignore[no-untyped-def]
    strategic = make_partner("战略", region=org.region, kind=PartnerKind.STRATEGIC)
    riser = make_partner("黑马", region=org.region)
    for p, amount in ((strategic, "200000.00"), (riser, "100000.00")):
        SalesTarget.objects.create(partner=p, period=dt.date(2026, 1, 1), annual=True, amount=Decimal(amount))
    partner_sale(riser, owner=org.rep_a1, amount="200000.01", on=dt.date(2026, 5, 5))
    partner_sale(strategic, owner=org.rep_a1, amount="120000.00", on=dt.date(2026, 2, 5))
    body = api_for(org.regional_manager).get("/api/commissions/upgrade-review/?year=2026&quarter=2").json()
    rows = {r["name"]: r for r in body["rows"]}
    assert rows["黑马"]["candidate_for"] == ["战略合伙人折扣待遇", "试用战略合伙人待遇"]
    assert rows["黑马"]["attainment_percent"] == "200.0"
    assert rows["战略"]["candidate_for"] == []
    assert rows["战略"]["to_go"] == ["距超额 50% 还差 ¥180,000.00"]
    html = (
        client_for(org.regional_manager)
        .get("/commissions/rewards/review/?year=2026&quarter=2")
        .content.decode()
    )
    assert "试用战略合伙人待遇" in html and "¥200,000.01" in html
    assert api_for(org.regional_manager).get("/api/commissions/upgrade-review/?quarter=9").status_code == 400
    assert client_for(org.rep_a1).get("/commissions/rewards/review/").status_code == 404


def test_the_perks_page_in_english(client_for, world) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    login = world[0]
    client = client_for(login)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/commissions/rewards/perks/").content.decode()
    assert "My rewards" in html and "Free market guidance" in html and "Available" in html


def test_the_partner_home_lists_the_perks_it_may_use_and_until_when(client_for, world) -> None:  # type: ignore[no-untyped-def]
    login, mine, _other, own, _others = world
    old = perk(mine, kind=PerkKind.PUBLIC_LECTURE, month=dt.date(2025, 1, 1))
    PartnerPerk.objects.filter(pk=old.pk).update(status=PerkStatus.EXPIRED)
    html = client_for(login).get("/").content.decode()
    assert "免费市场指导" in html and f"{own.valid_until:%Y-%m-%d}" in html
    assert f"/commissions/rewards/perks/{own.pk}/" in html
    assert f"/commissions/rewards/perks/{old.pk}/" not in html  # expired: not offered on the home
