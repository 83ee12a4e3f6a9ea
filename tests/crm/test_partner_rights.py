"""P2 enforced everywhere (000 §4.1.2–4.1.3): a strategic partner creates and claims customers only in its
region; an ordinary partner never owns a customer — in the service, the page and the API."""

from __future__ import annotations

import pytest

from common.errors import DomainError
from crm.models import Customer, Role
from crm.services import customers as services
from crm.services.pool import pool_claim
from partners.models import PartnerKind
from tests.factories import CustomerFactory, UserFactory
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "杭州星河文化传播有限公司",
    "contact_person": "陈力",
    "contact_position": "总经理",
    "phone": "0571-86001234",
    "status": "intent",
}


@pytest.fixture
def strategic(org):  # type: ignore[no-untyped-def]
    # the pool is open to partner logins only when an admin also gives them a claiming role
    user = UserFactory(username="p_strategic", display_name="战略甲", roles=[Role.PARTNER, Role.REP])
    PartnerFactory(name="战略甲", kind=PartnerKind.STRATEGIC, region=org.region, user=user)
    return user


@pytest.fixture
def ordinary(org):  # type: ignore[no-untyped-def]
    user = UserFactory(username="p_ordinary", display_name="普通乙", roles=[Role.PARTNER])
    PartnerFactory(name="普通乙", kind=PartnerKind.ORDINARY, user=user)
    return user


def test_strategic_partner_creates_in_own_region_only(org, strategic):  # type: ignore[no-untyped-def]
    mine = services.customer_create(by=strategic, **NEW)
    assert (mine.owner, mine.region) == (strategic, org.region)  # region defaults to the partner's
    with pytest.raises(DomainError) as exc:
        services.customer_create(
            by=strategic, **{**NEW, "name": "北京远方公司", "phone": "010-66001234", "region": org.region_b}
        )
    assert exc.value.code == "partner_outside_region"
    assert "战略合伙人只能管理本大区（华东大区）的客户" in str(exc.value.message)
    assert not Customer.objects.filter(name="北京远方公司").exists()


def test_ordinary_partner_cannot_own_a_customer(org, ordinary):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        services.customer_create(by=ordinary, **NEW)
    assert exc.value.code == "partner_cannot_own"
    assert Customer.objects.count() == 0
    customer = CustomerFactory(owner=org.rep_a1)
    with pytest.raises(DomainError):
        services.customer_assign(customer=customer, to_user=ordinary, by=org.admin)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1


def test_strategic_partner_claims_pool_customers_of_its_region_only(org, strategic):  # type: ignore[no-untyped-def]
    here = CustomerFactory(owner=None, region=org.region)
    there = CustomerFactory(owner=None, region=org.region_b)
    assert pool_claim(customer=here, by=strategic).owner == strategic
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=there, by=strategic)
    assert exc.value.code == "partner_outside_region"
    there.refresh_from_db()
    assert there.owner is None


def test_partner_refusals_in_the_api_and_the_page(org, ordinary, strategic, api_for, client):  # type: ignore[no-untyped-def]
    # The crm policy keeps partner logins out of the customer book and the pool altogether (404), and
    # the services refuse the same again (tested above) for any path that reaches them.
    refused = api_for(ordinary).post("/api/customers/", NEW, format="json")
    assert refused.status_code in (403, 404)
    there = CustomerFactory(owner=None, region=org.region_b)
    claim = api_for(strategic).post(f"/api/pool/{there.pk}/claim/", {}, format="json")
    assert claim.status_code in (403, 404)
    client.force_login(ordinary)
    page = client.post("/customers/new/", {**NEW, "grade": "C"})
    assert page.status_code in (200, 403, 404)
    assert Customer.objects.filter(owner=ordinary).count() == 0
    there.refresh_from_db()
    assert there.owner_id is None
