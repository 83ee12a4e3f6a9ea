"""A report's charts in a real browser: "save as image" downloads the drawn chart as a PNG (ECharts
getDataURL, from static/js/charts.js: CSP allows no inline script) and "export Excel" its table."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.reports.world import THIS_MONTH, opportunity, org_with_stages

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width,height", [(390, 844), (1440, 900)])
def test_save_as_image_and_excel_export_download(live_server, width, height):
    from playwright.sync_api import expect, sync_playwright

    org = org_with_stages()
    opportunity(org.rep_a1, "proposal", "10000.00")
    client = Client()
    client.force_login(org.manager_a)
    session = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
            )
            context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/favicon.ico", lambda route: route.fulfill(status=204, body=""))
            page.goto(f"{live_server.url}/reports/funnel/?month={THIS_MONTH:%Y-%m}")
            expect(page.locator("#chart-funnel")).to_have_attribute("data-chart-drawn", "1")
            save = page.locator('[data-chart-save="chart-funnel"]')
            expect(save).to_be_visible()
            with page.expect_download() as image:
                save.click()
            assert image.value.suggested_filename == "销售漏斗.png"
            with open(image.value.path(), "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n"
            with page.expect_download() as sheet:
                page.get_by_role("link", name="导出 Excel").first.click()
            assert sheet.value.suggested_filename == "funnel-funnel.xlsx"
            overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert overflow is False
            assert errors == []
            context.close()
        finally:
            browser.close()
