"""Issue 15: full-width brackets belong to the Chinese wording. A page read in English shows
"Sales manager Wang (awaiting their approval)", never "…（awaiting their approval）"; the same page in
Chinese keeps "销售部经理 王经理（待其审批）"."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from crm.models import ApprovalRequest
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, visited_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# a full-width bracket next to a Latin letter or a figure: English (or an amount) dressed in Chinese brackets
FULL_WIDTH_AROUND_ENGLISH = re.compile(r"（\s*[A-Za-z¥0-9]|[A-Za-z%.]\s*）")


def pages(client, urls: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    return [client.get(url).content.decode() for url in urls]


def test_quote_approval_and_product_pages_bracket_english_the_english_way(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given a ¥80.00 quote of a ¥100.00 product (floor ¥60.00) awaiting the manager, and a rebate awaiting
    # the president
    authority_rules_seed_defaults()
    product = priced_product("A", "100.00", "60.00")
    quote = quote_services.quote_create(
        by=org.rep_a1,
        customer=visited_customer(org.rep_a1, name="杭州云栖科技有限公司"),
        title="年度软件",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "80.00"}],
    )
    client = client_for(org.rep_a1)
    client.post(reverse("crm:quote_transition", args=[quote.pk]), {"to": "pending"})
    client.post(
        reverse("crm:concession_create"),
        {
            "kind": "customer_rebate",
            "customer": CustomerFactory(owner=org.rep_a1).pk,
            "ratio": "0.12",
            "reason": "年度大单返点",
        },
    )
    rebate = ApprovalRequest.objects.get(kind="customer_rebate")
    urls = [
        reverse("crm:quote_detail", args=[quote.pk]),
        reverse("crm:approval_detail", args=[rebate.pk]),
        reverse("crm:product_detail", args=[product.pk]),
    ]

    # when the rep reads them in Chinese: the brackets are full-width, as before
    quote_zh, rebate_zh, product_zh = pages(client, urls)
    assert f'<strong class="approval-next">销售部经理 {org.manager_a}（待其审批）</strong>' in quote_zh
    assert "合计（整单折扣 20%）" in quote_zh
    assert f"总裁 {org.president}（下一步由其审批）" in rebate_zh
    assert "¥100.00（最低价 ¥60.00）" in product_zh

    # when the rep reads them in English: ASCII brackets, no full-width bracket around an English word
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    quote_en, rebate_en, product_en = pages(client, urls)
    assert f"{org.manager_a} (awaiting their approval)</strong>" in quote_en
    assert "Total (overall discount 20%)" in quote_en
    assert "Quote ≥ 50% of list price: department/channel manager" in quote_en  # the rule, read in English
    assert f"{org.president} (Next approver)" in rebate_en
    assert "¥100.00 (floor price ¥60.00)" in product_en
    for html in (quote_en, rebate_en, product_en):
        assert FULL_WIDTH_AROUND_ENGLISH.findall(html) == []
        assert "待其审批" not in html and "下一步由其审批" not in html
