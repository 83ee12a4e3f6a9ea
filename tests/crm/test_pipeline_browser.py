"""In a phone-sized browser: the president's assistant opens the approvals centre and approves a 4.5折
quote inline with a reason; the quote page then shows the chain with who approved and why."""

from __future__ import annotations

import contextlib
import os

import pytest

from crm.models import Quote, QuoteStatus
from tests.crm.pipeline_world import build_world


def _confirm(page) -> None:  # type: ignore[no-untyped-def]
    """Press "确认" in the confirmation dialog (shown when Bootstrap's modal is available)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.locator("#app-confirm [data-confirm-yes]").click(timeout=5_000)


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assistant_approves_from_phone_inbox(org, live_server):  # type: ignore[no-untyped-def]
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    w = build_world(org)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 375, "height": 740})
        page = ctx.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "assistant")
        page.fill("input[name=password]", "pass12345")
        page.click("form[method=post] button.btn-primary")
        page.wait_for_load_state("load")
        assert "/accounts/login/" not in page.url, "could not log in"
        page.goto(f"{live_server.url}/approvals/")
        card = page.locator("article.approval-card", has_text=w.quote.number)
        card.locator("form:has(input[value=approve]) input[name=reason]").fill("大客户，同意")
        card.locator("button[data-action=approve]").click()
        _confirm(page)
        page.locator(".approval-done", has_text="已同意").wait_for()
        page.goto(f"{live_server.url}/quotes/{w.quote.pk}/")
        text = page.content()
        browser.close()
    assert Quote.objects.get(pk=w.quote.pk).status == QuoteStatus.APPROVED
    assert "大客户，同意" in text and str(org.assistant) in text
