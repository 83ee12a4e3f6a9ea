"""The site-wide layout every page shares (issue 15): the role menu in a sidebar, the rep's tab bar on a
phone, the header, the error pages, the static assets, and the money/rate formats on screen."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.templatetags.static import static

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son(click|submit|change|load|input)=", re.I)


def _tabbar(html: str) -> list[str]:
    bar = re.search(r'<nav class="app-tabbar[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r'href="([^"]+)"', bar.group(1)) if bar else []


def test_rep_gets_the_four_daily_actions_in_the_phone_tab_bar(client_for, org):
    html = client_for(org.rep_a1).get("/").content.decode()
    assert _tabbar(html) == ["/", "/customers/", "/outings/new/", "/opportunities/"]
    # The tab for the page being shown is marked for the reader.
    assert re.search(r'<a href="/" class="app-tab active" aria-current="page">', html)


def test_finance_has_no_rep_tab_bar(client_for, org):
    html = client_for(org.finance).get("/settlements/dashboard/").content.decode()
    assert _tabbar(html) == []


def test_sidebar_lists_the_role_menu_in_groups_with_icons(client_for, org):
    html = client_for(org.rep_a1).get("/customers/").content.decode()
    nav = re.search(r'<nav class="app-nav" id="app-nav">(.*?)</nav>', html, re.S).group(1)
    assert 'data-group="customers"' in nav
    assert re.search(r'<a class="nav-link active" href="/customers/" aria-current="page">', nav)
    assert '<i class="ti ti-users" aria-hidden="true"></i>' in nav


def test_header_has_search_notifications_user_menu_and_a_language_form_without_script(client_for, org):
    html = client_for(org.rep_a1).get("/").content.decode()
    assert re.search(r'<form class="app-search" method="get" action="/search/" role="search">', html)
    # The unread count is filled in after the page loads; nothing unread shows no badge at all.
    assert re.search(r'<span class="badge bg-red text-red-fg badge-notification" data-unread hidden>', html)
    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<button type="submit" name="language" value="en"[^>]*>.*English', html, re.S)
    assert "销售甲一" in html  # the user menu names the user


@pytest.mark.parametrize(
    "who,path",
    [
        ("rep_a1", "/"),
        ("rep_a1", "/customers/"),
        ("rep_a1", "/opportunities/"),
        ("manager_a", "/approvals/"),
        ("finance", "/settlements/dashboard/"),
        ("finance", "/settlements/"),
    ],
)
def test_pages_carry_no_inline_script_or_event_handler(client_for, org, who, path):
    """The pages run under a Content Security Policy: scripts come from static files only."""
    html = client_for(getattr(org, who)).get(path).content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert INLINE_HANDLER.findall(html) == []


def test_unknown_page_is_a_404_in_the_apps_look(client_for, org):
    response = client_for(org.rep_a1).get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在" in html and 'href="/"' in html and "返回首页" in html
    assert static("vendor/tabler-1.6.1/css/tabler.min.css") in html


def test_error_pages_render_without_a_request(settings):
    from django.template.loader import render_to_string

    assert "服务器出错" in render_to_string("500.html")
    assert "没有权限" in render_to_string("403.html")


def test_favicon_logo_and_vendored_assets_are_served(client_for, org):
    html = client_for(org.rep_a1).get("/").content.decode()
    assert f'<link rel="icon" href="{static("img/favicon.svg")}"' in html
    for asset in (
        "img/favicon.svg",
        "img/logo.svg",
        "css/app.css",
        "js/app.js",
        "vendor/tabler-1.6.1/css/tabler.min.css",
        "vendor/tabler-1.6.1/js/tabler.min.js",
        "vendor/tabler-icons-3.49.0/tabler-icons.min.css",
        "vendor/htmx-2.0.8/htmx.min.js",
    ):
        response = client_for(org.rep_a1).get(static(asset))
        assert response.status_code == 200, asset


def test_the_admin_pages_carry_the_favicon_too(client_for, org):
    """Without it every admin page asks for /favicon.ico and gets a 404 (a console error)."""
    for path in ("/admin/", "/admin/crm/customer/"):
        html = client_for(org.admin).get(path).content.decode()
        assert f'<link rel="icon" href="{static("img/favicon.svg")}"' in html, path


def test_vendored_assets_keep_their_licences():
    vendor = settings.BASE_DIR / "static" / "vendor"
    for folder in ("tabler-1.6.1", "tabler-icons-3.49.0", "htmx-2.0.8"):
        assert (vendor / folder / "LICENSE").read_text(encoding="utf-8").strip()


def test_money_in_table_cells_is_red_when_negative_and_rates_are_percentages():
    rendered = Template(
        "{% load money %}{{ neg|cny_signed }}|{{ pos|cny_signed }}|{{ r1|pct }}|{{ r2|pct }}"
    ).render(
        Context(
            {
                "neg": Decimal("-13460.00"),
                "pos": Decimal("13460.00"),
                "r1": Decimal("0.030000"),
                "r2": Decimal("0.0125"),
            }
        )
    )
    neg, pos, r1, r2 = rendered.split("|")
    assert neg == '<span class="money-negative">-¥13,460.00</span>'
    assert pos == "¥13,460.00"
    assert (r1, r2) == ("3%", "1.25%")


def test_filter_fields_are_named_for_screen_readers(client_for, org):
    html = client_for(org.finance).get("/settlements/").content.decode()
    assert re.search(r'<select name="status"[^>]*aria-label="[^"]+"', html)
