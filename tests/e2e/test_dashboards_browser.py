"""Each role's home in a real browser (Debian's headless chromium) on a phone and on a desktop: every
chart draws (a canvas inside each chart element) and the page logs no console error."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.test import Client

from crm.models import Role
from partners.models import Partner, PartnerKind
from tests.factories import UserFactory, make_order
from tests.reports.world import THIS_MONTH, at, contract, opportunity, org_with_stages, payment

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = [(390, 844), (1440, 900)]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_every_home_draws_its_charts_on_phone_and_desktop(live_server):
    from playwright.sync_api import expect, sync_playwright

    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    opportunity(org.rep_a1, "proposal", "10000.00")
    contract(org.rep_a1, "100000.00", THIS_MONTH)
    payment(org.rep_a1, "30000.00", THIS_MONTH)
    partner_user = UserFactory(username="p1", display_name="合伙人一", roles=[Role.PARTNER])
    Partner.objects.create(name="合伙人一", kind=PartnerKind.ORDINARY, user=partner_user, region=org.region)
    make_order(
        owner=partner_user, booked_at=at(THIS_MONTH), lines=[("regular", Decimal("1"), Decimal("900.00"))]
    )
    homes = {
        "rep": (org.rep_a1, "我的业绩", 1),
        "manager": (org.manager_a, "团队看板", 2),
        "president": (org.president, "公司经营看板", 3),
        "finance": (org.finance, "财务看板", 2),
        "partner": (partner_user, "我的合伙业绩", 1),
    }

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for role, (user, heading, n_charts) in homes.items():
                client = Client()
                client.force_login(user)
                session = client.cookies["sessionid"].value
                for width, height in VIEWPORTS:
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, locale="zh-CN", is_mobile=width < 500
                    )
                    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
                    page = context.new_page()
                    page.set_default_timeout(15_000)
                    errors: list[str] = []
                    page.on(
                        "console",
                        lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
                    )
                    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                    # The site has no favicon yet (not this page's concern): answer it empty.
                    page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
                    page.goto(f"{live_server.url}/")
                    expect(page.get_by_text(heading).first).to_be_visible()
                    charts = page.locator("[data-chart]")
                    expect(charts).to_have_count(n_charts)
                    for i in range(n_charts):
                        chart = charts.nth(i)
                        expect(chart).to_have_attribute("data-chart-drawn", "1")
                        expect(chart.locator("canvas").first).to_be_attached()
                        box = chart.bounding_box()
                        assert box is not None and 0 < box["width"] <= width, (role, width, box)
                    # Resize (phone ↔ desktop) keeps the charts inside the window.
                    page.set_viewport_size({"width": 360 if width > 500 else 1024, "height": 800})
                    page.wait_for_timeout(300)
                    assert errors == [], (role, width, errors)
                    page.screenshot(path=f"/tmp/crm_home_{role}_{width}.png", full_page=True)
                    context.close()
        finally:
            browser.close()
