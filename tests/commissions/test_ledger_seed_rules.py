"""Issue 13 money rules through the ledger: the December run's annual target bonus (001 三.3, per person
and per partner) and annual true-up (001 第五条 2), the leaver's month (K11, 001 l.31) and the target gate
(001 l.120), with amounts worked out by hand."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal as D

from commissions.models import CommissionLine, Departure, LineKind, LineStatus, PeriodCalculation, SalesTarget
from commissions.services.ledger_run import ledger_recalculate
from crm.models import ProductCategory, Role
from partners.models import CreditRole, CreditShare, Partner, PartnerKind
from tests.commissions.factories import booked, install_plan, plan_definition
from tests.factories import make_order

MAR = dt.date(2026, 3, 1)
OCT = dt.date(2026, 10, 1)
DEC = dt.date(2026, 12, 1)
JAN1 = dt.date(2026, 1, 1)
REG = ProductCategory.REGULAR


def snapshot():
    return list(CommissionLine.objects.order_by("source_key").values_list("source_key", "amount", "status"))


def test_annual_target_bonus_booked_in_the_december_run(org):
    # Given the rep plan, ¥600,000 in March and ¥600,000 in December against an annual target of ¥1,000,000
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("600000"))], booked_at=booked(dt.date(2026, 3, 10)))
    make_order(owner=rep, lines=[(REG, D("1"), D("600000"))], booked_at=booked(dt.date(2026, 12, 10)))
    SalesTarget.objects.create(user=rep, period=JAN1, annual=True, amount=D("1000000"))
    # When March is run, no bonus (the target is the year's); when December is run, 120% → 2% of 1,200,000
    ledger_recalculate(period=MAR)
    assert sum(x.amount for x in CommissionLine.objects.filter(payee_user=rep)) == D("30000.00")
    ledger_recalculate(period=DEC)
    bonus = CommissionLine.objects.get(source_key__startswith="y:2026:")
    assert (bonus.period, bonus.payee_user_id, bonus.amount, bonus.status, bonus.kind) == (
        DEC,
        rep.pk,
        D("24000.00"),
        LineStatus.PAYABLE,
        LineKind.EARNED,
    )
    assert bonus.explanation["year_sales"] == "1200000.00" and bonus.explanation["attainment"] == "120%"
    # Then a second December run changes nothing
    before = snapshot()
    ledger_recalculate(period=DEC)
    assert snapshot() == before


def test_annual_target_for_a_partner(org):
    definition = copy.deepcopy(plan_definition("partner_rebate"))
    definition["components"].append(
        {
            "id": "year_target",
            "type": "target_bonus",
            "period": "year",
            "label": "年度目标奖励",
            "steps": [{"at_least": "1.00", "rate": "0.01"}],
        }
    )
    install_plan("partner_rebate", partner_kind=PartnerKind.ORDINARY, definition=definition)
    partner = Partner.objects.create(name="王合伙", kind=PartnerKind.ORDINARY)
    order = make_order(
        owner=org.rep_a1,
        lines=[("family_edu_ticket", D("5"), D("2000"))],
        booked_at=booked(dt.date(2026, 12, 5)),
        shares=[],
    )
    order.credit_shares.all().delete()
    CreditShare.objects.create(order=order, partner=partner, role=CreditRole.REFERRAL, share=D("1"))
    SalesTarget.objects.create(partner=partner, period=JAN1, annual=True, amount=D("10000"))
    ledger_recalculate(period=DEC)
    lines = {x.component: x.amount for x in CommissionLine.objects.filter(payee_partner=partner)}
    assert lines == {"rebate": D("3000.00"), "year_target": D("100.00")}  # 10,000 × 30%; 1% of 10,000


def test_annual_true_up_books_the_year_rounding(org):
    # Given the category plan (第五条 2) and ¥12,345.67 high-end in March and in December:
    # each month 8% = 987.6536 → 987.65; the year 24,691.34 × 8% = 1,975.3072 → 1,975.31
    install_plan("category_rates", role=Role.REP)
    rep = org.rep_a1
    for day in (dt.date(2026, 3, 10), dt.date(2026, 12, 10)):
        make_order(
            owner=rep, lines=[(ProductCategory.HIGH_END, D("1"), D("12345.67"))], booked_at=booked(day)
        )
    ledger_recalculate(period=MAR)
    ledger_recalculate(period=DEC)
    true_up = CommissionLine.objects.get(source_key__startswith="y:2026:")
    assert (true_up.kind, true_up.amount) == (LineKind.ADJUSTMENT, D("0.01"))
    assert true_up.explanation["booked"] == "1975.30"
    assert true_up.explanation["note"] == "年度提成 ¥1,975.31 − 本年已计提 ¥1,975.30 = ¥0.01"
    before = snapshot()
    ledger_recalculate(period=DEC)
    assert snapshot() == before


def test_leaver_month_deducts_the_unfinished_target(org):
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("150000"))], booked_at=booked(dt.date(2026, 10, 3)))
    SalesTarget.objects.create(user=rep, period=OCT, amount=D("200000"))
    ledger_recalculate(period=OCT)
    assert sum(x.amount for x in CommissionLine.objects.filter(payee_user=rep)) == D("5500.00")
    Departure.objects.create(user=rep, left_on=dt.date(2026, 10, 20), reason="个人原因")
    ledger_recalculate(period=OCT)
    # 75% of the target: 5,500 less 25% = 4,125
    assert sum(x.amount for x in CommissionLine.objects.filter(payee_user=rep)) == D("4125.00")
    calc = PeriodCalculation.objects.get(period=OCT, payee_user=rep)
    assert calc.result["notes"] == ["离职前未完成销售任务：完成率 75%，扣除未完成部分 25% 的提成 ¥1,375.00"]


def test_target_gate_pays_nothing_when_the_month_target_is_missed(org):
    install_plan("sales_bracket", role=Role.REP)
    rep = org.rep_a1
    make_order(owner=rep, lines=[(REG, D("1"), D("40000"))], booked_at=booked(dt.date(2026, 10, 3)))
    SalesTarget.objects.create(user=rep, period=OCT, amount=D("50000"))
    ledger_recalculate(period=OCT)
    assert sum(x.amount for x in CommissionLine.objects.filter(payee_user=rep)) == 0
    calc = PeriodCalculation.objects.get(period=OCT, payee_user=rep)
    assert calc.result["notes"] == ["未完成本月销售任务（完成率 80%），按方案不计算提成（原应得 ¥2,000.00）"]
