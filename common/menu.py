"""The role menu (issue 15 "Navigation by role"): one registry of menu entries, filled by each domain app
from its own `<app>/menu.py` (imported in its AppConfig.ready()). An entry asks the owning app's policy
whether a user may see it, so no one is offered a link that answers 403/404.

`common` imports no domain app: the apps register here, the base template loops over `nav_for(request)`
(put in every template context as `nav_groups` by `common.context_processors.navigation`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Group key -> (label, Tabler icon), in menu order.
GROUPS: dict[str, tuple[Promise, str]] = {
    "home": (_("首页"), "home"),
    "customers": (pgettext_lazy("menu", "客户"), "users"),
    "sales": (pgettext_lazy("menu group", "销售"), "briefcase"),
    "approvals": (_("审批"), "checklist"),
    "money": (_("提成与结算"), "coin-yuan"),
    "reports": (_("报表"), "chart-bar"),
    "system": (_("系统"), "settings"),
    "partner": (_("合作伙伴门户"), "building-store"),
}


@dataclass(frozen=True)
class MenuEntry:
    group: str  # one of GROUPS
    label: Any  # lazy-translated Chinese label
    url_name: str  # reversible URL name, no args
    icon: str  # Tabler icon name, e.g. "users", "building-store", "chart-bar"
    visible: Callable[[AbstractBaseUser], bool]  # asks the owning app's policy
    badge: Callable[[AbstractBaseUser], int] | None = None  # e.g. approvals waiting; 0 means no badge
    order: int = 100


@dataclass(frozen=True)
class NavItem:
    label: Any
    url: str
    icon: str
    active: bool
    badge: int
    url_name: str = ""


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: Any
    icon: str
    items: list[NavItem] = field(default_factory=list)


_REGISTRY: dict[tuple[str, str], MenuEntry] = {}

# A badge counts up to this many rows (LIMIT, never COUNT(*) over a big table); the menu shows "99+".
BADGE_CAP = 100


def count_capped(qs: Any, cap: int = BADGE_CAP) -> int:
    """How many rows a badge query has, reading at most `cap` ids (one cheap query at any scale)."""
    return len(qs.values_list("pk", flat=True)[:cap])


def register(*entries: MenuEntry) -> None:
    """Add entries to the menu (idempotent: an entry is keyed by its group and URL name, so a second
    registration of the same page in the same group replaces the first)."""
    for entry in entries:
        if entry.group not in GROUPS:
            raise ValueError(f"unknown menu group {entry.group!r}; one of {', '.join(GROUPS)}")
        _REGISTRY[(entry.group, entry.url_name)] = entry
    forget_menus()


def registered() -> list[MenuEntry]:
    return list(_REGISTRY.values())


def _is_active(path: str, url: str) -> bool:
    if url == "/":
        return path == "/"
    return path == url or path.startswith(url)


# --- what a user may open, kept between requests ----------------------------------------------------
# Which entries a user may open depends on their roles and account (the policy's inputs), not on the page:
# it is worked out once and kept, keyed by those inputs, so a role change is a new key (shown at once).
# Anything else a policy reads (a partner link, a setting) forgets every kept menu when it changes, in
# this process at once (the apps name those models: `forget_menus_on`); other processes keep theirs at
# most CRM_MENU_CACHE_SECONDS. Badges are data, never kept: counted on every request.
_KEPT: dict[tuple[Any, ...], tuple[float, list[tuple[MenuEntry, str]]]] = {}
_KEPT_MAX = 5000  # users; past it the oldest half is dropped


def forget_menus(**_kwargs: Any) -> None:
    """Forget every kept menu (a policy input changed)."""
    _KEPT.clear()


def forget_menus_on(*models: Any) -> None:
    """Saving or deleting one of these models forgets every kept menu (a policy reads them)."""
    for model in models:
        uid = f"menu-{model._meta.label}"
        post_save.connect(forget_menus, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(forget_menus, sender=model, weak=False, dispatch_uid=uid)


setting_changed.connect(forget_menus, weak=False, dispatch_uid="menu-settings")


def _user_key(user: Any) -> tuple[Any, ...]:
    """The user's side of the policy's inputs: who, which roles, which account flags and place in the org
    (read already by every request: the user row and its roles)."""
    return (
        user.pk,
        user.get_username(),
        frozenset(getattr(user, "roles", ())),
        user.is_superuser,
        user.is_staff,
        user.is_active,
        getattr(user, "department_id", None),
        getattr(user, "manager_id", None),
        get_urlconf(),
        get_script_prefix(),
    )


def _entries_for(user: Any) -> list[tuple[MenuEntry, str]]:
    """(entry, URL) of every entry the policy lets this user open, in registry order; kept (see above)."""
    key = _user_key(user)
    now = time.monotonic()
    kept = _KEPT.get(key)
    if kept is not None and now - kept[0] < settings.CRM_MENU_CACHE_SECONDS:
        return kept[1]
    shown: list[tuple[MenuEntry, str]] = []
    for entry in _REGISTRY.values():
        if not entry.visible(user):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        shown.append((entry, url))
    if len(_KEPT) >= _KEPT_MAX:
        for old in sorted(_KEPT, key=lambda k: _KEPT[k][0])[: _KEPT_MAX // 2]:
            _KEPT.pop(old, None)
    _KEPT[key] = (now, shown)
    return shown


def nav_for(request: HttpRequest) -> list[NavGroup]:
    """The menu of the signed-in user: groups in GROUPS order, each with the entries the policy lets
    this user open, sorted by `order`; empty groups dropped. Anonymous users get no menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    path = request.path
    by_group: dict[str, list[tuple[int, str, NavItem]]] = {key: [] for key in GROUPS}
    shown = _entries_for(user)
    # The longest matching URL is the active one ("/settlements/inbox/" over "/settlements/").
    active_url = max((url for _entry, url in shown if _is_active(path, url)), key=len, default=None)
    for entry, url in shown:
        badge = entry.badge(user) if entry.badge else 0
        item = NavItem(
            label=entry.label,
            url=url,
            icon=entry.icon,
            active=url == active_url,
            badge=max(int(badge or 0), 0),
            url_name=entry.url_name,
        )
        by_group[entry.group].append((entry.order, str(entry.url_name), item))
    groups = []
    for key, (label, icon) in GROUPS.items():
        items = [item for _order, _name, item in sorted(by_group[key], key=lambda row: row[:2])]
        if items:
            groups.append(NavGroup(key=key, label=label, icon=icon, items=items))
    return groups
