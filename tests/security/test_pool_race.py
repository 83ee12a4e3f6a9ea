"""Issue 17: the rep who loses a race for a pool customer is told it was already claimed, not 404."""

from __future__ import annotations

import pytest
from django.utils import timezone

from crm.models import PoolRelease
from crm.services.pool import pool_claim
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def released(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=None, owned_since=None, name="公海里的客户有限公司")
    now = timezone.now()
    PoolRelease.objects.create(
        customer=customer, previous_owner=org.rep_b1, owned_since=now, released_at=now, reason="超期未跟进"
    )
    return customer


def test_losing_claim_in_the_api_is_already_claimed(org, released, api_for):
    pool_claim(customer=released, by=org.rep_a2)  # the winner
    response = api_for(org.rep_a1).post(f"/api/pool/{released.pk}/claim/")
    assert response.status_code == 409
    assert response.json()["code"] == "already_claimed"
    assert "已被他人领取" in response.json()["detail"]


def test_losing_claim_on_the_page_says_so(org, released, client_for):
    pool_claim(customer=released, by=org.rep_a2)
    response = client_for(org.rep_a1).post(f"/pool/{released.pk}/claim/", follow=True)
    assert response.status_code == 200
    assert "已被他人领取" in response.content.decode()


def test_a_customer_never_in_the_pool_is_still_a_plain_404(org, api_for):
    owned = CustomerFactory(owner=org.rep_b1)
    assert api_for(org.rep_a1).post(f"/api/pool/{owned.pk}/claim/").status_code == 404
