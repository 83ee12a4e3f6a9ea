"""What partners adds to crm's customer page, through crm's extension points (registered in
PartnersConfig.ready()): the "arrange an account executive" button (P2) and the customer's collision
cases (P3)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from crm.extensions import PageAction
from crm.models import Customer, User
from partners.models import CollisionCase


def executive_attach_action(*, customer: Customer, user: User) -> PageAction | None:
    """P2: a customer without an account executive offers to arrange one (the page checks who may)."""
    if customer.account_executive_id:
        return None
    return PageAction(label=_("安排客户执行"), url=reverse("partners:executive_attach", args=[customer.pk]))


def collisions_section(*, customer: Customer, user: User) -> SafeString:
    """The customer page's 撞单 box: this customer's cases, newest first (none: no box)."""
    cases = list(CollisionCase.objects.filter(customer=customer).order_by("-id")[:10])
    if not cases:
        return mark_safe("")
    return mark_safe(render_to_string("partners/_customer_collisions.html", {"cases": cases}))
