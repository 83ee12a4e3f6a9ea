"""Issue 16: any CRM list as an Excel sheet — the columns the user shows on the list, in business words
(labels, not codes), money as numbers to the fen, days as dates — in the list's order, with its filters
and within what the user may see. Each export is logged (who, when, which list, how many rows, which
filters). The customer list has its own (crm.services.customer_export, with the ticked rows)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.exports import export_log_record
from common.listtools import Column
from common.spreadsheet import spreadsheet_row
from common.timeutil import local_date
from crm import policy
from crm.models import Contact, Contract, Lead, Order, PipelineStage, Quote, User
from crm.models.pipeline import quote_price_ratio


@dataclass(frozen=True)
class Cell:
    """One column of the sheet: the fields it reads (plain values, no model instances: 100,000 rows in
    seconds) and how they become what the user reads."""

    fields: tuple[str, ...]
    value: Callable[..., Any] = lambda v: "" if v is None else v


Cells = dict[str, Cell]
PERSON_FIELDS = ("display_name", "first_name", "last_name", "username")


def _person_name(display_name: str | None, first_name: str, last_name: str, username: str | None) -> str:
    """As `User.__str__` shows a person (display name, else full name, else login); "" for nobody."""
    if username is None:
        return ""
    return display_name or f"{first_name} {last_name}".strip() or username


def _person(path: str) -> Cell:
    return Cell(tuple(f"{path}__{f}" for f in PERSON_FIELDS), _person_name)


def _day_of(value: Any) -> Any:
    """A stored moment as the user's calendar day (Excel has no time zones); a date as it is."""
    if value is None:
        return ""
    return local_date(value) if isinstance(value, dt.datetime) else value


def _day(field: str) -> Cell:
    return Cell((field,), _day_of)


def _label(model: Any, field: str) -> Cell:
    """A choice's label in the export's language (translated once per export), not its code."""
    labels = {str(v): str(label) for v, label in model._meta.get_field(field).flatchoices}
    return Cell((field,), lambda v: labels.get(v, v))


def _document_cells(model: Any) -> Cells:
    """What contracts, quotes and orders have in common."""
    return {
        "number": Cell(("number",)),
        "title": Cell(("title",)),
        "customer": Cell(("customer__name",)),
        "status": _label(model, "status"),
        "owner": _person("owner"),
        "created": _day("created_at"),
    }


def _contract_cells() -> Cells:
    return {**_document_cells(Contract), "amount": Cell(("amount",)), "signed_on": _day("signed_on")}


def _quote_cells() -> Cells:
    return {
        **_document_cells(Quote),
        "list_total": Cell(("list_total",)),
        "quoted_total": Cell(("quoted_total",)),
        # the whole quote's discount off list, as the page shows it (10%), a number in Excel (0.1)
        "discount": Cell(("list_total", "quoted_total"), lambda lt, qt: 1 - quote_price_ratio(lt, qt)),
        "sent": _day("sent_at"),
    }


def _order_cells() -> Cells:
    return {
        **_document_cells(Order),
        "booked": _day("booked_at"),
        "total": Cell(("total",)),
        "invoiced": Cell(("invoiced_sum",)),
        "received": Cell(("received_sum",)),
        "outstanding": Cell(("outstanding_sum",)),
        "due": _day("due_on"),
    }


def _lead_cells() -> Cells:
    return {
        "company": Cell(("company",)),
        "contact": Cell(("contact_person",)),
        "phone": Cell(("phone",)),
        "source": _label(Lead, "source"),
        "region": Cell(("region__name",)),
        "industry": Cell(("industry__name",)),
        "assigned_to": _person("assigned_to"),
        "status": _label(Lead, "status"),
        "created": _day("created_at"),
    }


def _opportunity_cells() -> Cells:
    stages = {s.code: s.label for s in PipelineStage.objects.all()}  # once per export
    return {
        "name": Cell(("name",)),
        "customer": Cell(("customer__name",)),
        "stage": Cell(("stage",), lambda v: stages.get(v, v)),
        "amount": Cell(("amount",)),
        "expected_sign": _day("expected_sign_date"),
        "owner": _person("owner"),
        "registered": _day("registered_at"),
        "competitors": Cell(("competitors",)),
    }


def _contact_cells() -> Cells:
    return {
        "name": Cell(("name",)),
        "customer": Cell(("customer__name",)),
        "position": Cell(("position",)),
        "role": _label(Contact, "role"),
        "phone": Cell(("phone",)),
        "email": Cell(("email",)),
        "owner": _person("customer__owner"),
        "created": _day("created_at"),
    }


LIST_CELLS: dict[str, Callable[[], Cells]] = {
    "contracts": _contract_cells,
    "quotes": _quote_cells,
    "orders": _order_cells,
    "leads": _lead_cells,
    "opportunities": _opportunity_cells,
    "contacts": _contact_cells,
}

EXPORT_CHUNK = 2000
MONEY_FORMAT = "#,##0.00"  # to the fen, thousands separated (the page's ¥13,460.00 as a number)
PERCENT_FORMAT = "0.##%"
PERCENT_COLUMNS = frozenset({"discount"})


@dataclass
class ListExport:
    rows: Iterator[list[Any]]  # the header, then one row per list row
    formats: list[str | None]  # each column's number format (money, percent) for the data rows


def list_export(
    *, user: User, list_key: str, rows: QuerySet[Any], columns: Sequence[Column], filters: str = ""
) -> ListExport:
    """The list's rows (`rows`: as filtered and ordered for this user) in the columns given; logs the
    export. Refused (403) to whoever may not export this list."""
    if list_key not in LIST_CELLS or not policy.can_export_list(user, list_key):
        raise DomainError(_("你没有导出该列表的权限。"), code="export_not_allowed", status=403)
    export_log_record(user=user, kind=f"list_{list_key}", rows=rows.count(), filters=filters)
    cells = LIST_CELLS[list_key]()
    shown = [c for c in columns if c.key in cells]
    formats = [
        (PERCENT_FORMAT if c.key in PERCENT_COLUMNS else MONEY_FORMAT) if c.numeric else None for c in shown
    ]
    return ListExport(_rows(rows, shown, cells), formats)


def _rows(rows: QuerySet[Any], columns: Sequence[Column], cells: Cells) -> Iterator[list[Any]]:
    yield [str(c.label) for c in columns]
    fields = list(dict.fromkeys(f for c in columns for f in cells[c.key].fields))
    at = {f: i for i, f in enumerate(fields)}
    reads = [([at[f] for f in cells[c.key].fields], cells[c.key].value) for c in columns]
    for values in rows.values_list(*fields).iterator(chunk_size=EXPORT_CHUNK):
        yield spreadsheet_row(value(*(values[i] for i in where)) for where, value in reads)
