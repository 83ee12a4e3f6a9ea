"""End to end in Debian's headless chromium: each role walks its main pages on a phone (390×844) and a
desktop (1440×900), in Chinese and in English. The walk fails on
- any horizontal overflow (the page is wider than the window),
- any console error or uncaught script error (a missing asset, a blocked script, a JS bug),
- any link in the user's menu that answers 403 or 404 (the menu offers only what the user may open),
- any serious or critical accessibility violation found by axe-core (vendored under tests/ only).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from crm.models import Role
from tests.factories import CustomerFactory, UserFactory, build_org, make_order
from tests.partners.factories import PartnerFactory

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
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
PASSWORD = "pass12345"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
LANGUAGES = ("zh-hans", "en")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _people():  # type: ignore[no-untyped-def]
    """A small company: the org of the unit tests, a customer with an order, and a partner login."""
    org = build_org()
    customer = CustomerFactory(owner=org.rep_a1, name="苏州博远医疗器械有限公司", grade="B")
    make_order(owner=org.rep_a1, customer=customer)
    partner_login = UserFactory(username="partner1", display_name="合伙人一", roles=[Role.PARTNER])
    PartnerFactory(name="合伙人一", user=partner_login, region=org.region)
    return org, customer, partner_login


def _journeys(org, customer, partner_login):  # type: ignore[no-untyped-def]
    """Each role's main pages (what they open every day), after its home page."""
    from crm.services.approvals import authority_rules_seed_defaults
    from tests.commissions.factories import install_plan

    authority_rules_seed_defaults()
    plan = install_plan("sales_progressive")
    return {
        "rep": (
            org.rep_a1,
            ["/", "/customers/", f"/customers/{customer.pk}/", "/opportunities/", "/outings/new/"],
        ),
        "manager": (org.manager_a, ["/", "/approvals/", "/customers/", "/orders/"]),
        "finance": (org.finance, ["/", "/settlements/dashboard/", "/settlements/", "/orders/"]),
        "partner": (partner_login, ["/partners/portal/"]),
        # issue 15: administration inside the product (the org page, the matrix, the plan editor)
        "admin": (
            org.admin,
            ["/", "/customers/", "/org/", "/authority-matrix/", f"/commissions/plans/{plan.pk}/"],
        ),
    }


def _check_page(page, url: str, problems: list[str], where: str) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(url)
    status = response.status if response else 0
    if status >= 400:
        problems.append(f"{where} {url}: answered {status}")
        return
    page.wait_for_load_state("load")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        problems.append(f"{where} {url}: {widths[0]} px wide in a {widths[1]} px window")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "axe.run(document, {resultTypes: ['violations'], runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})"
    )
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [n["target"] for n in v["nodes"][:3]]
            problems.append(f"{where} {url}: axe {v['id']} ({v['impact']}) {json.dumps(targets)}")


def _menu_links(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all(
        "#app-nav a[href], .app-tabbar a[href]", "els => els.map(e => e.getAttribute('href'))"
    )


ROLES = ("rep", "manager", "finance", "partner", "admin")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", tuple(VIEWPORTS))
@pytest.mark.parametrize("role", ROLES)
def test_role_walks_its_pages(live_server, role, size, language):
    from playwright.sync_api import sync_playwright

    org, customer, partner_login = _people()
    user, pages = _journeys(org, customer, partner_login)[role]
    where = f"[{role} {size} {language}]"
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # bypass_csp: axe is injected by the test; the app's own pages never need it.
            context = browser.new_context(
                viewport=VIEWPORTS[size], is_mobile=size == "phone", bypass_csp=True
            )
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.on(
                "console",
                lambda m: (
                    problems.append(f"{where} console {m.type}: {m.text}") if m.type == "error" else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"{where} script error: {e}"))
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", user.username)
            page.fill("input[name=password]", PASSWORD)
            page.click("form[method=post] button.btn-primary")
            page.wait_for_load_state("load")
            assert "/accounts/login/" not in page.url, f"{where} could not log in"
            for path in pages:
                _check_page(page, f"{live_server.url}{path}", problems, where)
            if size == "desktop":
                # Every link in the menu opens (once per role and language is enough).
                page.goto(f"{live_server.url}/")
                links = sorted(set(_menu_links(page)))
                assert links, f"{where} has an empty menu"
                for href in links:
                    answer = page.request.get(f"{live_server.url}{href}", max_redirects=0)
                    if answer.status in (403, 404):
                        problems.append(f"{where} menu link {href} answers {answer.status}")
        finally:
            browser.close()
    assert problems == [], "\n".join(problems)
