"""Writes for the crm app, one module per topic. Import from the topic module, e.g.
`from crm.services.customers import customer_create`; the customer-book services are re-exported here."""

from crm.services.customers import *  # noqa: F403
from crm.services.customers import (
    DuplicateCustomer,
    can_assign,
    can_review,
    contact_create,
    customer_assign,
    customer_create,
    customer_review_transition,
    customer_update,
    followup_create,
    outing_register,
    record_ownership_change,
    touch_days_without_contact,
    validate_credit_code,
    validate_phone,
)

__all__ = [
    "DuplicateCustomer",
    "can_assign",
    "can_review",
    "contact_create",
    "customer_assign",
    "customer_create",
    "customer_review_transition",
    "customer_update",
    "followup_create",
    "outing_register",
    "record_ownership_change",
    "touch_days_without_contact",
    "validate_credit_code",
    "validate_phone",
]
