"""CRM reads: duplicate lookup (C2), the review queue, "my day", the timeline. Which rows a user sees
(C11) is the policy's rule (`crm.policy.customer_scope`, `team_member_ids`); these reads ask it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, Func, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from common.timeutil import start_of_local_day
from crm import policy
from crm.models import Contact, Customer, FollowUp, Outing, ReviewStatus, User
from crm.models.customers import ONSITE_CHANNELS


def normalize_name(name: str) -> str:
    """C2: trim, full-width → half-width, case-fold, drop punctuation and whitespace."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if not (unicodedata.category(ch)[0] in "PZSC" or ch.isspace()))


_PHONE_JUNK = re.compile(r"[\s\-()（）+]")


def normalize_phone(phone: str) -> str:
    digits = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def customer_review_queue(*, user: User) -> QuerySet[Customer]:
    """C5: new customers waiting for this user's decision (never their own), oldest first."""
    if not policy.has_team_role(user):
        return Customer.objects.none()
    return (
        policy.customer_scope(user)
        .filter(review_status=ReviewStatus.PENDING)
        .exclude(owner=user)
        .select_related("owner", "region", "industry")
        .order_by("created_at", "id")
    )


def assignable_users(*, user: User) -> QuerySet[User]:
    """Whom a manager may give a customer to: active people in their team (everyone for the top)."""
    qs = User.objects.filter(is_active=True)
    if not user.sees_everything:
        qs = qs.filter(pk__in=policy.team_member_ids(user))
    return qs.order_by("display_name", "username")


def customers_due_for_contact(*, user: User, today: dt.date | None = None) -> QuerySet[Customer]:
    """My customers whose latest follow-up planned a next contact for today or earlier (C7), the earliest
    plan first: the plan kept on the customer (crm.services.followups), read from
    `customer_owner_next_idx` in order."""
    today = today or timezone.localdate()
    return Customer.objects.filter(owner=user, next_contact_on__lte=today).order_by("next_contact_on", "id")


def customers_longest_silent(*, user: User) -> QuerySet[Customer]:
    """My customers longest on the C9 release clock, ordered by the very clock their days are counted
    from (crm.contact_clock), so the top row is never "0 天"."""
    from crm.contact_clock import clock_expression

    # The clock is never null (created_at is not), so the plain ascending order of customer_owner_clock_idx
    # serves it: the first rows come from the index instead of sorting all of my customers.
    return Customer.objects.filter(owner=user).order_by(clock_expression().asc(), "id")


def outings_on(*, user: User, day: dt.date, team: bool) -> QuerySet[Outing]:
    """C8: outings planned for a local day — mine, or my team's (who is out, where)."""
    start = start_of_local_day(day)
    qs = Outing.objects.filter(planned_at__gte=start, planned_at__lt=start + dt.timedelta(days=1))
    if not team:
        qs = qs.filter(user=user)
    elif not user.sees_everything:
        qs = qs.filter(user_id__in=policy.team_member_ids(user))
    return qs.select_related("user", "customer").order_by("planned_at", "id")


def visits_without_outing(*, user: User, since: dt.date, until: dt.date | None = None) -> QuerySet[FollowUp]:
    """C8: on-site visits by my team with no outing registered (same person, customer and local day)
    before the visit took place."""
    until = until or timezone.localdate()
    registered = Outing.objects.filter(
        user_id=OuterRef("author_id"),
        customer_id=OuterRef("customer_id"),
        planned_at__date=OuterRef("visit_day"),
        created_at__lte=OuterRef("occurred_at"),
    )
    qs = FollowUp.objects.filter(
        channel__in=list(ONSITE_CHANNELS),
        occurred_at__gte=start_of_local_day(since),
        occurred_at__lt=start_of_local_day(until + dt.timedelta(days=1)),
    )
    if not user.sees_everything:
        qs = qs.filter(author_id__in=policy.team_member_ids(user))
    return (
        qs.annotate(visit_day=TruncDate("occurred_at"))
        .filter(~Exists(registered))
        .select_related("author", "customer")
        .order_by("-occurred_at", "-id")
    )


def visits_without_outing_first(
    *, user: User, since: dt.date, until: dt.date | None = None, n: int
) -> list[FollowUp]:
    """The latest `n` of `visits_without_outing` (newest first), with their author and customer. On
    PostgreSQL each author's latest `n` are read first, in order, from `followup_author_time_idx`
    (author, time, id) — a top-n per author, as a LATERAL join would — and only those are merged and
    sorted: no plan can merge many authors' index ranges in time order, so the one wide query walks
    everyone's visits of the week and sorts all of the team's before keeping `n` (the same rows)."""
    qs = visits_without_outing(user=user, since=since, until=until)
    if connection.vendor != "postgresql":
        return list(qs[:n])
    authors = User.objects.all()
    if not user.sees_everything:
        authors = authors.filter(pk__in=policy.team_member_ids(user))
    latest_of_author = qs.filter(author_id=OuterRef("pk")).values("pk")[:n]
    picked = (
        authors.order_by()
        .annotate(visit_id=Func(ArraySubquery(latest_of_author), function="unnest"))
        .values("visit_id")
    )
    return list(qs.filter(pk__in=picked)[:n])


LIST_COLUMNS = (
    "id",
    "name",
    "grade",
    "status",
    "region_id",
    "industry_id",
    "owner_id",
    "review_status",
    "last_contacted_at",
    "owned_since",  # C9 badges count days from here
    "created_at",
    "contact_person",
    "phone",
    "region__name",
    "industry__name",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
)


