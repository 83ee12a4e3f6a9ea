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
