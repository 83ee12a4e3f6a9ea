"""Issue 15: an approval's title and the notifications about it are stored as words (message id and
arguments) and read in the reader's language — the same request reads in Chinese on a Chinese page and
in English on an English page, whoever submitted it in whatever language. Rows stored before read as
stored."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.deferred_text import words, words_json, words_text
from common.models import Notification
from crm.models import ApprovalRequest, ConcessionKind, QuoteStatus
from crm.services import quotes as quote_services
from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import priced_product, visited_customer

pytestmark = pytest.mark.django_db

CUSTOMER = "杭州云栖科技有限公司"


def submitted_quote(rep, *, language: str = "zh-hans"):  # type: ignore[no-untyped-def]
    """A ¥80.00 quote of a ¥100.00 list price sent for approval by a rep whose page is in `language`."""
    authority_rules_seed_defaults()
    priced_product("A", "100.00", "60.00")
    quote = quote_services.quote_create(
        by=rep,
        customer=visited_customer(rep, name=CUSTOMER),
        title="年度软件",
        lines=[{"product": "A", "quantity": "1", "quoted_price": "80.00"}],
    )
    with translation.override(language):
        quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    return quote


def english(client):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def zh_title(number: str) -> str:
    return f"报价 {number}（{CUSTOMER}）最低报价为标准价的 80%"


def en_title(number: str) -> str:
    return f"Quote {number} ({CUSTOMER}): lowest line at 80% of list price"


@pytest.mark.parametrize("submitted_in", ["zh-hans", "en"])
def test_the_same_approval_reads_in_each_readers_language(org, client_for, submitted_in) -> None:  # type: ignore[no-untyped-def]
    # given a quote sent for approval from a Chinese or an English page
    quote = submitted_quote(org.rep_a1, language=submitted_in)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    assert req.title == zh_title(quote.number)  # stored in Chinese whatever the submitter's page

    # when the manager opens the approvals centre and the request in Chinese, then in English
    client = client_for(org.manager_a)
    pages = [reverse("crm:approval_inbox") + "?tab=quotes", reverse("crm:approval_detail", args=[req.pk])]
    for url in pages:
        html = client.get(url).content.decode()
        assert zh_title(quote.number) in html and en_title(quote.number) not in html
    english(client)
    for url in pages:
        html = client.get(url).content.decode()
        assert en_title(quote.number) in html and zh_title(quote.number) not in html
    # the card's facts name one customer
    card = client.get(pages[0]).content.decode()
    assert "<dt" in card and ">Customer</dt>" in card and ">Customers</dt>" not in card


def test_the_managers_home_and_the_api_name_it_in_the_readers_language(org, client_for, api_for) -> None:  # type: ignore[no-untyped-def]
    quote = submitted_quote(org.rep_a1)
    home = english(client_for(org.manager_a)).get(reverse("home")).content.decode()
    assert en_title(quote.number) in home and zh_title(quote.number) not in home
    api = api_for(org.manager_a)
    assert [r["title"] for r in api.get("/api/approvals/inbox/?tab=quotes").data["results"]] == [
        zh_title(quote.number)
    ]
    rows = api.get("/api/approvals/inbox/?tab=quotes", HTTP_ACCEPT_LANGUAGE="en").data["results"]
    assert [r["title"] for r in rows] == [en_title(quote.number)]


def test_notifications_about_it_read_in_the_readers_language(
    org, client_for, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    # given the rep submits from an English page: the manager is told it is their turn
    with django_capture_on_commit_callbacks(execute=True):
        quote = submitted_quote(org.rep_a1, language="en")
    note = Notification.objects.get(user=org.manager_a)
    zh = f"待您审批：{zh_title(quote.number)}（{org.rep_a1} 提交）"
    assert note.text == zh  # e-mail and the admin keep the Chinese wording
    client = client_for(org.manager_a)
    assert zh in client.get(reverse("crm:notifications")).content.decode()
    html = english(client).get(reverse("crm:notifications")).content.decode()
    assert f"Awaiting your approval: {en_title(quote.number)} (submitted by {org.rep_a1})" in html
    assert "待您审批" not in html


def test_a_request_stored_before_reads_as_stored(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = submitted_quote(org.rep_a1)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    ApprovalRequest.objects.filter(pk=req.pk).update(title="旧的审批标题", title_words=None)
    html = (
        english(client_for(org.manager_a)).get(reverse("crm:approval_detail", args=[req.pk])).content.decode()
    )
    assert "旧的审批标题" in html


def test_words_translate_their_labels_and_survive_a_broken_entry() -> None:
    stored = words_json(words("%(kind)s %(rate)s", kind=ConcessionKind.CUSTOMER_REBATE.label, rate="5%"))
    assert stored == {"m": "%(kind)s %(rate)s", "a": {"kind": {"m": "客户佣金", "a": {}}, "rate": "5%"}}
    with translation.override("en"):
        assert words_text(stored) == "Customer commission 5%"
        # an argument the message no longer names: the stored text is shown rather than an error
        assert (
            words_text({"m": "待您审批：%(title)s（%(who)s 提交）", "a": {}}, fallback="旧文本") == "旧文本"
        )
    assert words_text(None, fallback="旧文本") == "旧文本"


def test_the_seeded_rule_reads_in_english_and_an_admins_rule_as_written(org, client_for) -> None:  # type: ignore[no-untyped-def]
    quote = submitted_quote(org.rep_a1)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    client = client_for(org.manager_a)
    url = reverse("crm:approval_detail", args=[req.pk])
    assert "报价≥标准价50%（5折）：部门/渠道经理" in client.get(url).content.decode()
    english(client)
    assert "Quote ≥ 50% of list price: department/channel manager" in client.get(url).content.decode()
    req.rule.name = "华东区特批"
    req.rule.save(update_fields=["name"])
    assert "华东区特批" in client.get(url).content.decode()


def test_the_cards_history_puts_a_decision_and_its_reason_the_readers_way(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given a request whose first step was approved with a reason and whose second waits for the manager
    from django.utils import timezone

    from crm.models import ApprovalStep, StepStatus

    quote = submitted_quote(org.rep_a1)
    req = ApprovalRequest.objects.get(kind="quote_discount", object_id=quote.pk)
    req.steps.update(
        status=StepStatus.APPROVED, decided_by=org.president, decided_at=timezone.now(), reason="会签"
    )
    ApprovalStep.objects.create(
        request=req, order=2, roles=",sales_manager,", assignee=org.manager_a, status=StepStatus.PENDING
    )
    ApprovalRequest.objects.filter(pk=req.pk).update(current_order=2)
    client = client_for(org.manager_a)
    url = reverse("crm:approval_inbox") + "?tab=quotes"
    assert "：会签" in client.get(url).content.decode()
    html = english(client).get(url).content.decode()
    assert ": 会签" in html and "：会签" not in html
