"""Issue 17: what a collision case tells each viewer. A rep whose entry matched someone else's customer
learns "it exists, a case was opened" — not which company holds the phone number, nor which colleague or
partner owns it, nor their follow-ups. Names are shown to whoever may see the customer anyway (its owner,
their managers, the top roles) and to the case's decider; a party that may not sees itself by name and
the other side as "the other party". `partners.policy.collision_disclosure(s)` decides; pages and the API
only read the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from partners.models import CollisionCase, CollisionParty, PartyRole


@dataclass(frozen=True)
class CaseDisclosure:
    reveal: bool
    viewer_id: int | None
    other_party_user_ids: frozenset[int] = field(default_factory=frozenset)

    def is_mine(self, party: CollisionParty) -> bool:
        return self.viewer_id is not None and party.acting_user_id == self.viewer_id

    def shows_party(self, party: CollisionParty) -> bool:
        return self.reveal or self.is_mine(party)

    def party_name(self, party: CollisionParty) -> str:
        if self.shows_party(party):
            return party.label
        return _("对方（合伙人）") if party.partner_id else _("对方（员工）")

    def customer_name(self, case: CollisionCase, entered: str = "") -> str:
        if self.reveal:
            return case.customer.name
        return entered or _("已有客户（仅负责方可见）")

    def actor_name(self, user: Any) -> str:
        """Who made a step of the case: hidden when it is another party's login."""
        if user is None:
            return _("系统")
        if not self.reveal and user.pk in self.other_party_user_ids:
            return _("对方")
        return str(user)

    def hides_actor(self, user_id: int | None) -> bool:
        return not self.reveal and user_id is not None and user_id in self.other_party_user_ids


def party_user_ids(case: CollisionCase) -> dict[int, int]:
    """party id → the login acting for it (uses the prefetched parties)."""
    return {p.pk: uid for p in case.parties.all() if (uid := p.acting_user_id)}


def disclosure_for(*, case: CollisionCase, viewer_id: int | None, reveal: bool) -> CaseDisclosure:
    others = frozenset(uid for uid in party_user_ids(case).values() if uid != viewer_id)
    return CaseDisclosure(reveal=reveal, viewer_id=viewer_id, other_party_user_ids=others)


def entered_by(case: CollisionCase, disclosure: CaseDisclosure) -> str:
    """What the viewer's own side typed when their entry matched (the evidence kept on the case's
    open/join step): the name, else the phone — shown instead of the customer's name when hidden."""
    mine = [p for p in case.parties.all() if disclosure.is_mine(p)]
    candidates = [
        (event.data or {}).get("evidence") or {}
        for event in case.events.all()
        if (event.data or {}).get("party") in {p.pk for p in mine}
    ]
    if any(p.role == PartyRole.CLAIMANT for p in mine):
        candidates.append(case.evidence or {})  # the claimant who opened the case
    for evidence in candidates:
        text = evidence.get("entered_name") or evidence.get("entered_phone") or ""
        if text:
            return str(text)
    return ""
