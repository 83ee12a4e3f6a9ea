"""P3: nobody arbitrates a case they are party to — a regional manager who is a party is skipped to the
next level (their own manager), who sees the case in the inbox and decides it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from common.errors import DomainError
from crm.models import Role
from partners.models import CollisionAction as A
from partners.models import CollisionStatus as S
from partners.selectors import case_decider_id, collision_inbox
from partners.services import collision_open, collision_transition
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director(org):  # type: ignore[no-untyped-def]
    boss = UserFactory(username="director_x", display_name="总监", roles=[Role.DIRECTOR])
    org.regional_manager.manager = boss
    org.regional_manager.save()
    return boss


def _case_with_the_regional_manager_as_party(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(
        owner=org.regional_manager,
        owned_since=timezone.now() - timezone.timedelta(days=10),
        region=org.region,
    )
    case = collision_open(customer=customer, claimant=org.rep_a1, source="customer_create")
    return customer, collision_transition(case=case, action=A.ESCALATE, by=org.rep_a1, reason="协商不成")


def test_regional_manager_party_is_skipped_to_their_manager(org, director):  # type: ignore[no-untyped-def]
    customer, case = _case_with_the_regional_manager_as_party(org)
    assert case_decider_id(case) == director.pk
    claimant = case.parties.get(user=org.rep_a1)
    with pytest.raises(DomainError) as exc:
        collision_transition(
            case=case,
            action=A.DECIDE,
            by=org.regional_manager,
            winner_party_id=claimant.pk,
            reason="我先录入",
        )
    assert exc.value.code == "party_cannot_decide"
    assert "您是本案当事方，不能裁决" in str(exc.value.message)
    assert case in collision_inbox(user=director)
    case = collision_transition(
        case=case, action=A.DECIDE, by=director, winner_party_id=claimant.pk, reason="销售甲一首次拜访更早"
    )
    assert (case.status, case.decided_by) == (S.RESOLVED, director)
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1


def test_decide_in_the_api_is_refused_for_the_party_and_allowed_one_level_up(org, director, api_for):  # type: ignore[no-untyped-def]
    _customer, case = _case_with_the_regional_manager_as_party(org)
    claimant = case.parties.get(user=org.rep_a1)
    url = f"/api/partners/collisions/{case.pk}/transition/"
    body = {"action": "decide", "winner": claimant.pk, "reason": "裁决"}
    refused = api_for(org.regional_manager).post(url, body, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "party_cannot_decide"
    inbox = api_for(director).get("/api/partners/collisions/?inbox=1").json()
    rows = inbox["results"] if isinstance(inbox, dict) else inbox
    assert [r["id"] for r in rows] == [case.pk]
    ok = api_for(director).post(url, body, format="json")
    assert ok.status_code == 200, ok.json()
