"""K13: the ticket rows finance has recorded (the ticket page and API), newest first."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from settlements.models import PartnerTicketStock, TicketSale


def ticket_sales_recorded(*, q: str = "", month: dt.date | None = None) -> QuerySet[TicketSale]:
    """Attendee rows, searchable by partner, attendee or course, filtered by settlement month."""
    qs = TicketSale.objects.select_related("partner")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(partner__name__icontains=q) | Q(attendee_name__icontains=q) | Q(course_name__icontains=q)
        )
    if month is not None:
        qs = qs.filter(month=month)
    return qs


def ticket_stock_recorded(*, q: str = "", month: dt.date | None = None) -> QuerySet[PartnerTicketStock]:
    """The partners' own tickets, searchable by partner or course, filtered by the month acquired."""
    qs = PartnerTicketStock.objects.select_related("partner")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(partner__name__icontains=q) | Q(course_name__icontains=q))
    if month is not None:
        qs = qs.filter(acquired_on__year=month.year, acquired_on__month=month.month)
    return qs
