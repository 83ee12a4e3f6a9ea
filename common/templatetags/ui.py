"""Site-wide layout helpers: the phone's bottom tab bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

register = template.Library()

# The rep's four daily actions, in the order of the tab bar (issue 15).
TABBAR = (
    ("crm:my_day", _("我的一天"), "home"),
    ("crm:customer_list", pgettext_lazy("menu", "客户"), "users"),
    ("crm:outing_create", _("去向登记"), "map-pin"),
    ("crm:opportunity_list", pgettext_lazy("menu", "商机"), "chart-arrows"),
)


@dataclass(frozen=True)
class Tab:
    label: Any
    url: str
    icon: str
    active: bool


@register.simple_tag(takes_context=True)
def tabbar_tabs(context: template.Context) -> list[Tab]:
    """The tabs this user may open. The menu (`nav_groups`, built from the same policy that guards the
    pages) decides: a tab is shown only when its page is in the user's menu. Without a menu in the
    context, or with fewer than two of these pages in it, there is no tab bar."""
    request = context.get("request")
    path = getattr(request, "path", "")
    menu_urls: set[str] = set()
    groups = context.get("nav_groups") or ()
    if callable(groups):  # the context processor hands over a lazy callable
        groups = groups()
    for group in groups:
        for item in getattr(group, "items", ()):
            menu_urls.add(str(getattr(item, "url", "")))
    tabs = []
    for name, label, icon in TABBAR:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if url not in menu_urls:
            continue
        active = path == url or (url != "/" and path.startswith(url))
        tabs.append(Tab(label=label, url=url, icon=icon, active=active))
    # A bar with a single tab is no shortcut (finance, partners): their menu is the drawer.
    return tabs if len(tabs) >= 2 else []


@register.filter
def labelled(field: Any) -> str:
    """`{{ form.status|labelled }}`: a bare filter field (no visible <label>) named for screen readers
    by its own label."""
    return field.as_widget(attrs={"aria-label": str(field.label or field.name)})
