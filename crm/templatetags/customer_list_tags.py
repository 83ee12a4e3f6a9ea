"""The customer list's rows, rendered in Python: 50 rows × the chosen columns through the template engine's
per-cell `{% if key == … %}` chain and a badge include per row cost more than everything else on the page
(issue 16, 1M-customer benchmark). The cells are the same as the template wrote them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from crm.models import Customer, ReviewStatus
from crm.templatetags.pool_tags import local_day, pool_badge_html

register = template.Library()


def _name_cell(c: Customer, base: str, labels: dict[str, str]) -> SafeString:
    review = ""
    if c.review_status == ReviewStatus.PENDING:
        review = format_html(' <span class="badge warn">{}</span>', labels["pending"])
    elif c.review_status == ReviewStatus.REJECTED:
        review = format_html(' <span class="badge bad">{}</span>', labels["rejected"])
    return format_html(
        '<a href="{}{}/">{}</a>{} {}',
        base,
        c.pk,
        c.name,
        review,
        pool_badge_html(getattr(c, "pool_state", None)),
    )


CELLS: dict[str, Callable[[Customer], Any]] = {
    "grade": lambda c: c.grade,
    "status": lambda c: c.get_status_display(),  # type: ignore[attr-defined]
    "region": lambda c: c.region or "",
    "industry": lambda c: c.industry or "",
    "owner": lambda c: c.owner or "",
    "last_contacted": lambda c: local_day(c.last_contacted_at) or "—",
    "contact": lambda c: c.contact_person,
    "phone": lambda c: c.phone,
    "created": lambda c: local_day(c.created_at),
}


@register.simple_tag
def customer_row(c: Customer, headers: list[Any], detail_base: str, bulk: bool) -> SafeString:
    """One row's cells (`<td>`s): the tick box when bulk actions are offered, then the chosen columns."""
    labels = {"pending": gettext("待审核"), "rejected": gettext("已驳回")}
    tick = (
        format_html(
            '<td><input class="form-check-input" type="checkbox" name="ids" value="{}" form="bulk"'
            ' aria-label="{}"></td>',
            c.pk,
            gettext("勾选%(name)s") % {"name": c.name},
        )
        if bulk
        else ""
    )
    cells = format_html_join(
        "",
        '<td data-label="{}">{}</td>',
        (
            (
                h.column.label,
                _name_cell(c, detail_base, labels) if h.column.key == "name" else CELLS[h.column.key](c),
            )
            for h in headers
        ),
    )
    return format_html("{}{}", tick, cells)
