"""What a user notices of the policy layer: no page offers a link the role cannot open, a partner lands on
the partner portal, and finance's pages are the money ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from crm.models import Role
from tests.crm.pipeline_world import build_world
from tests.factories import UserFactory
from tests.settlements.factories import partner as make_partner

pytestmark = pytest.mark.django_db


def test_finance_order_page_names_the_contract_but_links_nothing_it_cannot_open(org, client_for) -> None:  # type: ignore[no-untyped-def]
    world = build_world(org)
    page = client_for(org.finance).get(reverse("crm:order_detail", args=[world.order.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert world.contract.number in html
    assert reverse("crm:contract_detail", args=[world.contract.pk]) not in html
    assert (
        client_for(org.finance).get(reverse("crm:contract_detail", args=[world.contract.pk])).status_code
        == 404
    )
    assert "财务登记" in html  # finance records money in on this page


def test_the_owner_follows_the_links_to_contract_and_approval(org, client_for) -> None:  # type: ignore[no-untyped-def]
    world = build_world(org)
    html = client_for(org.rep_a1).get(reverse("crm:order_detail", args=[world.order.pk])).content.decode()
    assert reverse("crm:contract_detail", args=[world.contract.pk]) in html
    assert "财务登记" not in html
    quote_page = (
        client_for(org.rep_a1).get(reverse("crm:quote_detail", args=[world.quote.pk])).content.decode()
    )
    assert reverse("crm:approval_detail", args=[world.approval.pk]) in quote_page


def test_collision_report_button_only_for_those_who_may_open_the_report(org, client_for) -> None:  # type: ignore[no-untyped-def]
    report = reverse("partners:collision_report")
    rep_page = client_for(org.rep_a1).get(reverse("partners:collision_list")).content.decode()
    assert report not in rep_page
    assert client_for(org.rep_a1).get(report).status_code == 404
    manager_page = client_for(org.manager_a).get(reverse("partners:collision_list")).content.decode()
    assert report in manager_page
    assert client_for(org.manager_a).get(report).status_code == 200


def test_a_partner_lands_on_the_portal_and_never_on_an_internal_page(org, client_for) -> None:  # type: ignore[no-untyped-def]
    login = UserFactory(username="p_login", roles=[Role.PARTNER])
    make_partner(user=login, region=org.region)
    client = client_for(login)
    home = client.get(reverse("crm:my_day"))
    assert home.status_code == 302 and home.url == reverse("partners:portal")
    assert client.get(reverse("partners:portal")).status_code == 200
    for internal in ("crm:customer_list", "crm:lead_list", "crm:approval_inbox", "settlements:dashboard"):
        assert client.get(reverse(internal)).status_code == 404, internal


def test_finance_has_no_customer_book_or_pipeline_but_its_money_pages(org, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(org.finance)
    for closed in (
        "crm:customer_list",
        "crm:lead_list",
        "crm:opportunity_list",
        "crm:quote_list",
        "crm:pool_list",
    ):
        assert client.get(reverse(closed)).status_code == 404, closed
    for open_ in ("crm:order_list", "crm:receivable_aging", "settlements:list", "commissions:forfeit"):
        assert client.get(reverse(open_)).status_code == 200, open_
