"""Issue 15: the notes a month run writes on its lines — the executive's share of the account manager's
commission (P4, seed 002 第十条 2) and a key account's monthly advance (K5) — are stored in Chinese and
read in the reader's language on the line page, whatever language the run happened to run in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.utils import translation

from commissions.models import CommissionLine
from commissions.services.ledger_run import ledger_recalculate
from crm.models import Role
from partners.models import CreditRole
from tests.commissions.factories import booked, install_plan
from tests.commissions.test_money_exact import REG, shared_order
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
DEC = dt.date(2026, 12, 1)


def read(client, line: CommissionLine, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(f"/commissions/lines/{line.pk}/").content.decode()


def test_a_shared_lines_note_reads_in_each_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    install_plan("sales_progressive", role=Role.REP)
    install_plan("sales_progressive", role=Role.ACCOUNT_EXECUTIVE)
    rep, executive = org.rep_a1, org.executive
    shared_order(
        rep,
        "400000",
        dt.date(2026, 10, 5),
        [(rep, CreditRole.OWNER, "0.7"), (executive, CreditRole.EXECUTIVE, "0.3")],
    )
    with translation.override("en"):  # the run's own language does not decide what is stored
        ledger_recalculate(period=OCT)
    own = CommissionLine.objects.get(payee_user=rep, component="base")
    theirs = CommissionLine.objects.get(payee_user=executive, component="base")
    assert own.explanation["note"] == "本单提成 ¥18,000.00 由分成人共享，本人分得 70%"
    assert theirs.explanation["note"] == f"分得 {rep} 在本单提成 ¥18,000.00 的 30%（按其业绩档位计算）"
    client = client_for(executive)
    assert f"分得 {rep} 在本单提成 ¥18,000.00 的 30%（按其业绩档位计算）" in read(client, theirs, "zh-hans")
    english = read(client, theirs, "en")
    assert f"30% of the ¥18,000.00 commission {rep} earns on this order (in their sales bands)" in english
    assert "按其业绩档位计算" not in english
    english = read(client_for(rep), own, "en")
    assert "The order&#x27;s commission of ¥18,000.00 is shared; your part is 70%" in english


def test_a_key_account_advance_note_reads_in_each_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    install_plan("key_account", role=Role.REP)
    rep = org.rep_a1
    customer = CustomerFactory(owner=rep, key_account_class="strategic")
    make_order(
        owner=rep,
        customer=customer,
        lines=[(REG, D("1"), D("10000.25"))],
        booked_at=booked(dt.date(2026, 12, 3)),
    )
    with translation.override("en"):
        ledger_recalculate(period=DEC)
    advance = CommissionLine.objects.get(payee_user=rep, order__isnull=False)
    assert advance.explanation["note"] == "月度预发 80%（160.00），余额年终结算"
    client = client_for(rep)
    assert "月度预发 80%（160.00），余额年终结算" in read(client, advance, "zh-hans")
    assert "Monthly advance of 80% (160.00), balance settled at year end" in read(client, advance, "en")


def test_the_months_plan_rule_and_figures_read_in_words_on_the_line_page(org, client_for) -> None:  # type: ignore[no-untyped-def]
    from commissions.models import Departure, PeriodCalculation, SalesTarget

    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("150000"))], booked_at=booked(dt.date(2026, 10, 3)))
    SalesTarget.objects.create(user=rep, period=OCT, amount=D("200000"))
    Departure.objects.create(user=rep, left_on=dt.date(2026, 10, 20), reason="个人原因")
    ledger_recalculate(period=OCT)  # 75% of the target: 5,500 less 25% = 4,125
    calc = PeriodCalculation.objects.get(period=OCT, payee_user=rep)
    assert calc.result["notes"] == ["离职前未完成销售任务：完成率 75%，扣除未完成部分 25% 的提成 ¥1,375.00"]
    line = CommissionLine.objects.filter(payee_user=rep).order_by("id").first()
    client = client_for(rep)
    chinese = read(client, line, "zh-hans")
    assert "离职前未完成销售任务：完成率 75%，扣除未完成部分 25% 的提成 ¥1,375.00" in chinese
    english = read(client, line, "en")
    assert "离职前" not in english
    assert "Left before reaching the sales target: 75% achieved" in english
    # the whole-month table in money and percentages, not raw numbers: 100,000 × 3% = 3,000 × 75%
    assert "<h1>Commission line #" in english
    assert "¥100,000.00" in english and ">3%<" in english and "¥2,250.00" in english
    assert "100000.00" not in english and "0.03<" not in english


def test_a_band_the_calculator_words_reads_in_each_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    install_plan("grade_fixed_floating", role=Role.REP, grade="A")
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("100000"))], booked_at=booked(dt.date(2026, 10, 3)))
    with translation.override("en"):
        ledger_recalculate(period=OCT)
    line = CommissionLine.objects.get(payee_user=rep)
    assert line.amount == D("5000.00")  # grade A: 5% fixed, no floating without a target
    client = client_for(rep)
    assert "A级 固定提成" in read(client, line, "zh-hans")
    english = read(client, line, "en")
    assert "A级" not in english and "Grade A fixed commission" in english
