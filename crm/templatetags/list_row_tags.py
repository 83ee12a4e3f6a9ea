"""The contacts list's and the opportunities list's rows, rendered in Python, as the customer list's are
(`customer_list_tags`): 50 rows × the chosen columns through the template engine's per-cell
`{% if key == … %}` chain and a `{% url %}` per link were most of these pages' Python time (issue 16,
bench/pipeline_lists.py at 1M). The cells are the same as the templates wrote them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import template
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime

from common.templatetags.money import cny_signed
from crm.models import Contact, ContactRole, Opportunity
from crm.templatetags.pool_tags import local_day

register = template.Library()

_MONEY_CLASS = mark_safe(' class="money"')  # a constant, no user text in it
_PK = 987654321  # stands for the row's id while a link's pattern is reversed once per page


def _links(context: Any) -> dict[str, str]:
    """The rows' link patterns, reversed once per page render (not once per row)."""
    links: dict[str, str] | None = context.render_context.get("_list_row_links")
    if links is None:
        links = {
            "customer": reverse("crm:customer_detail", args=[_PK]).replace(str(_PK), "{}"),
            "contacts_tab": reverse("crm:customer_tab", args=[_PK, "contacts"]).replace(str(_PK), "{}"),
            "opportunity": reverse("crm:opportunity_detail", args=[_PK]).replace(str(_PK), "{}"),
        }
        context.render_context["_list_row_links"] = links
    return links


def _or_dash(value: Any) -> Any:
    return value if value else "—"


def _local_minute(value: dt.datetime | None) -> str:
    """As `date:"Y-m-d H:i"` shows a datetime: in the local zone."""
    if not value:
        return ""
    return date_filter(localtime(value) if is_aware(value) else value, "Y-m-d H:i")


def _text(value: Any) -> Any:
    return "" if value is None else value


def _contact_cells(links: dict[str, str]) -> dict[str, Callable[[Contact], Any]]:
    roles = {value: str(label) for value, label in ContactRole.choices}  # translated once per page
    return {
        "name": lambda c: format_html(
            '<a href="{}">{}</a>', links["contacts_tab"].format(c.customer_id), c.name
        ),
        "customer": lambda c: format_html(
            '<a href="{}">{}</a>', links["customer"].format(c.customer_id), c.customer.name
        ),
        "position": lambda c: c.position,
        "role": lambda c: roles.get(c.role, c.role),
        "phone": lambda c: format_html('<a href="tel:{}">{}</a>', c.phone, c.phone) if c.phone else "—",
        "email": lambda c: _or_dash(c.email),
        "owner": lambda c: _text(c.customer.owner),
        "created": lambda c: local_day(c.created_at),
    }


def _opportunity_cells(links: dict[str, str]) -> dict[str, Callable[[Opportunity], Any]]:
    return {
        "name": lambda o: format_html('<a href="{}">{}</a>', links["opportunity"].format(o.pk), o.name),
        "customer": lambda o: o.customer.name,
        "stage": lambda o: getattr(o, "stage_name", o.stage),
        "amount": lambda o: cny_signed(o.amount),
        "expected_sign": lambda o: _or_dash(local_day(o.expected_sign_date)),
        "owner": lambda o: _text(o.owner),
        "registered": lambda o: _local_minute(o.registered_at),
        "competitors": lambda o: _or_dash(o.competitors),
    }


Cell = tuple[SafeString, Callable[[Any], Any]]  # a column's opening <td …> and how a row fills it


def _columns(context: Any, kind: str, headers: list[Any]) -> list[Cell]:
    """The chosen columns' cells, built once per page render: each `<td>` with its label translated and
    escaped once, not once per row."""
    key = f"_list_row_columns_{kind}"
    columns: list[Cell] | None = context.render_context.get(key)
    if columns is None:
        build = _contact_cells if kind == "contact" else _opportunity_cells
        cells = build(_links(context))
        columns = [
            (
                format_html(
                    '<td data-label="{}"{}>', h.column.label, _MONEY_CLASS if h.column.numeric else ""
                ),
                cells[h.column.key],
            )
            for h in headers
        ]
        context.render_context[key] = columns
    return columns


def _row(row: Any, columns: list[Cell]) -> SafeString:
    # safe: each opening <td> came from format_html, each cell's value is escaped here
    return mark_safe("".join(f"{td}{conditional_escape(cell(row))}</td>" for td, cell in columns))


@register.simple_tag(takes_context=True)
def contact_row(context: Any, c: Contact, headers: list[Any]) -> SafeString:
    """One contact's cells (`<td>`s) in the chosen columns."""
    return _row(c, _columns(context, "contact", headers))


@register.simple_tag(takes_context=True)
def opportunity_row(context: Any, o: Opportunity, headers: list[Any]) -> SafeString:
    """One opportunity's cells (`<td>`s) in the chosen columns."""
    return _row(o, _columns(context, "opportunity", headers))
