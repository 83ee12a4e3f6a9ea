"""Issue 15: a contract's and a quote's status history reads in words ("Draft → In approval"), in the
reader's language, never as the status codes ("draft → in_review")."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from crm.services.approvals import authority_rules_seed_defaults
from tests.crm.factories import signed_contract

pytestmark = pytest.mark.django_db


def _history(html: str) -> list[str]:
    section = html[html.index('<ul class="timeline">') :]
    section = section[: section.index("</ul>")]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", li)).strip() for li in section.split("<li>")[1:]]


@pytest.mark.parametrize(
    ("lang", "moves"),
    [
        ("en", ["— → Draft", "Draft → In approval", "In approval → Signed"]),
        ("zh-hans", ["— → 草稿", "草稿 → 审批中", "审批中 → 已签约"]),
    ],
)
def test_a_contracts_history_reads_in_words(org, client_for, lang, moves) -> None:  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    contract = signed_contract(org.rep_a1, org.manager_a)
    client = client_for(org.rep_a1)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    rows = _history(client.get(reverse("crm:contract_detail", args=[contract.pk])).content.decode())
    for move in moves:
        assert any(move in row for row in rows), (move, rows)
    assert not any(code in " ".join(rows) for code in ("draft", "in_review", "signed"))


def _buttons(html: str) -> list[str]:
    form = html[html.index('<div class="actions">') :]
    form = form[: form.index("</div>")]
    return [re.sub(r"<[^>]+>", "", b).strip() for b in re.findall(r"<button[^>]*>.*?</button>", form)]


@pytest.mark.parametrize(
    ("lang", "owner_buttons", "manager_buttons"),
    [
        ("en", ["Start delivery"], ["Start delivery", "Terminate contract"]),
        ("zh-hans", ["开始执行"], ["开始执行", "终止合同"]),
    ],
)
def test_a_signed_contracts_buttons_say_what_they_do(
    org, client_for, lang, owner_buttons, manager_buttons
) -> None:  # type: ignore[no-untyped-def]
    # Given a signed contract; when its owner and the owner's manager open it
    authority_rules_seed_defaults()
    contract = signed_contract(org.rep_a1, org.manager_a)
    seen = {}
    for who in (org.rep_a1, org.manager_a):
        client = client_for(who)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        seen[who] = _buttons(client.get(reverse("crm:contract_detail", args=[contract.pk])).content.decode())
    # Then each button is a verb, not the status it leads to ("执行中", "已终止")
    assert seen[org.rep_a1] == owner_buttons
    assert seen[org.manager_a] == manager_buttons
