"""Issue 16: any CRM list as an Excel sheet — the columns the user shows on the list, in business words
(labels, not codes), money as numbers to the fen, days as dates — in the list's order, with its filters
and within what the user may see. Each export is logged (who, when, which list, how many rows, which
filters). The customer list has its own (crm.services.customer_export, with the ticked rows)."""

from __future__ import annotations

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
from crm.models import PipelineStage, User

Cells = dict[str, Callable[[Any], Any]]


def _person(user: Any) -> str:
    return str(user) if user else ""


def _day(value: Any) -> Any:
    """A stored moment as the user's calendar day (Excel has no time zones); a date as it is."""
    if value is None:
        return ""
    return local_date(value) if hasattr(value, "tzinfo") else value


def _document_cells() -> Cells:
    """What contracts, quotes and orders have in common."""
    return {
        "number": lambda r: r.number,
        "title": lambda r: r.title,
        "customer": lambda r: r.customer.name,
        "status": lambda r: r.get_status_display(),
        "owner": lambda r: _person(r.owner),
        "created": lambda r: _day(r.created_at),
    }


def _contract_cells() -> Cells:
    return {**_document_cells(), "amount": lambda c: c.amount, "signed_on": lambda c: _day(c.signed_on)}


def _quote_cells() -> Cells:
    return {
        **_document_cells(),
        "list_total": lambda q: q.list_total,
        "quoted_total": lambda q: q.quoted_total,
        # the whole quote's discount off list, as the page shows it (10%), a number in Excel (0.1)
        "discount": lambda q: q.discount_ratio,
        "sent": lambda q: _day(q.sent_at),
    }


def _order_cells() -> Cells:
    return {
        **_document_cells(),
        "booked": lambda o: _day(o.booked_at),
        "total": lambda o: o.total,
        "invoiced": lambda o: o.invoiced_sum,
        "received": lambda o: o.received_sum,
        "outstanding": lambda o: o.outstanding_sum,
        "due": lambda o: _day(o.due_on),
    }


def _lead_cells() -> Cells:
    return {
        "company": lambda x: x.company,
        "contact": lambda x: x.contact_person,
        "phone": lambda x: x.phone,
        "source": lambda x: x.get_source_display(),
        "region": lambda x: x.region.name if x.region_id else "",
        "industry": lambda x: x.industry.name if x.industry_id else "",
        "assigned_to": lambda x: _person(x.assigned_to),
        "status": lambda x: x.get_status_display(),
        "created": lambda x: _day(x.created_at),
    }


def _opportunity_cells() -> Cells:
    stages = {s.code: s.label for s in PipelineStage.objects.all()}  # once per export
    return {
        "name": lambda o: o.name,
        "customer": lambda o: o.customer.name,
        "stage": lambda o: stages.get(o.stage, o.stage),
        "amount": lambda o: o.amount,
        "expected_sign": lambda o: _day(o.expected_sign_date),
        "owner": lambda o: _person(o.owner),
        "registered": lambda o: _day(o.registered_at),
        "competitors": lambda o: o.competitors,
    }


def _contact_cells() -> Cells:
    return {
        "name": lambda c: c.name,
        "customer": lambda c: c.customer.name,
        "position": lambda c: c.position,
        "role": lambda c: c.get_role_display(),
        "phone": lambda c: c.phone,
        "email": lambda c: c.email,
        "owner": lambda c: _person(c.customer.owner),
        "created": lambda c: _day(c.created_at),
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
    getters = [cells[c.key] for c in columns]
    for row in rows.iterator(chunk_size=EXPORT_CHUNK):
        yield spreadsheet_row(get(row) for get in getters)
