"""Issue 15: what the public pool writes into a customer's ownership history — the nightly release's
reason ("45 天未联系，已转入公海"), a manager's assignment from the pool — is read in the reader's
language on the customer page's owner-change tab and in the API's timeline, whatever the language the
sweep or the manager ran in. The sweep builds the words in SQL: this runs on SQLite and on PostgreSQL.
A reason a manager typed reads as typed; rows stored before read as stored."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.models import Notification
from crm.models import OwnershipChange, OwnershipReason, PoolRelease
from crm.services.pool import pool_assign, pool_claim, pool_sweep
from crm.services.pool_release import customer_release_to_pool
from tests.crm.pool_helpers import TODAY, set_policy, silent_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ZH_45 = "45 天未联系，已转入公海"
EN_45 = "Not contacted for 45 days; moved to the public pool"


def tab(client, customer, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("crm:customer_tab", args=[customer.pk, "ownership"])).content.decode()


def claimed(customer, rep):  # type: ignore[no-untyped-def]
    """A pool customer is on no one's page: the history is read once a rep has claimed it."""
    return pool_claim(customer=customer.pk, by=rep)


def timeline(api, customer, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    rows = api.get(reverse("crm_api:customer-timeline", args=[customer.pk])).json()
    return [r["text"] for r in rows if r["kind"] == "owner"]


def test_a_release_by_the_sweep_reads_in_each_readers_language(org, client_for, api_for) -> None:  # type: ignore[no-untyped-def]
    # given a customer silent 45 days under a 45-day release rule, released by a sweep run in English
    set_policy(warn_days=30, release_days=45)
    customer = silent_customer(org.rep_a1, days=45, name="久违科技")
    with translation.override("en"):
        assert pool_sweep(today=TODAY).released == 1
    change = OwnershipChange.objects.get(customer=customer, reason=OwnershipReason.RELEASED)
    assert change.note == ZH_45  # stored in Chinese whatever the language the sweep ran in
    assert PoolRelease.objects.get(customer=customer).reason == ZH_45
    assert Notification.objects.get(user=org.rep_a1).text == "客户“久违科技”已 45 天未联系，已转入公海。"
    # when the rep who claims it reads the owner-change tab and the API, in Chinese and in English
    rep = org.rep_a2
    claimed(customer, rep)
    client, api = client_for(rep), api_for(rep)
    assert ZH_45 in tab(client, customer, "zh-hans")
    english = tab(client, customer, "en")
    assert EN_45 in english and "未联系" not in english
    assert timeline(api, customer, "zh-hans")[1] == f"{org.rep_a1} → 公海（未联系释放到公海：{ZH_45}）"
    assert timeline(api, customer, "en")[1] == (
        f"{org.rep_a1} → Public pool (Released to the public pool (no contact): {EN_45})"
    )


def test_a_release_after_2_days_counts_them(org, client_for) -> None:  # type: ignore[no-untyped-def]
    set_policy(warn_days=1, release_days=2)
    customer = silent_customer(org.rep_a1, days=2, name="后天科技")
    pool_sweep(today=TODAY)
    claimed(customer, org.rep_a2)
    english = tab(client_for(org.rep_a2), customer, "en")
    assert "Not contacted for 2 days; moved to the public pool" in english


def test_an_assignment_from_the_pool_reads_in_the_readers_language(org, client_for, api_for) -> None:  # type: ignore[no-untyped-def]
    # given a manager working in English gives a pool customer to a rep
    customer = CustomerFactory(owner=None, owned_since=None, name="公海科技")
    with translation.override("en"):
        pool_assign(customer=customer.pk, to_user=org.rep_a1, by=org.manager_a)
    change = OwnershipChange.objects.get(customer=customer, reason=OwnershipReason.ASSIGNED)
    assert change.note == f"公海客户分配给{org.rep_a1}"
    # then the rep reads it in Chinese, then in English
    client, api = client_for(org.rep_a1), api_for(org.rep_a1)
    assert f"公海客户分配给{org.rep_a1}" in tab(client, customer, "zh-hans")
    english = tab(client, customer, "en")
    assert f"Public pool customer assigned to {org.rep_a1}" in english and "公海客户分配给" not in english
    assert timeline(api, customer, "en") == [
        f"— → {org.rep_a1} (Assign: Public pool customer assigned to {org.rep_a1})"
    ]


def test_a_release_by_hand_reads_the_managers_reason_as_typed(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given a manager working in English releases a customer with a reason typed in Chinese
    customer = CustomerFactory(owner=org.rep_a1, name="手动释放科技")
    with translation.override("en"):
        customer_release_to_pool(customer=customer, reason="客户已转向竞品", by=org.manager_a)
    # then the history reads the reason as typed, its kind in the reader's language
    claimed(customer, org.rep_a2)
    english = tab(client_for(org.rep_a2), customer, "en")
    assert "Released to the pool by a manager" in english and "客户已转向竞品" in english
    # and the former owner's notice reads in their language; its plain text (e-mail) is the Chinese wording
    notice = Notification.objects.get(user=org.rep_a1)
    assert notice.text == f"客户“手动释放科技”已由{org.manager_a}释放到公海，原因：客户已转向竞品。"
    with translation.override("en"):
        assert notice.message == (
            f"Customer “手动释放科技” was released to the public pool by {org.manager_a}. "
            "Reason: 客户已转向竞品."
        )
    with translation.override("zh-hans"):
        assert notice.message == f"客户“手动释放科技”已由{org.manager_a}释放到公海，原因：客户已转向竞品。"


def test_a_release_note_stored_before_reads_as_stored(org, client_for) -> None:  # type: ignore[no-untyped-def]
    set_policy(warn_days=30, release_days=45)
    customer = silent_customer(org.rep_a1, days=45)
    pool_sweep(today=TODAY)
    OwnershipChange.objects.filter(customer=customer, reason=OwnershipReason.RELEASED).update(
        note="60 天未联系，已转入公海", note_words=None
    )
    claimed(customer, org.rep_a2)
    assert "60 天未联系，已转入公海" in tab(client_for(org.rep_a2), customer, "en")
