from __future__ import annotations

from typing import Any

from django import template

from crm.selectors import is_manager as _is_manager

register = template.Library()


@register.filter
def is_manager(user: Any) -> bool:
    """For menus only: whether to show the manager's pages (the pages check again)."""
    return bool(getattr(user, "is_authenticated", False)) and _is_manager(user)


@register.filter
def sees_pool(user: Any) -> bool:
    """For menus only: whether the public pool page is open to this user (the page checks again)."""
    from crm.selectors_pool import pool_visible_to

    return bool(getattr(user, "is_authenticated", False)) and pool_visible_to(user)
