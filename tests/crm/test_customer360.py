"""Issue 16: the customer 360 — the customer page's tabs, each its own URL, scoped by the policy, paged,
with counts in the headers at a fixed query cost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Contact, Opportunity, Payment
from crm.selectors_customer360 import customer_tabs
from partners.services import collision_open
from tests.factories import CustomerFactory, FollowUpFactory, make_order

pytestmark = pytest.mark.django_db


def tab_url(customer, tab: str) -> str:  # type: ignore[no-untyped-def]
    return reverse("crm:customer_tab", args=[customer.pk, tab])


def opportunity(customer, owner, name: str = "年度项目") -> Opportunity:  # type: ignore[no-untyped-def]
    return Opportunity.objects.create(
        customer=customer, owner=owner, name=name, amount=Decimal("50000.00"), registered_at=timezone.now()
    )


def counts(customer, user) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t.key: t.count for t in customer_tabs(customer=customer, user=user)}


@pytest.fixture
def full_customer(org):  # type: ignore[no-untyped-def]
    """rep_a1's customer with two contacts, three follow-ups, an opportunity of rep_a1 and one of rep_a2
    (same team), an order of ¥10,000.00 with ¥4,000.00 received."""
    customer = CustomerFactory(owner=org.rep_a1, name="全景测试有限公司")
    Contact.objects.create(customer=customer, name="李总", position="总经理")
    Contact.objects.create(customer=customer, name="王工", position="工程师")
    for _ in range(3):
        FollowUpFactory(customer=customer, author=org.rep_a1)
    opportunity(customer, org.rep_a1, "甲一的项目")
    opportunity(customer, org.rep_a2, "甲二的项目")
    order = make_order(owner=org.rep_a1, customer=customer)
    Payment.objects.create(
        order=order, amount=Decimal("4000.00"), received_on=timezone.localdate(), recorded_by=org.finance
    )
    return customer


def test_counts_follow_what_each_user_may_see(full_customer, org):
    # Given the customer above; when its owner and the team's manager look at the tabs
    rep_counts, manager_counts = counts(full_customer, org.rep_a1), counts(full_customer, org.manager_a)
    # Then the rep counts only their own opportunity, the manager the team's two
    assert rep_counts["opportunities"] == 1 and manager_counts["opportunities"] == 2
    assert rep_counts["contacts"] == 2 and rep_counts["followups"] == 3
    assert rep_counts["orders"] == 1 and rep_counts["payments"] == 1 and rep_counts["receivables"] == 1
    assert rep_counts["quotes"] == 0 and rep_counts["ownership"] == 0 and rep_counts["attachments"] == 0
    # partners fills the collisions slot; the payment plans are crm's own tab (no contract has a plan)
    assert "collisions" in rep_counts and rep_counts["payment_plans"] == 0


def test_receivables_tab_shows_the_outstanding_amount(full_customer, client_for, org):
    body = (
        client_for(org.rep_a1)
        .get(tab_url(full_customer, "receivables"), HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "¥10,000.00" in body and "¥4,000.00" in body and "¥6,000.00" in body


def test_rep_does_not_see_a_team_mates_opportunity_in_the_tab(full_customer, client_for, org):
    body = client_for(org.rep_a1).get(tab_url(full_customer, "opportunities")).content.decode()
    assert "甲一的项目" in body and "甲二的项目" not in body
    body = client_for(org.manager_a).get(tab_url(full_customer, "opportunities")).content.decode()
    assert "甲一的项目" in body and "甲二的项目" in body


def test_a_tab_url_alone_is_the_whole_page_and_htmx_gets_the_tabs_only(full_customer, client_for, org):
    client = client_for(org.rep_a1)
    page = client.get(tab_url(full_customer, "followups")).content.decode()
    assert "<html" in page and "客户资料" in page and 'id="tab-followups"' in page
    part = client.get(tab_url(full_customer, "followups"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and 'id="tab-followups"' in part and "客户资料" not in part
    assert "电话沟通需求" in part


def test_the_customer_page_opens_on_the_contacts_tab_with_counts(full_customer, client_for, org):
    body = (
        client_for(org.rep_a1).get(reverse("crm:customer_detail", args=[full_customer.pk])).content.decode()
    )
    assert 'id="tab-contacts"' in body and "李总" in body and "王工" in body
    assert 'data-tab="followups"' in body


def test_another_reps_customer_tab_is_404(full_customer, client_for, org):
    assert client_for(org.rep_b1).get(tab_url(full_customer, "contacts")).status_code == 404


def test_unknown_tab_is_404(full_customer, client_for, org):
    assert client_for(org.rep_a1).get(tab_url(full_customer, "secrets")).status_code == 404


def test_empty_tab_says_what_to_do(client_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    body = client_for(org.rep_a1).get(tab_url(customer, "quotes")).content.decode()
    assert "还没有您可见的报价单" in body


def test_tabs_page_through_long_lists(client_for, org, settings):
    settings.CRM_CUSTOMER_TAB_PAGE_SIZE = 20
    customer = CustomerFactory(owner=org.rep_a1)
    for i in range(25):
        Contact.objects.create(customer=customer, name=f"联系人{i:02d}", position="职员")
    client = client_for(org.rep_a1)
    first = client.get(tab_url(customer, "contacts")).content.decode()
    assert "联系人00" in first and "联系人19" in first and "联系人20" not in first and "第 1 / 2 页" in first
    second = client.get(tab_url(customer, "contacts") + "?page=2").content.decode()
    assert "联系人20" in second and "联系人24" in second and "联系人19" not in second
    # a page past the end shows the last page, a nonsense page the first
    assert "联系人24" in client.get(tab_url(customer, "contacts") + "?page=99").content.decode()
    assert "联系人00" in client.get(tab_url(customer, "contacts") + "?page=abc").content.decode()


def test_collisions_tab_lists_the_customers_cases(client_for, org):
    customer = CustomerFactory(owner=org.rep_a1, owned_since=timezone.now() - timezone.timedelta(days=30))
    case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
    assert counts(customer, org.rep_a1)["collisions"] == 1
    body = client_for(org.rep_a1).get(tab_url(customer, "collisions")).content.decode()
    assert f"#{case.pk}" in body


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "tab", ["contacts", "followups", "opportunities", "orders", "payments", "receivables", "ownership"]
)
def test_tab_query_count_does_not_grow_with_the_customer(client_for, org, tab):
    # Given two customers, one with one row of everything and one with eight
    small, big = CustomerFactory(owner=org.rep_a1), CustomerFactory(owner=org.rep_a1)
    for customer, n in ((small, 1), (big, 8)):
        for i in range(n):
            Contact.objects.create(customer=customer, name=f"联系人{i}", position="职员")
            FollowUpFactory(customer=customer, author=org.rep_a1)
            opportunity(customer, org.rep_a1)
            order = make_order(owner=org.rep_a1, customer=customer)
            Payment.objects.create(
                order=order, amount=Decimal("1.00"), received_on=timezone.localdate(), recorded_by=org.finance
            )
    client = client_for(org.rep_a1)
    _queries(client, tab_url(small, tab))  # warm the per-session caches
    # Then both pages cost the same number of queries
    assert _queries(client, tab_url(small, tab)) == _queries(client, tab_url(big, tab))
