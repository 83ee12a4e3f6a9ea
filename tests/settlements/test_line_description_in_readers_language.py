"""Issue 15: a settlement line's 说明 (the kind of money, a sales champion's award and its explanation)
reads in the reader's language — on the settlement page, in the API and in the Excel sheet — whoever
generated the settlement and in whatever language; the stored 说明 stays the Chinese wording, and a line
written before reads as stored."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from openpyxl import load_workbook

from commissions.models import CommissionLine, LineKind
from commissions.services.periods import commission_period_close
from commissions.services.rewards import champions_book_due
from settlements.export import export_settlements
from settlements.models import Settlement, SettlementLine
from settlements.services.generation import settlement_generate
from tests.commissions.reward_helpers import make_partner, partner_sale

pytestmark = pytest.mark.django_db

ZH = "奖励 2026年10月月销售冠军奖：销售额 ¥12,000.00，排名第一，奖金 ¥300.00"
EN = "Reward 10/2026 monthly sales champion: sales ¥12,000.00, ranked first, prize ¥300.00"


@pytest.fixture
def champion_line(org) -> SettlementLine:  # type: ignore[no-untyped-def]
    # given partner 甲, October's sales champion (¥12,000 against ¥8,000), its ¥300 award booked
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region)
    partner_sale(a, owner=org.rep_a1, amount="12000.00", on=dt.date(2026, 10, 5))
    partner_sale(b, owner=org.rep_a1, amount="8000.00", on=dt.date(2026, 10, 31))
    commission_period_close(period=dt.date(2026, 10, 1))
    champions_book_due(today=dt.date(2026, 11, 12))
    reward = CommissionLine.objects.get(kind=LineKind.REWARD)
    # when finance, reading in English, generates the month's settlements
    with translation.override("en"):
        settlement_generate(month=reward.period, by=org.finance)
    return SettlementLine.objects.get(commission_line=reward)


def test_the_stored_description_is_the_chinese_wording_whoever_generated_it(champion_line) -> None:  # type: ignore[no-untyped-def]
    assert champion_line.description == ZH
    with translation.override("zh-hans"):
        assert champion_line.description_text == ZH
    with translation.override("en"):
        assert champion_line.description_text == EN


def test_the_settlement_page_and_api_read_in_the_readers_language(
    org, client_for, api_for, champion_line
) -> None:  # type: ignore[no-untyped-def]
    url = reverse("settlements:detail", args=[champion_line.settlement_id])
    client = client_for(org.finance)
    assert f"<summary>{escape(ZH)}</summary>" in client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url).content.decode()
    assert f"<summary>{escape(EN)}</summary>" in html and "月销售冠军奖" not in html
    api = api_for(org.finance)
    lines_url = f"/api/settlements/settlements/{champion_line.settlement_id}/lines/"
    assert [x["description"] for x in api.get(lines_url, HTTP_ACCEPT_LANGUAGE="en").json()] == [EN]
    assert [x["description"] for x in api.get(lines_url).json()] == [ZH]


@pytest.mark.parametrize(("lang", "expected"), [("zh-hans", ZH), ("en", EN)])
def test_the_excel_sheet_reads_in_the_exporters_language(champion_line, lang, expected) -> None:  # type: ignore[no-untyped-def]
    s = Settlement.objects.get(pk=champion_line.settlement_id)
    buf = io.BytesIO()
    with translation.override(lang):
        export_settlements(Settlement.objects.filter(pk=s.pk), buf, month=s.month)
    buf.seek(0)
    sheet = load_workbook(buf).worksheets[1]
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert expected in cells


def test_a_line_written_before_reads_as_stored(champion_line) -> None:  # type: ignore[no-untyped-def]
    SettlementLine.objects.filter(pk=champion_line.pk).update(
        description="奖励 月销售冠军奖", description_words=None
    )
    champion_line.refresh_from_db()
    with translation.override("en"):
        assert champion_line.description_text == "奖励 月销售冠军奖"


def test_the_lines_details_name_the_award_and_its_figures_in_words(org, client_for, champion_line) -> None:  # type: ignore[no-untyped-def]
    client = client_for(org.finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("settlements:detail", args=[champion_line.settlement_id])).content.decode()
    # the component by its title and the award's figures by their labels, money as money
    assert "Plan component: monthly sales champion" in html
    for row in ("Period judged: 2026-10", "Sales: ¥12,000.00", "Tied for first: 1", "Total prize: ¥300.00"):
        assert f"<li>{row}</li>" in html, row
    # never the ledger's keys or codes
    for code in ("champion_month", "text_words", "reason_words", "period_kind", "prize：", "{&#x27;m&#x27;"):
        assert code not in html, code
