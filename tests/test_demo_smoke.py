"""Integration smoke test: the demo company (all six seeders) loads once, then every demo role opens
every page its menu links to, the first detail link of each of those pages, and the main API lists.
Nothing may answer 500 — this is where breakage between the apps shows up. Runs in the normal suite."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from crm.models import User

ROLE_USERS = [
    "rep11",
    "mgr1",
    "rm_east",
    "assistant",
    "vp",
    "president",
    "finance",
    "admin",
    "partner1",
    "exec1",
    "dept_assistant1",
    "deliveryvp",
    "impl1",
]
DETAIL_RE = re.compile(r"^/[^?#]*/\d+/$")
# how many distinct detail pages each role must at least reach from its menu (guards the link parsing)
MIN_DETAILS = {"rep11": 3, "mgr1": 3, "rm_east": 3, "admin": 3, "president": 3}
SKIP_PREFIXES = ("/i18n/", "/accounts/logout", "/logout")


class _Links(HTMLParser):
    """hrefs inside <nav> and inside <main>, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.nav: list[str] = []
        self.main: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("nav", "main"):
            self.stack.append(tag)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if "nav" in self.stack:
                self.nav.append(href)
            elif "main" in self.stack:
                self.main.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "main") and self.stack and self.stack[-1] == tag:
            self.stack.pop()


def _links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def _internal(href: str) -> bool:
    return href.startswith("/") and not href.startswith("//") and not href.startswith(SKIP_PREFIXES)


def _api_list_urls() -> list[str]:
    """Every DRF router list route under /api/ (no path arguments)."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif (
                isinstance(p, URLPattern)
                and (p.name or "").endswith("-list")
                and "get" in (getattr(p.callback, "actions", None) or {})  # create-only routes have no list
            ):
                path = route.replace("^", "").replace("$", "")
                if path.startswith("api/") and not re.search(r"[<(\[\\]", path.replace(r"\.", "")):
                    found.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """seed_demo once for the module, rolled back afterwards so other tests see an empty database."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo")
        yield
        transaction.set_rollback(True)


def test_api_list_routes_are_found():  # type: ignore[no-untyped-def]
    urls = _api_list_urls()
    for expected in (
        "/api/customers/",
        "/api/orders/",
        "/api/partners/collisions/",
        "/api/commissions/lines/",
    ):
        assert expected in urls
    assert "/api/settlements/settlements/" in urls
    assert "/api/settlements/exports/" not in urls  # create-only: no list to GET
    assert set(RESTRICTED) <= set(urls)


@pytest.mark.parametrize("username", ROLE_USERS)
def test_every_menu_page_and_first_detail_opens(demo, db, username):  # type: ignore[no-untyped-def]
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    home = client.get("/", follow=True)
    assert home.status_code == 200, (username, "/", home.status_code)
    nav = [h for h in _links(home.content.decode()).nav if _internal(h)]
    assert nav, f"{username}: no menu links"
    failures: list[tuple[str, int]] = []
    seen: set[str] = set()
    for href in dict.fromkeys(nav):
        res = client.get(href)
        if res.status_code != 200:
            failures.append((href, res.status_code))
            continue
        if "text/html" not in res.get("Content-Type", ""):
            continue
        details = [h for h in _links(res.content.decode()).main if DETAIL_RE.match(h) and h not in seen]
        if details:
            seen.add(details[0])
            detail = client.get(details[0])
            if detail.status_code != 200:
                failures.append((f"{href} → {details[0]}", detail.status_code))
    assert not failures, f"{username}: {failures}"
    # the detail pattern really matches this app's links: most roles reach several detail pages
    assert len(seen) >= MIN_DETAILS.get(username, 1), (username, sorted(seen))


# Lists open only to some roles (everyone else gets 404, as for an unknown page). Every other list
# route must answer 200 to every role (filtered to what they may see).
POOL_ROLES = set(ROLE_USERS) - {"assistant", "dept_assistant1", "finance", "partner1", "deliveryvp", "impl1"}
INTERNAL = set(ROLE_USERS) - {"partner1"}  # crm.policy.is_internal: a partner sees only the portal
SALES = INTERNAL - {"finance"}  # crm.policy.works_in_sales: finance has no customer book or pipeline
RESTRICTED = {
    "/api/pool/": POOL_ROLES,
    **{
        f"/api/{path}/": SALES
        for path in ("customers", "contacts", "leads", "opportunities", "outings", "quotes")
    },
    **{
        f"/api/{path}/": INTERNAL
        for path in ("approvals", "contracts", "orders", "receivables", "org/regions", "org/departments")
    },
    **{f"/api/{path}/": INTERNAL for path in ("org/industries", "org/users")},
    **{f"/api/{path}/": INTERNAL for path in ("products", "product-categories")},  # the price book
    "/api/partners/collisions/": SALES | {"partner1"},
    "/api/partners/partners/": {"vp", "president", "admin"},
    "/api/partners/portal/customers/": {"partner1"},
    "/api/partners/portal/orders/": {"partner1"},
    "/api/partners/portal/referrals/": {"partner1"},
    # finance's entry lists: K13 tickets and 002 §6 customer rebate payments
    **{f"/api/{path}/": {"finance"} for path in ("settlements/ticket-stock", "settlements/ticket-sales")},
    "/api/rebate-payments/": {"finance"},
    # issue 16: imports and tasks belong to the customer book (finance and partners have none); finance
    # manages the price book, so imports its products
    "/api/imports/": SALES | {"finance"},
    "/api/tasks/": SALES,
    "/api/execution-orders/": INTERNAL,  # 003 §9.3: staff only, scoped like the contracts
    "/api/implementation-orders/": INTERNAL,  # 003 §9.5: staff only
    # K14 perks: the partner's own, its regional manager's region, the top roles and admin
    "/api/commissions/perks/": {"rm_east", "vp", "president", "admin", "partner1"},
}


