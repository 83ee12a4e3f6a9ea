"""What partners adds to crm's customer page, through crm's extension points (registered in
PartnersConfig.ready()): the "arrange an account executive" button (P2) and the customer's collision
cases as a tab of the customer 360 (P3, issue 16)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from crm.extensions import COLLISIONS_TAB as COLLISIONS_TAB_KEY
from crm.extensions import CustomerTab, PageAction
from crm.models import Customer, User
from partners import policy
from partners.models import CollisionCase


def executive_attach_action(*, customer: Customer, user: User) -> PageAction | None:
    """P2: a customer without an account executive offers to arrange one (the page checks who may)."""
    if customer.account_executive_id:
        return None
    return PageAction(label=_("安排客户执行"), url=reverse("partners:executive_attach", args=[customer.pk]))


def _customer_cases(*, customer: Customer, user: User) -> QuerySet[CollisionCase]:
    return policy.collisions_visible_to(user).filter(customer=customer)


def collisions_tab_count(*, customer: Customer, user: User) -> int:
    """P3: how many of this customer's collision cases the user may see (one query)."""
    return int(_customer_cases(customer=customer, user=user).count())


def collisions_tab_render(*, customer: Customer, user: User, offset: int, size: int) -> SafeString:
    """The customer page's 撞单 tab: this customer's cases the user may see, newest first."""
    cases = list(_customer_cases(customer=customer, user=user).order_by("-id")[offset : offset + size])
    return mark_safe(render_to_string("partners/_customer_collisions.html", {"cases": cases}))


COLLISIONS_TAB = CustomerTab(
    key=COLLISIONS_TAB_KEY,
    label=pgettext_lazy("menu", "撞单"),
    count=collisions_tab_count,
    render=collisions_tab_render,
)
