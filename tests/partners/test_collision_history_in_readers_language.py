"""Issue 15: what the system writes into a collision case's history — the automatic escalation
("超过协商期限未达成一致，自动提交大区经理裁决。") — and into the customer's ownership history when a case
moves the customer ("撞单 #N：大区经理裁决") is read in the reader's language on the collision page, its
API and the customer page, whatever the language the job or the regional manager ran in. Comments typed
by people read as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from crm.models import OwnershipChange
from partners.models import CollisionAction, CollisionCase, CollisionEvent
from partners.services import collision_escalate_overdue, collision_open, collision_transition
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ZH = "超过协商期限未达成一致，自动提交大区经理裁决。"
EN = "No agreement within the negotiation deadline; referred to the regional manager automatically."


def open_case(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(
        owner=org.rep_a1, owned_since=timezone.now() - dt.timedelta(days=10), region=org.region
    )
    return customer, collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")


def page(client, url: str, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


def api_comments(api, case, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    events = api.get(f"/api/partners/collisions/{case.pk}/").json()["events"]
    return [e["comment"] for e in events if e["action"] == CollisionAction.ESCALATE]


def test_the_automatic_escalation_reads_in_each_readers_language(org, client_for, api_for) -> None:  # type: ignore[no-untyped-def]
    # given a case past its deadline, escalated by the nightly job running in English
    _customer, case = open_case(org)
    CollisionCase.objects.filter(pk=case.pk).update(deadline=dt.date(2026, 1, 5))
    with translation.override("en"):
        assert collision_escalate_overdue(today=dt.date(2026, 1, 6)) == 1
    event = CollisionEvent.objects.get(case=case, action=CollisionAction.ESCALATE)
    assert event.comment == ZH  # stored in Chinese whatever the job's language
    # when the regional manager reads the case page and the API in Chinese, then in English
    client, api = client_for(org.regional_manager), api_for(org.regional_manager)
    url = reverse("partners:collision_detail", args=[case.pk])
    assert ZH in page(client, url, "zh-hans")
    english = page(client, url, "en")
    assert EN in english and ZH not in english
    assert api_comments(api, case, "zh-hans") == [ZH]
    assert api_comments(api, case, "en") == [EN]


def test_a_comment_typed_by_a_party_reads_as_typed(org, api_for) -> None:  # type: ignore[no-untyped-def]
    _customer, case = open_case(org)
    collision_transition(case=case, action=CollisionAction.ESCALATE, by=org.rep_b1, reason="协商不成")
    assert api_comments(api_for(org.regional_manager), case, "en") == ["协商不成"]


def test_an_escalation_stored_before_reads_as_stored(org, api_for) -> None:  # type: ignore[no-untyped-def]
    _customer, case = open_case(org)
    CollisionCase.objects.filter(pk=case.pk).update(deadline=dt.date(2026, 1, 5))
    collision_escalate_overdue(today=dt.date(2026, 1, 6))
    CollisionEvent.objects.filter(case=case).update(comment="旧的说明", comment_words=None)
    assert api_comments(api_for(org.regional_manager), case, "en") == ["旧的说明"]


def test_the_ownership_change_a_ruling_makes_reads_in_the_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given the regional manager, working in English, gives the customer to the claimant
    customer, case = open_case(org)
    case = collision_transition(case=case, action=CollisionAction.ESCALATE, by=org.rep_b1, reason="协商不成")
    claimant = next(p for p in case.parties.all() if p.user_id == org.rep_b1.pk)
    with translation.override("en"):
        collision_transition(
            case=case,
            action=CollisionAction.DECIDE,
            by=org.regional_manager,
            winner_party_id=claimant.pk,
            reason="乙方沟通记录更早",
        )
    change = OwnershipChange.objects.get(collision_id=case.pk)
    assert change.note == f"撞单 #{case.pk}：大区经理裁决"
    # then the new owner reads the customer's owner-change tab in Chinese, then in English
    client = client_for(org.rep_b1)
    url = reverse("crm:customer_tab", args=[customer.pk, "ownership"])
    assert f"撞单 #{case.pk}：大区经理裁决" in page(client, url, "zh-hans")
    english = page(client, url, "en")
    assert f"Collision #{case.pk}: Regional manager ruling" in english and "大区经理裁决" not in english
