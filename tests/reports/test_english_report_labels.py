"""Issue 15: reports and homes read in the reader's language down to their data labels — stage names in
the funnel chart's data, the usage ranking's shortfalls and their punctuation — and a chart does not
repeat the heading of the card it sits in (its saved image keeps a meaningful name)."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.reports.world import THIS_MONTH, new_customers, opportunity, org_with_stages

pytestmark = pytest.mark.django_db

MONTH = f"{THIS_MONTH:%Y-%m}"


@pytest.fixture
def org():  # type: ignore[no-untyped-def]
    org = org_with_stages()
    opportunity(org.rep_a1, "lead", "1000.00")
    opportunity(org.rep_a1, "proposal", "10000.00")
    new_customers(org.rep_a1, 2)
    return org


def english(client):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chart_data(html: str, name: str) -> dict:
    found = re.search(rf'<script id="chart-data-{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found, name
    return json.loads(found.group(1))


def chart_div(html: str, name: str) -> str:
    found = re.search(rf'<div class="chart" id="chart-{name}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_the_funnel_charts_data_names_the_stages_in_the_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(org.manager_a)
    zh = chart_data(client.get(reverse("reports:funnel"), {"month": MONTH}).content.decode(), "funnel")
    en = chart_data(
        english(client).get(reverse("reports:funnel"), {"month": MONTH}).content.decode(), "funnel"
    )
    assert [i["name"] for i in zh["items"]][:2] == ["信息开发", "立项"]
    assert [i["name"] for i in en["items"]][:2] == ["Lead", "Qualified"]
    assert [i["value"] for i in en["items"]] == [i["value"] for i in zh["items"]]


def test_the_usage_shortfalls_read_in_english_with_english_punctuation(org, client_for, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REPORTS_USAGE_MIN_NEW_CUSTOMERS = 5
    settings.REPORTS_USAGE_MIN_NEW_OPPORTUNITIES = 3
    html = english(client_for(org.president)).get(reverse("reports:usage"), {"month": MONTH}).content.decode()
    # the rep with nothing this month: both shortfalls, in English, joined and bracketed the English way
    assert (
        f'{org.rep_a2} <span class="text-muted">{org.dept_a}</span> · 0 '
        '<span class="text-muted">(5 new customers short; 3 new opportunities short)</span>'
    ) in html
    assert "；" not in html and "（" not in html


def test_a_chart_in_a_headed_card_draws_no_title_of_its_own(org, client_for) -> None:  # type: ignore[no-untyped-def]
    home = client_for(org.manager_a).get("/").content.decode()
    # the card says "销售漏斗" and "本月合同金额排名": the charts under them say nothing more
    assert 'data-title=""' in chart_div(home, "funnel") and 'data-title=""' in chart_div(home, "ranking")
    # but the saved images are still named for what they show
    assert 'data-chart-save="chart-funnel" data-filename="销售漏斗.png"' in home
    assert 'data-chart-save="chart-ranking" data-filename="本月合同金额排名.png"' in home
    # a chart with no heading above it keeps its title (the rep's pipeline by stage)
    rep_home = client_for(org.rep_a1).get("/").content.decode()
    assert 'data-title="商机阶段金额"' in chart_div(rep_home, "pipeline")
