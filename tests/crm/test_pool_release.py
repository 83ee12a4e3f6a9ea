"""Issue 16: a manager releases customers of their team to the public pool (公海) by hand, with a reason —
from the customer list's bulk actions and the API. The release is the nightly sweep's: the same release
record, ownership history row and notices to the former owner and their manager; what the rules forbid
is refused per customer with the reason, and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from common.errors import DomainError
from common.models import Notification
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Opportunity,
    OpportunityStage,
    OwnershipChange,
    OwnershipReason,
    PoolRelease,
)
from crm.services.pool_release import customer_release_to_pool, customers_release_to_pool
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("crm:customer_list")
API = reverse("crm_api:customer-release-to-pool")


def notes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(user=user).order_by("id").values_list("text", flat=True))


def test_manager_releases_ticked_customers_and_the_rules_refuse_the_rest(client_for, org):
    # Given two customers of the manager's team, one of another team, one already in the pool and one
    # with a contract in delivery
    one = CustomerFactory(owner=org.rep_a1, name="释放一")
    two = CustomerFactory(owner=org.rep_a2, name="释放二")
    foreign = CustomerFactory(owner=org.rep_b1, name="乙队的")
    pooled = CustomerFactory(owner=None, name="公海里的")
    busy = CustomerFactory(owner=org.rep_a1, name="执行中的")
    Contract.objects.create(
        customer=busy, owner=org.rep_a1, title="执行合同", amount="1000.00", status=ContractStatus.IN_DELIVERY
    )
    # When manager A releases all five from the list with a reason
    response = client_for(org.manager_a).post(
        reverse("crm:customer_bulk"),
        {
            "action": "release",
            "reason": "  客户已倒闭，  停止跟进 ",
            "ids": [one.pk, two.pk, foreign.pk, pooled.pk, busy.pk],
            "back": "grade=C",
        },
    )
    # Then the two of the team are in the pool, the others keep their owner
    assert response.status_code == 302 and response["Location"] == LIST + "?grade=C"
    owners = dict(Customer.objects.values_list("name", "owner_id"))
    assert owners == {
        "释放一": None,
        "释放二": None,
        "乙队的": org.rep_b1.pk,
        "公海里的": None,
        "执行中的": org.rep_a1.pk,
    }
    said = notes(response)
    assert "已将 2 个客户释放到公海。" in said
    assert f"#{foreign.pk}：客户不存在或您无权查看。" in said
    assert f"#{pooled.pk}：客户不存在或您无权查看。" in said  # the pool is not the team's book
    assert "执行中的：该客户有执行中的合同或谈判阶段的商机，不能释放到公海。" in said
    # with the sweep's release record and P1 history row, the reason and who released them
    assert sorted(PoolRelease.objects.values_list("customer__name", "previous_owner_id", "reason")) == [
        ("释放一", org.rep_a1.pk, "客户已倒闭， 停止跟进"),
        ("释放二", org.rep_a2.pk, "客户已倒闭， 停止跟进"),
    ]
    change = OwnershipChange.objects.get(customer=one)
    assert (change.from_user, change.to_user, change.reason, change.note, change.changed_by) == (
        org.rep_a1,
        None,
        OwnershipReason.RELEASED_BY_HAND,
        "客户已倒闭， 停止跟进",
        org.manager_a,
    )
    # and each former owner is told; the manager who released them is not told about it
    assert texts(org.rep_a1) == ["客户“释放一”已由经理甲释放到公海，原因：客户已倒闭， 停止跟进。"]
    assert texts(org.rep_a2) == ["客户“释放二”已由经理甲释放到公海，原因：客户已倒闭， 停止跟进。"]
    assert texts(org.manager_a) == []


def test_a_release_by_the_regional_manager_tells_the_owners_manager(org):
    customer = CustomerFactory(owner=org.rep_a1, name="区里释放的")
    result = customers_release_to_pool(customer_ids=[customer.pk], reason="重复客户", by=org.regional_manager)
    assert [c.name for c in result.done] == ["区里释放的"] and result.refused == []
    assert texts(org.manager_a) == ["您团队销售甲一的客户“区里释放的”已由区经理释放到公海，原因：重复客户。"]
    # the pool's rule on the former owner (C10: no reclaim within K days) counts from this release
    assert PoolRelease.objects.get(customer=customer).previous_owner == org.rep_a1


def test_an_opportunity_in_negotiation_keeps_the_customer(org):
    customer = CustomerFactory(owner=org.rep_a1, name="谈判中的")
    Opportunity.objects.create(
        customer=customer,
        owner=org.rep_a1,
        name="大单",
        amount="1.00",
        stage=OpportunityStage.NEGOTIATION,
        registered_at=timezone.now(),
    )
    with pytest.raises(DomainError) as exc:
        customer_release_to_pool(customer=customer, reason="不跟了", by=org.manager_a)
    assert "谈判阶段的商机" in str(exc.value.message)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1 and not PoolRelease.objects.exists()


@pytest.mark.parametrize(
    ("reason", "message"), [("   ", "请填写释放到公海的原因。"), ("长" * 201, "原因最多 200 个字。")]
)
def test_a_release_without_a_reason_changes_nothing(client_for, org, reason, message):
    customer = CustomerFactory(owner=org.rep_a1)
    response = client_for(org.manager_a).post(
        reverse("crm:customer_bulk"), {"action": "release", "reason": reason, "ids": [customer.pk]}
    )
    assert response.status_code == 302 and message in notes(response)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1
    assert not PoolRelease.objects.exists() and not OwnershipChange.objects.exists()
    assert not Notification.objects.exists()


def test_a_rep_cannot_release_and_is_not_offered_to(client_for, org):
    mine = CustomerFactory(owner=org.rep_a1)
    client = client_for(org.rep_a1)
    assert 'value="release"' not in client.get(LIST).content.decode()
    response = client.post(
        reverse("crm:customer_bulk"), {"action": "release", "reason": "x", "ids": [mine.pk]}
    )
    assert "请选择一个您可以执行的批量操作。" in notes(response)
    mine.refresh_from_db()
    assert mine.owner == org.rep_a1
    with pytest.raises(DomainError) as exc:
        customers_release_to_pool(customer_ids=[mine.pk], reason="x", by=org.rep_a1)
    assert exc.value.status == 403


def test_the_manager_is_offered_the_release_with_a_reason_and_a_confirmation(client_for, org):
    CustomerFactory(owner=org.rep_a1)
    body = client_for(org.manager_a).get(LIST).content.decode()
    assert '<option value="release">释放到公海</option>' in body
    assert 'name="reason"' in body and "data-confirm=" in body


def test_api_releases_and_lists_the_refusals(api_for, org):
    mine = CustomerFactory(owner=org.rep_a1, name="接口释放")
    foreign = CustomerFactory(owner=org.rep_b1, name="乙队的")
    answer = api_for(org.manager_a).post(
        API, {"customer_ids": [mine.pk, foreign.pk], "reason": "客户要求"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {
        "released": [mine.pk],
        "refused": [{"customer": f"#{foreign.pk}", "reason": "客户不存在或您无权查看。"}],
    }
    mine.refresh_from_db()
    assert mine.owner is None
    # no reason: a 400 with the message, nothing released
    foreign_mgr = api_for(org.manager_b).post(
        API, {"customer_ids": [foreign.pk], "reason": ""}, format="json"
    )
    assert foreign_mgr.status_code == 400 and foreign_mgr.json()["code"] == "reason_required"
    # a rep: the route does not exist for them
    assert (
        api_for(org.rep_b1)
        .post(API, {"customer_ids": [foreign.pk], "reason": "x"}, format="json")
        .status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.owner == org.rep_b1
