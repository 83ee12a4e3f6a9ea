"""Reads with rules: who may see what (C11), duplicate lookup (C2), "my day"."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Q, QuerySet

from crm.models import Customer, Department, User


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


def team_member_ids(user: User) -> set[int]:
    """C11 "my team": me, everyone whose manager chain reaches me, and everyone in the departments
    (with their sub-departments) or regions I manage."""
    ids: set[int] = {user.pk}
    paths = list(Department.objects.filter(manager=user).values_list("path", flat=True))
    region_ids = list(user.managed_regions.values_list("id", flat=True))
    dept_q = Q(pk__in=[])
    for path in paths:
        dept_q |= Q(department__path__startswith=path)
    if region_ids:
        dept_q |= Q(department__region_id__in=region_ids)
    ids.update(User.objects.filter(dept_q).values_list("id", flat=True))
    frontier = {user.pk}
    while frontier:  # direct-report chain, breadth first (org trees are shallow)
        frontier = set(User.objects.filter(manager_id__in=frontier).values_list("id", flat=True)) - ids
        ids |= frontier
    return ids


def customer_list_visible_to(*, user: User) -> QuerySet[Customer]:
    """C11: a rep sees their own and shared customers; a manager their team's; president/admin all.
    Pool customers are not in this list (they live on the pool page)."""
    qs = Customer.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.sees_everything:
        return qs.filter(owner__isnull=False)
    members = team_member_ids(user)
    if len(members) == 1:
        return qs.filter(Q(owner=user) | Q(account_executive=user))
    return qs.filter(Q(owner_id__in=members) | Q(account_executive=user))


def customer_get_visible(*, user: User, pk: int) -> Customer | None:
    return customer_list_visible_to(user=user).filter(pk=pk).first()


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


def timeline_for(customer: Customer) -> list[dict]:
    """Follow-ups, grade changes and owner changes, newest first, for the customer page."""
    items: list[dict] = []
    for f in customer.followups.select_related("author", "contact").all()[:200]:
        items.append({"at": f.occurred_at, "kind": "followup", "obj": f})
    for g in customer.grade_changes.select_related("changed_by").all():
        items.append({"at": g.changed_at, "kind": "grade", "obj": g})
    for o in customer.ownership_changes.select_related("from_user", "to_user", "changed_by").all():
        items.append({"at": o.changed_at, "kind": "owner", "obj": o})
    items.sort(key=lambda i: i["at"], reverse=True)
    return items
