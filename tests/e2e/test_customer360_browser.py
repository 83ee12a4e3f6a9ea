"""End to end in a real browser (Debian's headless chromium), at desktop and phone size: a rep opens a
customer, the 360 tabs show their counts, clicking a tab swaps only the tab body in (htmx) and puts the
tab's own URL in the address bar, and the page never scrolls sideways."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Contact, Payment
from tests.factories import CustomerFactory, FollowUpFactory, build_org, make_order

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
def test_rep_walks_the_customer_360_tabs(live_server, size):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    org = build_org()
    customer = CustomerFactory(owner=org.rep_a1, name="杭州全景科技有限公司")
    Contact.objects.create(customer=customer, name="李总", position="总经理")
    FollowUpFactory(customer=customer, author=org.rep_a1, topic="介绍年度方案")
    order = make_order(owner=org.rep_a1, customer=customer)
    Payment.objects.create(
        order=order, amount=Decimal("4000.00"), received_on=timezone.localdate(), recorded_by=org.finance
    )

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

            page.goto(f"{live_server.url}/customers/{customer.pk}/")
            tabs = page.locator("#customer-360")
            expect(tabs.locator("#tab-contacts")).to_contain_text("李总")
            expect(tabs.locator('[data-tab="orders"] .tab-count')).to_have_text("1")
            expect(tabs.locator('[data-tab="receivables"] .tab-count')).to_have_text("1")

            # a marker on the page survives the tab switch only if htmx swapped the tab alone
            page.evaluate("window.__stayed = true")
            tabs.locator('[data-tab="receivables"]').click()
            expect(page.locator("#tab-receivables")).to_contain_text("¥6,000.00")
            assert page.evaluate("window.__stayed === true")
            assert page.url.endswith(f"/customers/{customer.pk}/tabs/receivables/")

            page.locator('#customer-360 [data-tab="followups"]').click()
            expect(page.locator("#tab-followups")).to_contain_text("介绍年度方案")
            page.locator('#customer-360 [data-tab="quotes"]').click()
            expect(page.locator("#tab-quotes")).to_contain_text("还没有您可见的报价单")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

            # the tab's URL on its own is the whole page with that tab open
            page.goto(f"{live_server.url}/customers/{customer.pk}/tabs/payments/")
            expect(page.locator("h1")).to_contain_text("杭州全景科技有限公司")
            expect(page.locator("#tab-payments")).to_contain_text("¥4,000.00")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            browser.close()
