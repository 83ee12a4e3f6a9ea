"""Issue 16: the global search in the header — customers, contacts, opportunities, contracts and orders
by name, phone or number, only among what the user may see (the scope comes from `crm.policy`). One
query per kind, whatever the size of the book: each kind shows its first `limit` hits and says whether
there are more."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import F, Lookup, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.extensions import SearchScope
from crm.models import Customer
from crm.selectors import normalize_phone

MIN_QUERY = 2
MAX_QUERY = 100
MIN_PHONE_DIGITS = 4
# A whole number: a mobile (11 digits) or a landline with its area code (11–12). Matched on the end of the
# stored digits (so "+86 139…" and "0571-8888…" are found too), not anywhere inside them.
WHOLE_PHONE_DIGITS = 11


@dataclass
class SearchHit:
    label: str
    detail: str
    url: str


@dataclass
class SearchGroup:
    kind: str
    title: str
    hits: list[SearchHit] = field(default_factory=list)
    more: bool = False


def _phone_digits(q: str) -> str:
    """The digits of a term that looks like a phone number (C2's normalisation: full-width digits, spaces,
    dashes, brackets and "+86" dropped; at most two other characters), else ""."""
    cleaned = normalize_phone(q)
    digits = re.sub(r"[^0-9]", "", cleaned)
    return digits if len(digits) >= MIN_PHONE_DIGITS and len(digits) >= len(cleaned) - 2 else ""


class PhoneEndsWith(Lookup):
    """The phone's digits (spaces, dashes, "+" dropped) end with these digits. On PostgreSQL it is a prefix
    of the reversed digits, served by the btree indexes `*_phone_tail_idx` (crm/signals.py): a whole
    number among a million phones is a range read of one index, where the trigram index behind `contains`
    reads the long lists of the digit trigrams every phone shares (issue 16, bench/global_search.py)."""

    lookup_name = "phone_endswith"
    prepare_rhs = False

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} LIKE %s", [*params, f"%{self.rhs}"]  # the phone as stored (normalised, C2)

    def as_postgresql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, params = self.process_lhs(compiler, connection)
        # the same expression as the index, so the planner matches them
        sql = f"REVERSE(REGEXP_REPLACE({lhs}::text, '[^0-9]', '', 'g')) LIKE %s"
        return sql, [*params, f"{self.rhs[::-1]}%"]


def phone_condition(digits: str) -> Q:
    """A whole number: the phones ending with it; fewer digits: the phones containing them (as typed)."""
    if len(digits) >= WHOLE_PHONE_DIGITS:
        return Q(PhoneEndsWith(F("phone"), digits))
    return Q(phone__contains=digits)


def _first(qs: QuerySet, cond: Q, limit: int, customer_name: str = "") -> tuple[list, bool]:
    """The newest `limit` rows matching `cond` (or, with `customer_name`, whose customer's name contains
    it). The two halves are a UNION of ids, so each half can use its own trigram index: an OR across the
    join would scan the whole table for a rare term (1M-customer benchmark)."""
    matching = qs.filter(cond)
    if customer_name:
        customers = Customer.objects.filter(name__icontains=customer_name).order_by().values("id")
        ids = (
            matching.order_by().values("id").union(qs.filter(customer__in=customers).order_by().values("id"))
        )
        matching = qs.filter(pk__in=ids)
    rows = list(matching.order_by("-id")[: limit + 1])
    return rows[:limit], len(rows) > limit


def global_search(*, scope: SearchScope, q: str, limit: int = 10) -> list[SearchGroup]:
    """Groups in a fixed order (customers, contacts, opportunities, contracts, orders); a kind the user
    may not search is left out, a kind with no hit is an empty group."""
    q = (q or "").strip()[:MAX_QUERY]
    if len(q) < MIN_QUERY:
        return []
    phone = _phone_digits(q)
    groups: list[SearchGroup] = []

    def link(name: str, pk: int) -> str:
        return scope.link or reverse(name, args=[pk])

    def add(kind: str, title: str, qs: QuerySet, cond: Q, hit, by_customer: bool = False) -> None:  # type: ignore[no-untyped-def]
        rows, more = _first(qs, cond, limit, customer_name=q if by_customer else "")
        groups.append(SearchGroup(kind, title, [hit(r) for r in rows], more))

    if scope.customers is not None:
        cond = Q(name__icontains=q) | Q(credit_code__iexact=q)
        if phone:
            cond |= phone_condition(phone)
        add(
            "customers",
            str(pgettext_lazy("menu", "客户")),
            scope.customers.select_related("owner"),
            cond,
            lambda c: SearchHit(c.name, f"{c.phone} · {c.owner or ''}", link("crm:customer_detail", c.pk)),
        )
    if scope.contacts is not None:
        cond = Q(name__icontains=q)
        if phone:
            cond |= phone_condition(phone)
        add(
            "contacts",
            str(_("联系人")),
            scope.contacts.select_related("customer"),
            cond,
            lambda c: SearchHit(
                c.name, f"{c.customer.name} · {c.phone}", link("crm:customer_detail", c.customer_id)
            ),
        )
    if scope.opportunities is not None:
        add(
            "opportunities",
            str(_("商机")),
            scope.opportunities.select_related("customer"),
            Q(name__icontains=q),
            lambda o: SearchHit(o.name, o.customer.name, link("crm:opportunity_detail", o.pk)),
            by_customer=True,
        )
    if scope.contracts is not None:
        add(
            "contracts",
            str(_("合同")),
            scope.contracts.select_related("customer"),
            Q(number__icontains=q) | Q(title__icontains=q),
            lambda c: SearchHit(f"{c.number} {c.title}", c.customer.name, link("crm:contract_detail", c.pk)),
            by_customer=True,
        )
    if scope.orders is not None:
        add(
            "orders",
            str(_("订单")),
            scope.orders.select_related("customer"),
            Q(number__icontains=q),
            lambda o: SearchHit(o.number, o.customer.name, link("crm:order_detail", o.pk)),
            by_customer=True,
        )
    return groups
