"""Issue 15: the commission line a dispute's adjustment writes ("异议调整：…", "2026-09 结算异议经 … 核实调整
¥20.00，计入 2026-10") is stored in Chinese and read in the reader's language on the line's page and in
the API, whatever the language of the manager who answered; the manager's answer reads as typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from settlements.services.disputes import dispute_create, dispute_resolve
from tests.settlements.test_disputes import lock, settlement  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def read(client, url: str, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


def test_a_dispute_adjustment_reads_in_each_readers_language(org, settlement, client_for, api_for) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # given the manager, working in English, adjusts a locked September settlement by ¥20
    s = lock(settlement, org)
    line = s.lines.order_by("id").first()
    d = dispute_create(line=line, by=org.rep_a1, reason="少算了20元", today=dt.date(2026, 10, 2))
    with translation.override("en"):
        d = dispute_resolve(
            dispute=d, by=org.manager_a, outcome="adjusted", answer="核实属实", amount=Decimal("20.00")
        )
    adj = d.adjustment_line
    zh_note = f"2026-09 结算异议经 {org.manager_a} 核实调整 ¥20.00，计入 2026-10"
    assert (adj.reason, adj.explanation["note"]) == ("异议调整：核实属实", zh_note)  # stored in Chinese
    # when the payee reads the line's page in Chinese, then in English
    client, url = client_for(org.rep_a1), reverse("commissions:line_detail", args=[adj.pk])
    chinese = read(client, url, "zh-hans")
    assert "异议调整：核实属实" in chinese and zh_note in chinese
    english = read(client, url, "en")
    en_note = (
        f"Dispute on the 2026-09 settlement checked by {org.manager_a}: adjusted by ¥20.00, booked in 2026-10"
    )
    assert "Dispute adjustment: 核实属实" in english and en_note in english
    assert "异议调整" not in english and "结算异议经" not in english
    # and the API reads the same
    api = api_for(org.rep_a1)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = api.get(f"/api/commissions/lines/{adj.pk}/").json()
    assert data["reason"] == "Dispute adjustment: 核实属实"
    assert {"label": "Note", "value": en_note} in data["explanation_text"]
