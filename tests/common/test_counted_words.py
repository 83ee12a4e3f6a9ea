"""Issue 15: a counted noun reads "1 line" and "2 lines" in English (ngettext), and the same Chinese
wording whatever the count: in stored words (an approval title, a perk's reason) and in the messages a
page says after a bulk action."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from common.deferred_text import (
    words,
    words_in_context,
    words_json,
    words_plural,
    words_stored_text,
    words_text,
)
from crm.models import ApprovalKind, ApprovalRequest
from crm.services import orders as order_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, signed_contract
from tests.factories import CustomerFactory

LINES = gettext_noop("订单 %(n)s 有 %(k)d 行低于最低价")


@pytest.mark.parametrize(
    ("count", "zh", "en"),
    [
        (1, "订单 SO-1 有 1 行低于最低价", "Order SO-1 has 1 line below the floor price"),
        (3, "订单 SO-1 有 3 行低于最低价", "Order SO-1 has 3 lines below the floor price"),
    ],
)
def test_stored_words_with_a_count_read_in_each_language(count, zh, en) -> None:  # type: ignore[no-untyped-def]
    stored = words_json(words_plural(LINES, LINES, "k", n="SO-1", k=count))
    assert stored == {"m": LINES, "p": LINES, "c": "k", "a": {"n": "SO-1", "k": count}}
    with translation.override("zh-hans"):
        assert words_text(stored) == zh
    with translation.override("en"):
        assert words_text(stored) == en
    assert words_stored_text(words_plural(LINES, LINES, "k", n="SO-1", k=count)) == zh


def test_the_count_must_be_a_whole_number() -> None:
    with pytest.raises(TypeError, match="count argument 'k'"):
        words_plural(LINES, LINES, "k", n="SO-1", k="1")


def _order_below_floor(org, prices: list[str]):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    priced_product("LIC", "1000.00", "700.00", name="软件许可")
    contract = signed_contract(org.rep_a1, org.manager_a, amount=Decimal("200000.00"))
    return order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[{"product": "LIC", "quantity": "1", "unit_price": p} for p in prices],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prices", "en_tail"),
    [(["600.00", "900.00"], "has 1 line below the floor price"), (["600.00", "650.00"], "has 2 lines below")],
)
def test_the_below_floor_approval_counts_its_lines(org, prices, en_tail) -> None:  # type: ignore[no-untyped-def]
    order = _order_below_floor(org, prices)
    req = ApprovalRequest.objects.get(kind=ApprovalKind.BELOW_FLOOR, object_id=order.pk)
    below = sum(1 for p in prices if Decimal(p) < Decimal("700.00"))
    assert req.title == f"订单 {order.number} 有 {below} 行低于最低价"
    with translation.override("en"):
        assert req.heading.startswith(f"Order {order.number} {en_tail}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "n", "said"),
    [
        ("zh-hans", 1, "已将 1 个客户释放到公海。"),
        ("en", 1, "Released 1 customer to the public pool."),
        ("en", 2, "Released 2 customers to the public pool."),
    ],
)
def test_a_bulk_release_says_how_many_customers(client_for, org, lang, n, said) -> None:  # type: ignore[no-untyped-def]
    ids = [CustomerFactory(owner=org.rep_a1, name=f"释放{i}").pk for i in range(n)]
    client = client_for(org.manager_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.post(
        reverse("crm:customer_bulk"), {"action": "release", "reason": "客户已倒闭", "ids": ids}
    )
    assert said in [str(m) for m in get_messages(response.wsgi_request)]


def test_words_with_a_message_context_read_that_contexts_english() -> None:
    # "报备" is the button "Register" and, in an opportunity's history, what happened: "Registered"
    registered = words_in_context("history", "报备")
    stored = words_json(registered)
    assert stored == {"m": "报备", "x": "history", "a": {}}
    with translation.override("en"):
        assert (words_text(stored), words_text(words_json(words("报备")))) == ("Registered", "Register")
    with translation.override("zh-hans"):
        assert words_text(stored) == "报备"
    assert words_stored_text(registered) == "报备"
