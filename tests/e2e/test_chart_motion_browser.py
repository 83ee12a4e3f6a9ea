"""Issue 15, in a real browser: charts honour the system's "reduce motion" setting (ECharts animation
off, which also makes screenshots exact), and a chart under a card heading draws no title of its own."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.reports.world import opportunity, org_with_stages

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OPTION = """(id) => {
  const o = window.echarts.getInstanceByDom(document.getElementById(id)).getOption();
  return {animation: o.animation, titles: (o.title || []).map((t) => t.text || "")};
}"""


@pytest.mark.parametrize("motion,animated", [("reduce", False), ("no-preference", True)])
def test_charts_follow_the_reduced_motion_setting(live_server, motion, animated):
    from playwright.sync_api import expect, sync_playwright

    org = org_with_stages()
    opportunity(org.rep_a1, "proposal", "10000.00")
    client = Client()
    client.force_login(org.manager_a)
    session = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, reduced_motion=motion)
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            page.goto(f"{live_server.url}/")
            expect(page.locator("#chart-funnel")).to_have_attribute("data-chart-drawn", "1")
            funnel = page.evaluate(OPTION, "chart-funnel")
            assert funnel["animation"] is animated
            # the card's heading says "销售漏斗"; the chart says nothing more
            assert [t for t in funnel["titles"] if t] == []
            context.close()
        finally:
            browser.close()
