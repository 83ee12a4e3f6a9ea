"""Extension points: how an app above crm reacts to a CRM event without crm importing it.

crm sits below partners, commissions and settlements and never imports them. Where the business
needs a higher app to act inside a CRM operation, crm names the event here, with a typed handler,
and the higher app registers its handler in its `AppConfig.ready()`:

- a collision (SPEC P3): C2 finds that the customer someone is creating, entering as a lead, being
  assigned, claiming from the pool or registering an opportunity on is owned by someone else →
  `open_collision(...)` asks the registered collision workflow (partners) to open or join a case;
- an order is booked (SPEC P4) → every `order_booked_handlers()` runs (partners freezes the credit
  shares, after settling a "closer wins" collision);
- the customer page is shown → each registered provider may add a button (`PageAction`, e.g. partners'
  "arrange an account executive") or a section (rendered HTML, e.g. partners' collision cases).

Handlers run synchronously, inside the caller's transaction: what they write commits or rolls back
with the CRM change, and what they raise reaches the caller unchanged. This is deliberately not a
Django signal: the caller can see (and type-check) what it depends on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from crm.models import Customer, Order, User


class CollisionCaseRef(Protocol):
    """What crm needs to know of a collision case: its number and its page."""

    pk: Any

    def get_absolute_url(self) -> str: ...


class CollisionHandler(Protocol):
    """Open (or join) the collision case of `customer` for `claimant`. Returns None when there is no
    collision after all (the customer is in the pool, or the claimant already owns it)."""

    def __call__(
        self,
        *,
        customer: Customer,
        claimant: User,
        source: str,
        by: User | None,
        evidence: dict[str, Any],
        registered_at: dt.datetime | None = None,
    ) -> CollisionCaseRef | None: ...


class OrderBookedHandler(Protocol):
    """React to an order that has just been booked (status, booked_at and due_on are saved). Whatever it
    returns is ignored."""

    def __call__(self, *, order: Order) -> object: ...


_collision_handler: CollisionHandler | None = None
_order_booked_handlers: list[OrderBookedHandler] = []


def register_collision_handler(handler: CollisionHandler) -> None:
    """One collision workflow per installation; registering the same handler again is a no-op."""
    global _collision_handler
    if _collision_handler is not None and _collision_handler is not handler:
        raise ImproperlyConfigured(f"A collision handler is already registered: {_collision_handler!r}")
    _collision_handler = handler


def collision_handler() -> CollisionHandler | None:
    return _collision_handler


def open_collision(
    *,
    customer: Customer,
    claimant: User,
    source: str,
    by: User | None,
    evidence: dict[str, Any],
    registered_at: dt.datetime | None = None,
) -> CollisionCaseRef | None:
    """P3: hand a detected collision to the registered workflow; None when none is installed."""
    if _collision_handler is None:
        return None
    return _collision_handler(
        customer=customer,
        claimant=claimant,
        source=source,
        by=by,
        evidence=evidence,
        registered_at=registered_at,
    )


def register_order_booked_handler(handler: OrderBookedHandler) -> None:
    """Handlers run in registration order; registering the same handler again is a no-op."""
    if handler not in _order_booked_handlers:
        _order_booked_handlers.append(handler)


def order_booked_handlers() -> tuple[OrderBookedHandler, ...]:
    return tuple(_order_booked_handlers)


def order_booked(*, order: Order) -> None:
    """P4: run every registered reaction to a booking, in order, in the caller's transaction."""
    for handler in _order_booked_handlers:
        handler(order=order)


@dataclass(frozen=True)
class PageAction:
    """A button on a CRM page leading to a page of a higher app."""

    label: str
    url: str


class CustomerActionProvider(Protocol):
    """A button for the customer page, or None when it does not apply to this customer/user."""

    def __call__(self, *, customer: Customer, user: User) -> PageAction | None: ...


class CustomerSectionProvider(Protocol):
    """A section of the customer page, rendered (empty when there is nothing to show)."""

    def __call__(self, *, customer: Customer, user: User) -> SafeString: ...


_customer_actions: list[CustomerActionProvider] = []
_customer_sections: list[CustomerSectionProvider] = []


def register_customer_page_action(provider: CustomerActionProvider) -> None:
    if provider not in _customer_actions:
        _customer_actions.append(provider)


def register_customer_page_section(provider: CustomerSectionProvider) -> None:
    if provider not in _customer_sections:
        _customer_sections.append(provider)


def customer_page_actions(*, customer: Customer, user: User) -> list[PageAction]:
    actions = (provider(customer=customer, user=user) for provider in _customer_actions)
    return [a for a in actions if a is not None]


def customer_page_sections(*, customer: Customer, user: User) -> list[SafeString]:
    sections = (provider(customer=customer, user=user) for provider in _customer_sections)
    return [s for s in sections if s]


# --------------------------------------------------------------------------------------------------
# Customer 360: tabs that apps above crm add to the customer page
# --------------------------------------------------------------------------------------------------

# The slot reserved for the payment plans (回款计划) of issue 16, built on the "pipeline" branch: a tab
# registered under this key is shown between the orders and the payments tabs.
PAYMENT_PLANS_TAB = "payment_plans"
# The slot partners fills with the customer's collision cases (P3).
COLLISIONS_TAB = "collisions"


class CustomerTabCount(Protocol):
    """How many rows the tab shows this user for this customer: one query, whatever the size."""

    def __call__(self, *, customer: Customer, user: User) -> int: ...


class CustomerTabRender(Protocol):
    """The tab's body (rendered HTML) for one page of `size` rows starting at `offset`."""

    def __call__(self, *, customer: Customer, user: User, offset: int, size: int) -> SafeString: ...


@dataclass(frozen=True)
class CustomerTab:
    """A tab of the customer page supplied by a higher app (its own policy decides what it shows)."""

    key: str
    label: str | Promise
    count: CustomerTabCount
    render: CustomerTabRender


_customer_tabs: dict[str, CustomerTab] = {}


def register_customer_tab(tab: CustomerTab) -> None:
    """One provider per key; registering the same tab again is a no-op."""
    existing = _customer_tabs.get(tab.key)
    if existing is not None and existing != tab:
        raise ImproperlyConfigured(f"A customer tab {tab.key!r} is already registered: {existing!r}")
    _customer_tabs[tab.key] = tab


def customer_tab(key: str) -> CustomerTab | None:
    return _customer_tabs.get(key)