ORG_DIRECTORY = {"/api/org/departments/", "/api/org/regions/", "/api/org/users/"}


@pytest.mark.parametrize("username", ROLE_USERS)
def test_api_lists_answer(demo, db, username):  # type: ignore[no-untyped-def]
    user = User.objects.get(username=username)
    api = APIClient()
    api.force_authenticate(user)
    failures = []
    for url in _api_list_urls():
        res = api.get(url)
        expected = 200 if username in RESTRICTED.get(url, {username}) else 404
        if username == "partner1" and url in ORG_DIRECTORY:
            expected = 404  # issue 17 + the crm policy: a partner does not list the company's people
        if res.status_code != expected:
            failures.append((url, res.status_code, expected))
        elif expected == 200 and "results" not in res.json() and not isinstance(res.json(), list):
            failures.append((url, "not a list", expected))
    assert not failures, f"{username}: {failures}"


def test_demo_has_rewards_a3_and_work_reports(demo, db):  # type: ignore[no-untyped-def]
    from commissions.models import CommissionLine, PartnerPerk
    from reports.models import PartnerMonthlyAnalysis, WorkReport

    assert {"granted", "redeemed", "expired"} <= set(PartnerPerk.objects.values_list("status", flat=True))
    assert CommissionLine.objects.filter(component="champion_month").exists()
    assert {"submitted", "commented"} <= set(PartnerMonthlyAnalysis.objects.values_list("status", flat=True))
    assert {"daily", "weekly", "monthly"} <= set(WorkReport.objects.values_list("kind", flat=True))
    assert WorkReport.objects.exclude(manager_comment="").exists()


def test_the_demo_carries_the_rule_books_examples(demo, db):  # type: ignore[no-untyped-def]
    """Issue 13: a department assistant, partner tickets (K13), and an implementation order (003 §9.5) in
    progress with its items turned into implementers' tasks."""
    from crm.models import ImplementationOrder, Role
    from settlements.models import PartnerTicketStock, TicketSale

    assistant = User.objects.get(username="dept_assistant1")
    assert assistant.has_role(Role.DEPARTMENT_ASSISTANT) and assistant.department is not None
    assert PartnerTicketStock.objects.exists() and TicketSale.objects.exists()
    running = ImplementationOrder.objects.get(status="in_progress")
    tasks = [i.task for i in running.items.select_related("task", "task__owner") if i.task is not None]
    assert sorted(t.owner.username for t in tasks) == ["impl1", "impl1", "impl2"]
    assert sum(1 for t in tasks if t.done_at is not None) == 1
    assert ImplementationOrder.objects.filter(status="notified").exists()


RULE_CODE = re.compile(r"\b[ACKPS]\d{1,2}\b")


def test_demo_settlements_read_in_words(demo, db):  # type: ignore[no-untyped-def]
    """Issue 15: finance opens the demo's settlements in English and reads words — no rule-book code
    (K4, K10, K13, K14) in a line's 说明, a reward or clawback named once by its kind (not also as the
    Chinese category 奖励 / 追回), and a line without a product category named by its plan component."""
    from django.conf import settings

    from settlements.models import SettlementLine

    client = Client()
    client.force_login(User.objects.get(username="finance"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    kinds = {"reward": "Reward", "clawback": "Clawback"}
    for kind, label in kinds.items():
        line = SettlementLine.objects.filter(kind=kind).first()
        assert line is not None, f"the demo has a {kind} line"
        page = client.get(f"/settlements/{line.settlement_id}/").content.decode()
        cell = re.search(rf'<tr id="line-{line.pk}">\s*<td[^>]*>(.*?)</td>', page, re.S)
        assert cell is not None
        assert label in cell.group(1) and "奖励" not in cell.group(1) and "追回" not in cell.group(1)
    plain = SettlementLine.objects.filter(kind="earned", category="").first()
    assert plain is not None, "the demo has a commission line with no product category"
    page = client.get(f"/settlements/{plain.settlement_id}/").content.decode()
    cell = re.search(rf'<tr id="line-{plain.pk}">\s*<td[^>]*>(.*?)</td>', page, re.S)
    assert cell is not None and cell.group(1).strip() not in ("", "—")  # named by its plan component
    reward = SettlementLine.objects.get(kind="reward")
    page = client.get(f"/settlements/{reward.settlement_id}/").content.decode()
    assert "Reward monthly sales champion: prize ¥300.00" in page
    clawback = SettlementLine.objects.get(kind="clawback")
    page = client.get(f"/settlements/{clawback.settlement_id}/").content.decode()
    assert "Clawback Partial refund by the customer 50% of the order refunded" in page
    for settlement_id in SettlementLine.objects.values_list("settlement_id", flat=True).distinct():
        page = client.get(f"/settlements/{settlement_id}/").content.decode()
        main = page[page.index("<main") :]
        assert not RULE_CODE.search(re.sub(r"<[^>]+>", " ", main)), (settlement_id, RULE_CODE.findall(main))
