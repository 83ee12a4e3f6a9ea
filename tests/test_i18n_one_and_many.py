"""Issue 15: one record and a list of them read differently in English. A column or a label names one
customer ("Customer"); the menu, a list page's heading and a tab name the list ("Customers"). The menu
wording has its own context in the catalogue, so the two cannot be confused again; Chinese is the same
word for both."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext


def _client(client_for, user, lang: str):  # type: ignore[no-untyped-def]
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client


def _flat(html: str) -> str:
    return re.sub(r"\s*<", "<", re.sub(r">\s*", ">", html))


def _menu(html: str) -> str:
    found = re.search(r"<aside.*?</aside>", html, re.S)
    assert found, "the page has its side menu"
    return _flat(found.group(0))


def test_a_column_names_one_customer_and_the_menu_the_list(org, client_for):  # type: ignore[no-untyped-def]
    # Given a manager reading the quote list, when the page is in English
    html = _client(client_for, org.manager_a, "en").get(reverse("crm:quote_list")).content.decode()
    # then the column for each row's customer is singular, the menu entry plural
    assert 'class="sort-link">Customer</a></th>' in _flat(html)
    assert ">Customers</a></th>" not in _flat(html)
    menu = _menu(html)
    for label in ("Customers", "Leads"):
        assert f">{label}<" in menu, label


def test_the_same_pages_in_chinese_use_one_word(org, client_for):  # type: ignore[no-untyped-def]
    html = _client(client_for, org.manager_a, "zh-hans").get(reverse("crm:quote_list")).content.decode()
    assert 'class="sort-link">客户</a></th>' in _flat(html)
    assert ">客户<" in _menu(html) and ">线索<" in _menu(html)
    body = _client(client_for, org.manager_a, "zh-hans").get(reverse("crm:customer_list")).content.decode()
    assert "<h1>客户</h1>" in body


def test_list_headings_name_the_list_in_english(org, client_for):  # type: ignore[no-untyped-def]
    client = _client(client_for, org.manager_a, "en")
    assert "<h1>Customers</h1>" in client.get(reverse("crm:customer_list")).content.decode()
    assert "<h1>Leads</h1>" in client.get(reverse("crm:lead_list")).content.decode()


@pytest.mark.parametrize(
    ("lang", "one", "many"), [("zh-hans", "客户", "客户"), ("en", "Customer", "Customers")]
)
def test_a_form_label_names_one_customer_the_admin_the_list(lang, one, many) -> None:  # type: ignore[no-untyped-def]
    from crm.models import Customer
    from crm.pipeline_forms import OpportunityForm

    with translation.override(lang):
        assert str(OpportunityForm.base_fields["customer"].label) == one
        assert str(Customer._meta.verbose_name) == one
        assert str(Customer._meta.verbose_name_plural) == many


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-hans", {"线索": ("线索", "线索"), "撞单": ("撞单", "撞单"), "实施单": ("实施单", "实施单")}),
        (
            "en",
            {
                "线索": ("Lead", "Leads"),
                "撞单": ("Collision", "Collisions"),
                "实施单": ("Implementation order", "Implementation orders"),
            },
        ),
    ],
)
def test_one_record_and_the_list_for_the_other_menu_words(lang, expected) -> None:  # type: ignore[no-untyped-def]
    with translation.override(lang):
        for msgid, (one, many) in expected.items():
            assert (gettext(msgid), pgettext("menu", msgid)) == (one, many)


def _tab_labels(html: str) -> list[str]:
    return re.findall(r'data-tab="[^"]+"[^>]*>([^<]+?) <span class="badge', html)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Quotes", "Orders", "Payment plans", "Payments", "Owner changes", "Attachments"]),
        ("zh-hans", ["报价单", "订单", "回款计划", "回款", "负责人变更", "附件"]),
    ],
)
def test_the_customer_pages_tabs_name_the_lists(org, client_for, lang, expected) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    # given a customer of the manager's team, when the manager opens its page
    customer = CustomerFactory(owner=org.rep_a1)
    html = (
        _client(client_for, org.manager_a, lang)
        .get(reverse("crm:customer_detail", args=[customer.pk]))
        .content.decode()
    )
    # then every tab names its list (plural in English), as the list pages do
    tabs = _tab_labels(html)
    for label in expected:
        assert label in tabs, (label, tabs)
    if lang == "en":
        assert not {"Quote", "Order", "Payment plan", "Payment", "Owner change", "Attachment"} & set(tabs)


@pytest.mark.parametrize(
    ("url_name", "who", "en", "zh"),
    [
        ("crm:quote_list", "manager_a", "Quotes", "报价单"),
        ("crm:order_list", "manager_a", "Orders", "订单"),
        ("crm:contract_list", "manager_a", "Contracts", "合同"),
        ("crm:contact_list", "manager_a", "Contacts", "联系人"),
        ("settlements:list", "finance", "Settlements", "结算单"),
        ("partners:partner_list", "admin", "Partners", "合伙人"),
    ],
)
def test_more_list_headings_name_the_list(org, client_for, url_name, who, en, zh) -> None:  # type: ignore[no-untyped-def]
    user = getattr(org, who)
    assert f"<h1>{en}</h1>" in _client(client_for, user, "en").get(reverse(url_name)).content.decode()
    assert f"<h1>{zh}</h1>" in _client(client_for, user, "zh-hans").get(reverse(url_name)).content.decode()
