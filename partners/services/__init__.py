"""Partners, collisions and credit (SPEC §3). Import from here or from the topic module.

crm reaches `collision_open` and `credit_shares_freeze` through its extension points (`crm.extensions`,
registered in `PartnersConfig.ready()`). `CollisionOpened` is crm's answer to a duplicate that opened a
case (re-exported here for callers of the collision workflow)."""

from crm.services.customers import CollisionOpened
from partners.services.collisions import (
    COLLISION_TRANSITIONS,
    collision_default_split,
    collision_escalate_overdue,
    collision_open,
    collision_resolve_on_order,
    collision_transition,
)
from partners.services.credit import credit_shares_compute, credit_shares_freeze
from partners.services.partners import (
    account_executive_attach,
    account_executive_detach,
    partner_register,
    referral_create,
)

__all__ = [
    "COLLISION_TRANSITIONS",
    "CollisionOpened",
    "account_executive_attach",
    "account_executive_detach",
    "collision_default_split",
    "collision_escalate_overdue",
    "collision_open",
    "collision_resolve_on_order",
    "collision_transition",
    "credit_shares_compute",
    "credit_shares_freeze",
    "partner_register",
    "referral_create",
]
