"""End to end in a real browser at desktop and phone size: a rep moves an opportunity card to the next
stage — by dragging with the mouse at 1440 px, with a finger on the card's grip on a (touch) phone — (it
moves, the column figures follow), moves another to 失败 without a reason (the rules refuse: the card
snaps back and the reason shows), and on a phone moves a third with its stage menu (the accessible
fallback). Every stage is visible at 1440 px and nothing scrolls sideways at either size."""

from __future__ import annotations

import os

import pytest

from crm.models import Opportunity
from crm.services import opportunities as opp_services
from tests.crm.factories import visited_customer
from tests.factories import build_org

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def drag(page, card, column):  # type: ignore[no-untyped-def]
    """Press on the card, move onto the column's heading, release — with both in the window (on a
    phone the stacked column is scrolled to just above the card's column first)."""
    if page.viewport_size["width"] >= 992:  # side by side: Playwright's own drag
        card.locator(".kanban-meta").drag_to(column.locator(".kanban-head"))
        return
    column.locator(".kanban-head").evaluate("el => el.scrollIntoView({block: 'center'})")
    head = column.locator(".kanban-head").bounding_box()
    if card.bounding_box()["y"] < 0 or card.bounding_box()["y"] > page.viewport_size["height"] - 80:
        card.evaluate("el => el.scrollIntoView({block: 'start'})")
        head = column.locator(".kanban-head").bounding_box()
    src = card.locator(".kanban-meta").bounding_box()
    page.mouse.move(src["x"] + 10, src["y"] + src["height"] / 2)
    page.mouse.down()
    page.mouse.move(src["x"] + 30, src["y"] + src["height"] / 2 + 5, steps=3)
    page.mouse.move(head["x"] + head["width"] / 2, head["y"] + head["height"] / 2, steps=10)
    page.mouse.up()


def touch_drag(page, card, column):  # type: ignore[no-untyped-def]
    """A finger on the card's grip moves onto the column's heading and lifts — real touch input
    (Chromium's Input.dispatchTouchEvent), so the page sees pointer events of type "touch". Scrolled
    instantly (the page scrolls smoothly otherwise, and the boxes would be measured mid-way)."""
    column.locator(".kanban-head").evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
    grip = card.locator("[data-grip]")
    if grip.bounding_box()["y"] < 80 or grip.bounding_box()["y"] > page.viewport_size["height"] - 80:
        card.evaluate("el => el.scrollIntoView({block: 'center', behavior: 'instant'})")
    src, head = grip.bounding_box(), column.locator(".kanban-head").bounding_box()
    x0, y0 = src["x"] + src["width"] / 2, src["y"] + src["height"] / 2
    x1, y1 = head["x"] + head["width"] / 2, head["y"] + head["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, 11):
        x, y = x0 + (x1 - x0) * i / 10, y0 + (y1 - y0) * i / 10
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.mark.parametrize("size", list(SIZES))
def test_rep_drags_cards_between_stages(live_server, size):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # the shared 2-core machine can be slow to answer a move

    org = build_org()
    opp_services.stages_seed_defaults()
    rep = org.rep_a1
    a = opp_services.opportunity_create(
        by=rep, customer=visited_customer(rep), name="甲项目", amount="1000.00"
    )
    b = opp_services.opportunity_create(
        by=rep, customer=visited_customer(rep), name="乙项目", amount="2000.00"
    )
    c = opp_services.opportunity_create(
        by=rep, customer=visited_customer(rep), name="丙项目", amount="500.00"
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(
                viewport=SIZES[size], locale="zh-CN", has_touch=size == "phone"
            ).new_page()
            page.set_default_timeout(15_000)
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", "rep_a1")
            page.fill("input[name=password]", "pass12345")
            page.click("button[type=submit]")
            page.goto(f"{live_server.url}/opportunities/")

            columns = page.locator(".kanban-column")
            expect(columns).to_have_count(6)
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            if size == "desktop":  # the whole funnel side by side inside the window
                for i in range(6):
                    box = columns.nth(i).bounding_box()
                    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1440

            lead = page.locator(".kanban-column[data-stage=lead]")
            qualified = page.locator(".kanban-column[data-stage=qualified]")
            expect(lead.locator("[data-count]")).to_have_text("3")

            # Drag 甲项目 to 立项: it moves, the figures are the server's.
            # A column takes a drop anywhere on it; on a phone its heading is the easy target.
            card_a = lead.locator("[data-card]", has_text="甲项目")
            if size == "desktop":
                drag(page, card_a, qualified)
            else:  # on a phone the columns stack: a finger drags the card by its grip
                touch_drag(page, card_a, qualified)
            expect(page.locator("[data-kanban-status]")).to_contain_text("已移到：立项")
            qualified = page.locator(".kanban-column[data-stage=qualified]")
            expect(qualified.locator("[data-card]", has_text="甲项目")).to_have_count(1)
            expect(qualified.locator("[data-count]")).to_have_text("1")
            expect(qualified.locator("[data-amount]")).to_have_text("¥1,000.00")
            expect(qualified.locator("[data-weighted]")).to_have_text("¥250.00")  # 25 %
            assert Opportunity.objects.get(pk=a.pk).stage == "qualified"

            # 乙项目 to 失败 with no reason: refused, it snaps back, the reason is shown. On the desktop
            # by dragging across the board; on a phone (失败 is five stacked columns further down) with
            # the card's stage menu.
            lead = page.locator(".kanban-column[data-stage=lead]")
            lost = page.locator(".kanban-column[data-stage=lost]")
            card_b = lead.locator("[data-card]", has_text="乙项目")
            if size == "desktop":
                drag(page, card_b, lost)
            else:
                card_b.locator("select[data-move]").select_option("lost")
            expect(page.locator("[data-kanban-status]")).to_contain_text("未能移动：输单请填写原因。")
            expect(lead.locator("[data-card]", has_text="乙项目")).to_have_count(1)
            expect(lost.locator("[data-card]")).to_have_count(0)
            expect(card_b.locator("select[data-move]")).to_have_value("lead")
            assert Opportunity.objects.get(pk=b.pk).stage == "lead"

            if size == "phone":  # the card's stage menu does the same without dragging
                lead.locator("[data-card]", has_text="丙项目").locator("select[data-move]").select_option(
                    "proposal"
                )
                expect(page.locator("[data-kanban-status]")).to_contain_text("已移到：方案/报价")
                assert Opportunity.objects.get(pk=c.pk).stage == "proposal"
            assert page.evaluate(NO_SIDEWAYS_SCROLL)
            assert not [e for e in errors if "400" not in e], errors
        finally:
            browser.close()
