"""End to end in a real browser (Debian's headless chromium), at desktop and phone size: a rep builds a
quote from the price book — the list and floor price appear from the catalogue, the running totals follow
the per-line and overall discounts, a line can be added — saves it and opens the printable quote."""

from __future__ import annotations

import os
import re

import pytest

from crm.models import Quote
from tests.crm.factories import priced_product, visited_customer
from tests.factories import build_org

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_rep_builds_a_price_book_quote(live_server, size):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    org = build_org()
    priced_product("LIC", "1000.00", "700.00", name="软件许可")
    priced_product("PEN", "10.00", "8.00", name="签字笔")
    customer = visited_customer(org.rep_a1, name="苏州博远医疗器械有限公司")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=SIZES[size], locale="zh-CN", is_mobile=size == "phone")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "rep_a1")
            page.fill("input[name=password]", "pass12345")
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("我的一天")

            page.goto(f"{live_server.url}/quotes/new/?customer={customer.pk}")
            page.fill("input[name=title]", "年度采购报价")
            rows = page.locator("#quote-lines tbody tr.quote-line")
            first, second = rows.nth(0), rows.nth(1)
            first.locator("select.line-product").select_option("LIC")
            expect(first.locator(".line-list")).to_have_text("¥1,000.00")  # from the price book
            expect(first.locator(".line-floor")).to_have_text("¥700.00")
            first.locator(".line-qty").fill("3")
            first.locator(".line-discount").fill("15")
            expect(first.locator(".line-amount")).to_have_text("¥2,550.00")
            second.locator("select.line-product").select_option("PEN")
            second.locator(".line-qty").fill("10")
            second.locator(".line-price").fill("9.50")
            expect(page.locator("#total-list")).to_have_text("¥3,100.00")
            expect(page.locator("#total-quoted")).to_have_text("¥2,645.00")
            expect(page.locator("#below-list-note")).to_be_visible()

            page.click("#add-line")
            expect(rows).to_have_count(4)
            rows.nth(3).locator("select.line-product").select_option("PEN")
            rows.nth(3).locator(".line-qty").fill("5")
            expect(page.locator("#total-quoted")).to_have_text("¥2,695.00")  # + 5 × ¥10.00 at list

            page.get_by_role("button", name="保存草稿").click()
            expect(page.locator(".msg.success")).to_contain_text("报价单已保存为草稿")
            expect(page.locator("#quote-total")).to_have_text("¥2,695.00")
            with page.expect_popup() as popup:
                page.get_by_role("link", name="打印报价单").click()
            doc = popup.value
            expect(doc.locator("h1")).to_have_text("报价单")
            expect(doc.locator("#quote-total")).to_have_text("¥2,695.00")
            doc.emulate_media(media="print")
            expect(doc.locator(".no-print")).to_be_hidden()
            page.screenshot(path=f"/tmp/crm_price_book_quote_{size}.png", full_page=True)
            if size == "phone":  # no sideways scrolling on a phone
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        finally:
            browser.close()

    quote = Quote.objects.get()
    assert (quote.list_total, quote.quoted_total) == (3150, 2695)
    assert re.match(r"^Q", quote.number)
