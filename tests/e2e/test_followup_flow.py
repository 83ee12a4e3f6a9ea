"""End to end in a real browser (Debian's headless chromium, phone-sized): a rep logs in, finds a
customer, logs a follow-up from the customer page and sees it on the timeline."""

from __future__ import annotations

import os
import re

import pytest

from crm.models import FollowUp
from tests.factories import CustomerFactory, build_org

# Playwright's sync API runs an event loop in this thread; Django's ORM (used by the test itself and by
# live_server's handlers) must be allowed to run alongside it.
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
SCREENSHOT = os.environ.get("E2E_SCREENSHOT", "/tmp/crm_customer_page_phone.png")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rep_logs_a_followup_on_a_phone(live_server):
    from playwright.sync_api import expect, sync_playwright

    org = build_org()
    customer = CustomerFactory(owner=org.rep_a1, name="苏州博远医疗器械有限公司", grade="B")
    CustomerFactory(owner=org.rep_b1, name="别人的客户有限公司")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True
            )
            page = context.new_page()
            page.set_default_timeout(15_000)

            # Log in through the login form.
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "rep_a1")
            page.fill("input[name=password]", "pass12345")
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("我的一天")

            # Find the customer by a fragment of its name; another rep's customer is not listed.
            page.goto(f"{live_server.url}/customers/")
            page.fill("input[name=q]", "博远医疗")
            page.click("form.filters button[type=submit]")
            expect(page.get_by_role("link", name="苏州博远医疗器械有限公司")).to_be_visible()
            expect(page.get_by_text("别人的客户有限公司")).to_have_count(0)
            page.get_by_role("link", name="苏州博远医疗器械有限公司").click()
            expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

            # Log the visit with the quick form at the top of the customer page.
            quick = page.locator("#quick-log")
            quick.locator("select[name=channel]").select_option("visit_old")
            quick.locator("input[name=topic]").fill("现场演示新款监护仪")
            quick.locator("textarea[name=outcome]").fill("科室主任认可，下周报价")
            quick.get_by_role("button", name="保存沟通记录").click()

            expect(page.locator(".msg.success")).to_contain_text("沟通记录已保存")
            expect(page.locator("#timeline")).to_contain_text("现场演示新款监护仪")
            expect(page.locator("#timeline")).to_contain_text("科室主任认可，下周报价")
            page.screenshot(path=SCREENSHOT, full_page=True)
        finally:
            browser.close()

    followup = FollowUp.objects.get(customer=customer)
    assert (followup.author, followup.channel, followup.topic) == (
        org.rep_a1,
        "visit_old",
        "现场演示新款监护仪",
    )
    customer.refresh_from_db()
    assert customer.last_contacted_at == followup.occurred_at
