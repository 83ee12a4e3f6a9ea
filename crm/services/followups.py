"""C7: what a customer's follow-ups leave on the customer row. `next_contact_on` is the 下次联系日期 of its
latest follow-up (latest by time, the last entered first among equals), so "due for contact" ("my day",
the rep's home) reads an index instead of looking up every customer's latest follow-up.

`customer_next_contact_refresh` recomputes it from the follow-ups themselves, so a follow-up written,
edited, back-dated, moved to another customer or deleted leaves the right date whatever the order of the
writes; crm.signals calls it after every follow-up save and delete. An owner transfer changes nothing
here: the plan stays with the customer and the new owner sees it (as before, when it was read from the
follow-ups on each page)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery

from crm.models import Customer, FollowUp


def _latest_next_date() -> Subquery:
    return Subquery(
        FollowUp.objects.filter(customer=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("next_date")[:1]
    )


def customer_next_contact_refresh(*, customer_ids: Iterable[int | None]) -> int:
    """Recompute `next_contact_on` of these customers (ids of deleted customers are skipped). Two
    statements: the rows are locked first (in primary-key order), so the UPDATE, a statement of its own,
    sees a concurrent writer's committed follow-up instead of overwriting its date with an older plan."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    if not ids:
        return 0
    with transaction.atomic():
        list(
            Customer.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return Customer.objects.filter(pk__in=ids).update(next_contact_on=_latest_next_date())


def customers_next_contact_fill() -> int:
    """Every customer at once, after a bulk load that bypassed the follow-up signals (the demo data):
    customers with some planned follow-up get their latest follow-up's date, a stale date on any other
    is cleared (customers that never planned a contact are not rewritten)."""
    planned = FollowUp.objects.filter(customer=OuterRef("pk"), next_date__isnull=False)
    with transaction.atomic():
        Customer.objects.filter(next_contact_on__isnull=False).exclude(Exists(planned)).update(
            next_contact_on=None
        )
        return Customer.objects.filter(Exists(planned)).update(next_contact_on=_latest_next_date())
