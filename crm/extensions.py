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
  "arrange an account executive") or a section (rendered HTML, e.g. partners' collision cases);
- an approval request of a kind a higher app owns is finally decided → the handler registered with
  `register_approval_outcome_handler(kind, handler)` runs (commissions publishes an approved plan);
- the global search → a registered provider may give the scope of a user outside the CRM's roles (a
  partner searches their portal's customers and orders).

Handlers run synchronously, inside the caller's transaction: what they write commits or rolls back
with the CRM change, and what they raise reaches the caller unchanged. This is deliberately not a
Django signal: the caller can see (and type-check) what it depends on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from crm.models import ApprovalRequest, Customer, Opportunity, Order, User


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


def open_opportunity_collision(
    *, opp: Opportunity, customer: Customer, claimant: User, source: str, by: User | None, **evidence: Any
) -> CollisionCaseRef | None:
    """P3 where an open opportunity is the claim: its registration time is the evidence "first
    registered wins" weighs (an opportunity registered on someone else's customer, or still open on a
    pool customer another takes)."""
    return open_collision(
        customer=customer,
        claimant=claimant,
        source=source,
        by=by,
        registered_at=opp.registered_at,
        evidence={
            "opportunity_id": opp.pk,
            "opportunity": opp.name,
            "opportunity_registered_at": opp.registered_at.isoformat(),
            **evidence,
        },
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


# --- the approvals centre (issue 15): one page, one tab per kind of decision ------------------------


@dataclass(frozen=True)
class ApprovalCard:
    """One item waiting for a decision, with what the approver needs to decide it (already in words
    and formatted money: the centre renders it as is)."""

    pk: int
    title: str
    url: str  # the record's own page (full detail)
    requester: str
    submitted_at: dt.datetime | None
    facts: tuple[tuple[str, str], ...] = ()  # (label, value): customer, amount, discount, margin …
    history: tuple[str, ...] = ()  # earlier steps, each in words
    inline: bool = True  # approve/reject offered on the card; False: decided on its own page
    needs_rate: bool = False  # the approver sets a commission rate (below-floor sale, K9)
    approve_label: str = ""  # the verb of the approve button ("同意", "核对无误" …)


class ApprovalDecider(Protocol):
    """Decide one item through the owning app's service; returns what happened in words ("已同意报价
    Q-…，已通知杨一"); raises DomainError when the service refuses."""

    def __call__(self, *, user: User, pk: int, approve: bool, reason: str, rate: Any = None) -> str: ...


@dataclass(frozen=True)
class ApprovalTab:
    """A tab of the approvals centre. `visible` asks the owning app's policy whether the user may act on
    this kind at all; `count` is one capped query; `cards` the items waiting for the user (at most
    `limit`); `decide` calls the same service as the kind's own page; `bulk` says whether the rules
    allow approving several at once (each still goes through `decide`)."""

    key: str
    label: Any
    icon: str
    order: int
    visible: Callable[[User], bool]
    count: Callable[[User], int]
    cards: Callable[[User, int], list[ApprovalCard]]
    decide: ApprovalDecider | None = None
    bulk: bool = False
    list_url: str = ""  # the kind's own full page, when it has one


_approval_tabs: dict[str, ApprovalTab] = {}


def register_approval_tab(tab: ApprovalTab) -> None:
    """Add (or replace, by key) a tab of the approvals centre."""
    _approval_tabs[tab.key] = tab


def approval_tabs() -> list[ApprovalTab]:
    return sorted(_approval_tabs.values(), key=lambda t: (t.order, t.key))


# --- approval outcomes of kinds owned by a higher app (K12: commission plans) -----------------------


class ApprovalOutcomeHandler(Protocol):
    """React to the final decision of an approval request of one kind (approved: the whole chain agreed;
    else rejected, the reason is on the rejected step). Runs inside `approval_decide`'s transaction:
    raising DomainError refuses the decision."""

    def __call__(self, *, request: ApprovalRequest, approved: bool, by: User) -> object: ...


_approval_outcome_handlers: dict[str, ApprovalOutcomeHandler] = {}


def register_approval_outcome_handler(kind: str, handler: ApprovalOutcomeHandler) -> None:
    """One handler per approval kind; registering the same handler again is a no-op."""
    current = _approval_outcome_handlers.get(kind)
    if current is not None and current is not handler:
        raise ImproperlyConfigured(
            f"An approval outcome handler for {kind!r} is already registered: {current!r}"
        )
    _approval_outcome_handlers[kind] = handler


def approval_outcome_handler(kind: str) -> ApprovalOutcomeHandler | None:
    return _approval_outcome_handlers.get(kind)


# --- global search (issue 16) ----------------------------------------------------------------------


@dataclass(frozen=True)
class SearchScope:
    """What the global search may look through for one user (C11): a queryset per kind (customers,
    contacts, opportunities, contracts, orders; None = that kind is not searched). `link`, when set,
    is the page every hit opens instead of its own (a partner opens their portal, not the CRM pages)."""

    customers: Any = None
    contacts: Any = None
    opportunities: Any = None
    contracts: Any = None
    orders: Any = None
    link: str = ""


class SearchScopeProvider(Protocol):
    """The search scope of a user who is not in the CRM's own roles (e.g. a partner's login), or None."""

    def __call__(self, *, user: User) -> SearchScope | None: ...


_search_scopes: list[SearchScopeProvider] = []


def register_search_scope(provider: SearchScopeProvider) -> None:
    if provider not in _search_scopes:
        _search_scopes.append(provider)


def search_scope_from_extensions(*, user: User) -> SearchScope | None:
    for provider in _search_scopes:
        scope = provider(user=user)
        if scope is not None:
            return scope
    return None


# --------------------------------------------------------------------------------------------------
# Customer 360: tabs that apps above crm add to the customer page
# --------------------------------------------------------------------------------------------------

# The payment plans (回款计划) of issue 16: crm's own tab (crm.selectors_customer360), between the
# orders and the payments tabs; the key is taken.
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
