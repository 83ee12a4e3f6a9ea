"""The rewards pages (K14), A3 partner consumption tracking with its 25th-of-month analysis and the work
reports (A4) in a real browser (Debian's headless chromium), each opened by the roles that use it, on a
phone (390×844) and a desktop (1440×900): every page answers, every chart draws (a canvas inside each
chart element), no console or script error, and nothing is wider than the window."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client

from commissions.models import PartnerPerk, PerkKind, PerkStatus, SalesTarget
from commissions.services.perks import partner_perk_redeem
from commissions.services.rewards import champions_book
from common.timeutil import local_today, month_start
from crm.models import Role
from reports.consumption import analysis_comment, analysis_save
from reports.filters import add_months
from reports.worklogs import worklog_comment, worklog_save
from tests.commissions.reward_helpers import make_partner, partner_sale
from tests.e2e.test_dashboards_browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORTS
from tests.factories import UserFactory
from tests.reports.world import org_with_stages

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _perk(partner, status: str, month: dt.date) -> PartnerPerk:  # type: ignore[no-untyped-def]
    return PartnerPerk.objects.create(
        partner=partner,
        kind=PerkKind.MARKET_GUIDANCE,
        status=status,
        earned_for=add_months(month, -1),
        valid_from=month,
        valid_until=add_months(month, 1) - dt.timedelta(days=1),
        reason=f"{partner.name} 上月业务总额 ¥12,000.00，达到 ¥10,000.00",
        source_key=f"perk:e2e:{partner.pk}:{status}:{month}",
    )


def _world():  # type: ignore[no-untyped-def]
    org = org_with_stages()
    today = local_today()
    this = month_start(today)
    last = add_months(this, -1)
    login = UserFactory(username="p_login", display_name="宋合伙", roles=[Role.PARTNER])
    partner = make_partner("宋合伙", region=org.region, user=login)
    other = make_partner("韩合伙", region=org.region)
    for p, amount in ((partner, "12000.00"), (other, "8000.00")):
        partner_sale(p, owner=org.rep_a1, amount=amount, on=last.replace(day=10))
        partner_sale(p, owner=org.rep_a1, amount=amount, on=today)
        SalesTarget.objects.create(partner=p, period=this, amount="20000.00")
    champions_book(kind="month", start=last, pool="partner")
    granted = _perk(partner, PerkStatus.GRANTED, this)
    _perk(partner, PerkStatus.EXPIRED, add_months(this, -2))
    redeemed = _perk(other, PerkStatus.GRANTED, this)
    partner_perk_redeem(perk=redeemed, by=org.regional_manager, note="大区经理上门指导两天", today=today)
    analysis = analysis_save(
        partner=partner,
        month=last,
        by=login,
        data={"next_month_plan": "重点跟进老客户复购。", "analysis": "老客户复购带动业绩。"},
        submit=True,
    )
    analysis_comment(analysis=analysis, by=org.regional_manager, comment="同意下月计划。")
    daily = worklog_save(
        author=org.rep_a1,
        kind="daily",
        day=today,
        summary="拜访老客户 2 家，电话沟通 5 家。",
        plan="跟进报价反馈。",
        submit=True,
    )
    worklog_save(author=org.rep_a1, kind="weekly", day=today, summary="本周完成两份报价。", submit=True)
    worklog_comment(report=daily, by=org.manager_a, text="思路清晰，继续跟进。")
    worklog_save(author=org.rep_a2, kind="monthly", day=today, summary="本月草稿", submit=False)
    # who opens what: (user, path, number of charts on the page)
    return [
        (login, "/commissions/rewards/perks/", 0),
        (login, f"/commissions/rewards/perks/{granted.pk}/", 0),
        (login, "/commissions/rewards/champions/", 0),
        (login, "/reports/a3/mine/", 0),
        (login, f"/reports/a3/{analysis.pk}/", 0),
        (org.regional_manager, f"/reports/a3/?month={last:%Y-%m}", 1),
        (org.regional_manager, f"/reports/a3/{analysis.pk}/", 0),
        (org.regional_manager, "/commissions/rewards/perks/", 0),
        (org.regional_manager, f"/commissions/rewards/perks/{granted.pk}/", 0),
        (org.regional_manager, "/commissions/rewards/review/", 0),
        (org.rep_a1, "/commissions/rewards/champions/", 0),
        (org.rep_a1, "/reports/worklogs/", 0),
        (org.rep_a1, "/reports/worklogs/write/?kind=weekly", 0),
        (org.rep_a1, f"/reports/worklogs/{daily.pk}/", 0),
        (org.manager_a, "/reports/worklogs/team/", 0),
        (org.manager_a, f"/reports/worklogs/{daily.pk}/", 0),
    ]


def test_rewards_a3_and_work_report_pages_on_phone_and_desktop(live_server):
    from playwright.sync_api import expect, sync_playwright

    visits = _world()
    sessions: dict[int, str] = {}
    for user, _path, _n in visits:
        if user.pk not in sessions:
            client = Client()
            client.force_login(user)
            sessions[user.pk] = client.cookies["sessionid"].value
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for width, height in VIEWPORTS:
                for user, path, n_charts in visits:
                    where = f"[{user.username} {width}px {path}]"
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, locale="zh-CN", is_mobile=width < 500
                    )
                    context.add_cookies(
                        [{"name": "sessionid", "value": sessions[user.pk], "url": live_server.url}]
                    )
                    page = context.new_page()
                    page.set_default_timeout(15_000)
                    page.on(
                        "console",
                        lambda m, w=where: (
                            problems.append(f"{w} console: {m.text}") if m.type == "error" else None
                        ),
                    )
                    page.on("pageerror", lambda e, w=where: problems.append(f"{w} script error: {e}"))
                    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
                    response = page.goto(f"{live_server.url}{path}")
                    assert response is not None and response.status == 200, (
                        where,
                        response and response.status,
                    )
                    page.wait_for_load_state("load")
                    charts = page.locator("[data-chart]")
                    expect(charts).to_have_count(n_charts)
                    for i in range(n_charts):
                        expect(charts.nth(i)).to_have_attribute("data-chart-drawn", "1")
                        expect(charts.nth(i).locator("canvas").first).to_be_attached()
                    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                    if widths[0] > widths[1]:
                        problems.append(f"{where} {widths[0]} px wide in a {widths[1]} px window")
                    context.close()
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
