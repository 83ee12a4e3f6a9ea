"""PostgreSQL: concurrent creation of one customer by two reps, and the executive-lock trigger."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from crm.models import Customer, OwnershipChange
from crm.services.customers import DuplicateCustomer, customer_create
from partners.models import CollisionCase, CollisionEvent, CollisionParty
from partners.services import CollisionOpened, account_executive_attach
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_concurrently(funcs):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(funcs))
    results: list[object] = [None] * len(funcs)

    def worker(i, fn):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(funcs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_reps_create_the_same_customer_at_the_same_moment(attempt):
    org = factories.build_org()
    name = f"同时录入科技有限公司{attempt}"

    def create(user, phone):  # type: ignore[no-untyped-def]
        return lambda: customer_create(
            by=user,
            name=name,
            contact_person="张三",
            contact_position="经理",
            phone=phone,
            status="prospect",
        )

    results = _run_concurrently([create(org.rep_a1, "13900000001"), create(org.rep_b1, "13900000002")])
    created = [r for r in results if isinstance(r, Customer)]
    collided = [r for r in results if isinstance(r, CollisionOpened)]
    errors = [r for r in results if isinstance(r, Exception) and not isinstance(r, DuplicateCustomer)]
    assert errors == []
    assert len(created) == 1 and len(collided) == 1
    customer = created[0]
    assert Customer.objects.filter(name=name).count() == 1
    case = CollisionCase.objects.get(customer=customer)
    assert collided[0].case.pk == case.pk
    assert CollisionParty.objects.filter(case=case).count() == 2
    assert {p.user_id for p in CollisionParty.objects.filter(case=case)} == {org.rep_a1.pk, org.rep_b1.pk}
    assert CollisionEvent.objects.filter(case=case).count() == 1
    assert OwnershipChange.objects.filter(customer=customer).count() == 1


def test_three_claimants_at_once_share_one_case():
    org = factories.build_org()
    customer = factories.CustomerFactory(owner=org.rep_a1, region=org.region)
    from partners.services import collision_open

    results = _run_concurrently(
        [
            (lambda u=u: collision_open(customer=customer, claimant=u, source="pool_claim"))
            for u in (org.rep_a2, org.rep_b1, org.manager_b)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert CollisionCase.objects.filter(customer=customer).count() == 1
    assert CollisionParty.objects.filter(case__customer=customer).count() == 4


def test_database_refuses_ending_an_executive_attachment():
    org = factories.build_org()
    customer = factories.CustomerFactory(owner=org.rep_a1)
    account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(account_executive=None)
    customer.refresh_from_db()
    assert customer.account_executive_id == org.executive.pk
    assert connection.vendor == "postgresql"