def customer_list_rows(qs: QuerySet[Customer]) -> QuerySet[Customer]:
    """The columns the list page and list API show, joined in the same query (no N+1, no wide rows)."""
    return qs.select_related("owner", "region", "industry").only(*LIST_COLUMNS)


def customer_find_duplicate(*, name: str, phone: str = "", credit_code: str = "") -> Customer | None:
    """C2: an existing customer matching by normalised name, exact phone, or exact credit code."""
    q = Q(name_normalized=normalize_name(name))
    phone = normalize_phone(phone)
    if phone:
        q |= Q(phone=phone)
    if credit_code:
        q |= Q(credit_code=credit_code.strip().upper())
    return Customer.objects.filter(q).select_related("owner").order_by("id").first()


def customer_filter(
    qs: QuerySet[Customer],
    *,
    q: str = "",
    grade: str = "",
    region: int | None = None,
    industry: int | None = None,
    status: str = "",
) -> QuerySet[Customer]:
    """The list filters shared by the page and the API."""
    q = (q or "").strip()
    if q:
        digits = normalize_phone(q)
        cond = Q(name__icontains=q)
        if digits.isdigit() and len(digits) >= 7:
            cond |= Q(phone=digits)
        qs = qs.filter(cond)
    if grade:
        qs = qs.filter(grade=grade)
    if region:
        qs = qs.filter(region_id=region)
    if industry:
        qs = qs.filter(industry_id=industry)
    if status:
        qs = qs.filter(status=status)
    return qs


def keyset_page(qs: QuerySet, *, after: int | None, size: int) -> tuple[list, int | None]:
    """One page ordered by -id after a given id; returns (rows, next cursor). No COUNT(*)."""
    if after:
        qs = qs.filter(pk__lt=after)
    rows = list(qs.order_by("-id")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if has_more and rows else None)


def timeline_for(customer: Customer, *, limit: int = 200) -> list[dict]:
    """Follow-ups, grade changes, owner changes, outings and the review decision, newest first, for the
    customer page and the API (a fixed number of queries, whatever the history's length)."""
    items: list[dict] = []
    for f in customer.followups.select_related("author", "contact").all()[:limit]:
        items.append({"at": f.occurred_at, "kind": "followup", "obj": f})
    for g in customer.grade_changes.select_related("changed_by").all()[:limit]:
        items.append({"at": g.changed_at, "kind": "grade", "obj": g})
    for o in customer.ownership_changes.select_related("from_user", "to_user", "changed_by").all()[:limit]:
        items.append({"at": o.changed_at, "kind": "owner", "obj": o})
    for t in customer.outings.select_related("user").all()[:limit]:
        items.append({"at": t.planned_at, "kind": "outing", "obj": t})
    if customer.reviewed_at:
        items.append({"at": customer.reviewed_at, "kind": "review", "obj": customer})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items


def matching_or_customer_named(
    qs: QuerySet, own: Q, q: str, *, customers: QuerySet[Customer] | None = None
) -> QuerySet:
    """The rows matching `own` or whose customer's name contains `q` (contacts, opportunities). A UNION of
    ids, so each half uses its own trigram index (the row's fields, the customer name): an OR across the
    join can only scan the user's whole list (1M bench: 1.3 s for a rep's contacts). `customers`: the
    only customers the rows can belong to (the contacts' scope), so the name is matched among them — one
    customer query where the name's index and the owner's meet — not among all the company's.

    The UNION runs once, here: up to CRM_LIST_SEARCH_IDS_MAX matching ids are read and the rows are
    those ids, so the page's rows and its total are picked from a short list instead of each running the
    UNION again (1M bench: every search paid for it twice). More matches than that: the UNION stays a
    subquery, as before (its total may run it again)."""
    named = (customers if customers is not None else Customer.objects.all()).filter(name__icontains=q)
    union = (
        qs.filter(own)
        .order_by()
        .values_list("pk", flat=True)
        .union(qs.filter(customer__in=named.order_by().values("pk")).order_by().values_list("pk", flat=True))
    )
    most = settings.CRM_LIST_SEARCH_IDS_MAX
    ids = list(union[: most + 1])
    return qs.filter(pk__in=ids if len(ids) <= most else union)


def documents_matching(qs: QuerySet, q: str, *, titled: bool = True) -> QuerySet:
    """The search of the quotes, contracts (exact number or title) and orders (exact number) lists, page
    and API, or their customer's name: one UNION of ids (`matching_or_customer_named`). The OR across the
    customer join read every customer for each search (1M bench: 176–491 ms p95)."""
    own = Q(number=q) | Q(title__icontains=q) if titled else Q(number=q)
    return matching_or_customer_named(qs, own, q)


def contact_list_for(user: User, *, q: str = "", role: str = "") -> QuerySet[Contact]:
    """The contacts list (page and API): the contacts of the customers the user sees (C11), filtered."""
    return contact_filter(
        policy.contacts_visible_to(user), q=q, role=role, customers=policy.customers_visible_to(user)
    )


def contact_filter(
    qs: QuerySet[Contact], *, q: str = "", role: str = "", customers: QuerySet[Customer] | None = None
) -> QuerySet[Contact]:
    """The contacts list's own filters: name, phone or the customer's name (among `customers`, the
    contacts' scope, when given); one role (C6)."""
    if q:
        qs = matching_or_customer_named(
            qs, Q(name__icontains=q) | Q(phone__contains=q), q, customers=customers
        )
    if role:
        qs = qs.filter(role=role)
    return qs
