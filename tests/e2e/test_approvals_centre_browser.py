"""End to end in a real browser (Debian's headless chromium), at phone and desktop size: a manager opens
the approvals centre, sees the quote card with its context, approves it inline (htmx, after the
confirmation dialog) and reads what happened — without a page load and without horizontal scroll."""

from __future__ import annotations

import os

import pytest

from crm.models import Quote, QuoteStatus
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, visited_customer
from tests.factories import build_org

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _confirm(page) -> None:  # type: ignore[no-untyped-def]
    """The confirmation dialog must open before anything is sent; press "确认" in it."""
    page.locator("#app-confirm [data-confirm-yes]").click(timeout=10_000)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.mark.parametrize("size", list(SIZES))
def test_manager_approves_a_quote_inline_in_the_approvals_centre(live_server, size):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    org = build_org()
    authority_rules_seed_defaults()
    priced_product("LIC", "1000.00", "600.00", name="软件许可")
    customer = visited_customer(org.rep_a1, name="杭州云栖科技有限公司")
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=customer,
        title="年度软件许可",
        lines=[{"product": "LIC", "quantity": "2", "quoted_price": "800.00"}],
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=org.rep_a1)

    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=SIZES[size], locale="zh-CN", is_mobile=size == "phone")
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", org.manager_a.username)
            page.fill("input[name=password]", "pass12345")
            page.click("form[method=post] button.btn-primary")
            page.wait_for_load_state("load")
            assert "/accounts/login/" not in page.url, "could not log in"

            page.goto(f"{live_server.url}/approvals/")
            expect(page.locator("h1")).to_have_text("审批中心")
            expect(page.locator("a.nav-link.active[data-tab=quotes]")).to_be_visible()
            card = page.locator("article.approval-card", has_text=quote.number)
            expect(card).to_contain_text("杭州云栖科技有限公司")
            expect(card).to_contain_text("¥1,600.00")  # quoted total
            expect(card).to_contain_text("20%")  # discount off list
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES[size]["width"], f"horizontal scroll: {width}px"

            expect(page.locator("a[data-tab=quotes] .badge")).to_have_text("1")
            expect(page.locator("#nav-badge-crmapproval_inbox .badge")).to_have_text("1")
            page.evaluate("window.__stayed = true")  # gone if the page reloads
            card.locator("button[data-action=approve]").click()
            _confirm(page)
            done = page.locator(".approval-done")
            expect(done).to_contain_text("已同意")
            expect(done).to_contain_text("审批完成，已通知 销售甲一")
            assert page.evaluate("window.__stayed === true"), "the page reloaded instead of an inline update"
            # the tab count and the menu badge follow in the same response (nothing left to decide)
            expect(page.locator("a[data-tab=quotes] .badge")).to_have_count(0)
            expect(page.locator("#nav-badge-crmapproval_inbox .badge")).to_have_count(0)
        finally:
            browser.close()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.APPROVED
    assert errors == []
