"""Issue 15 "business language": a commission line reads by its plan's name and its component's label
(never the id "base" or the plan code), with its rate in percent — on the statement, the line page and
in the API's `*_display` fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import CommissionLine, LineKind, LineStatus
from tests.commissions.factories import install_plan

pytestmark = pytest.mark.django_db

PLAN_NAME = "销售部销售提成方案（超额累进 + 目标奖励）"


@pytest.fixture
def line(org):  # type: ignore[no-untyped-def]
    plan = install_plan("sales_progressive")
    return CommissionLine.objects.create(
        payee_user=org.rep_a1,
        period=dt.date(2026, 9, 1),
        kind=LineKind.EARNED,
        status=LineStatus.PAYABLE,
        category="regular",
        base=Decimal("100000.00"),
        rate=Decimal("0.030000"),
        amount=Decimal("3000.00"),
        plan=plan,
        component="base",
        source_key="words:1",
    )


def test_the_statement_names_the_plan_and_the_component_in_words(client_for, org, line) -> None:  # type: ignore[no-untyped-def]
    html = client_for(org.rep_a1).get("/commissions/?period=2026-09").content.decode()
    assert f"{PLAN_NAME} · 基本提成（超额累进）" in html
    assert "sales_progressive ·" not in html and "· base<" not in html


def test_the_line_page_names_the_component_and_shows_the_rate_in_percent(client_for, org, line) -> None:  # type: ignore[no-untyped-def]
    html = client_for(org.rep_a1).get(f"/commissions/lines/{line.pk}/").content.decode()
    assert "方案组成：基本提成（超额累进）" in html
    assert "比例：3%" in html and "0.030000" not in html


def test_the_api_gives_words_beside_the_codes(api_for, org, line) -> None:  # type: ignore[no-untyped-def]
    body = api_for(org.rep_a1).get(f"/api/commissions/lines/{line.pk}/").json()
    assert (body["component"], body["component_display"]) == ("base", "基本提成（超额累进）")
    assert (body["plan_name"], body["kind_display"], body["status_display"]) == (PLAN_NAME, "提成", "可发放")
    assert (body["rate"], body["rate_percent"]) == ("0.030000", "3%")
    listed = api_for(org.rep_a1).get("/api/commissions/lines/?period=2026-09").json()["results"]
    assert [x["component_display"] for x in listed] == ["基本提成（超额累进）"]


def test_a_component_the_plan_does_not_name_shows_its_id_and_no_plan_shows_nothing(org, line) -> None:  # type: ignore[no-untyped-def]
    from commissions.words import line_component_label, percent

    line.component = "manual"
    assert line_component_label(line) == "manual"
    line.plan = None
    line.component = ""
    assert line_component_label(line) == ""
    assert (percent(Decimal("0.0125")), percent(None)) == ("1.25%", None)


def test_a_plan_in_words_names_the_categories_it_leaves_out(org, settings) -> None:  # type: ignore[no-untyped-def]
    from django.utils import translation

    from commissions.words import plan_words
    from tests.commissions.factories import plan_definition

    words = plan_words(plan_definition("sales_progressive"))
    assert "不计提成的类别：外包" in words and not any("outsourced" in w for w in words)
    with translation.override("en"):
        assert "Categories that earn no commission: Outsourced" in plan_words(
            plan_definition("sales_progressive")
        )
