"""Issue 12 points 5 and 6, with ledger lines made by the commission engine (orders, credit shares):
the S5 columns in a month with a clawback, and a dispute answered "adjusted" through the page and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from unittest import mock

import pytest

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.periods import commission_period_close
from common.models import Notification
from crm.models import OrderLine, ProductCategory, Role
from settlements.models import Dispute, DisputeOutcome, DisputeStatus, Settlement
from settlements.services.generation import settlement_generate
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import make_order

pytestmark = pytest.mark.django_db
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
REG = ProductCategory.REGULAR


def _paid_out(period):
    CommissionLine.objects.filter(period=period, status=LineStatus.PAYABLE).update(status=LineStatus.PAID)
    commission_period_close(period=period)


def test_settlement_columns_each_mean_one_thing_in_a_month_with_a_clawback(org):
    install_plan("category_rates", role=Role.REP)
    rep = org.rep_a1
    october = make_order(
        owner=rep, lines=[(REG, D("1"), D("100000"))], booked_at=booked(dt.date(2026, 10, 5))
    )
    pay(october, "100000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)  # 100,000 × 5% = 5,000, paid with October
    _paid_out(OCT)
    # November: a ¥20,000 regular order, and one of ¥10,000 regular + ¥10,000 sourced (cost ¥6,000)
    plain = make_order(owner=rep, lines=[(REG, D("1"), D("20000"))], booked_at=booked(dt.date(2026, 11, 5)))
    mixed = make_order(owner=rep, lines=[(REG, D("1"), D("10000"))], booked_at=booked(dt.date(2026, 11, 6)))
    OrderLine.objects.create(
        order=mixed,
        product="外调件",
        category=ProductCategory.SOURCED,
        quantity=D("1"),
        list_price=D("10000"),
        unit_price=D("10000"),
        unit_cost=D("6000"),
    )
    mixed.total = mixed.recompute_total()
    mixed.save(update_fields=["total"])
    pay(plain, "20000", dt.date(2026, 11, 7), org.finance)
    pay(mixed, "20000", dt.date(2026, 11, 7), org.finance)
    pay(october, "-30000", dt.date(2026, 11, 8), org.finance)  # 30% of October's order returned
    ledger_recalculate(period=NOV)
    settlement_generate(month=NOV, by=org.finance)
    s = Settlement.objects.get(payee_user=rep, month=NOV)
    # 提成: 1,000 + 500 + 400 (10% of the 4,000 margin) = 1,900 gross; 扣减: −1,500 (30% of 5,000)
    assert (s.commission_total, s.deduction_total) == (D("1900.00"), D("-1500.00"))
    # 签约金额 and 售出金额: November's contracts and sales, each order once — the clawback re-counts nothing
    assert (s.signed_total, s.sold_total) == (D("40000.00"), D("40000.00"))
    assert s.line_total == D("400.00") == s.commission_total + s.deduction_total
    claw = s.lines.get(kind=LineKind.CLAWBACK)
    assert (claw.rebate, claw.amount, claw.signed_amount) == (D("-1500.00"), D("0.00"), D("0.00"))
    assert sum(x.rebate for x in s.lines.all()) == s.line_total


@pytest.fixture
def disputed(org):
    """An engine-made line (an order with its credit share) in October's settlement, disputed by the rep."""
    install_plan("category_rates", role=Role.REP)
    rep = org.rep_a1
    order = make_order(owner=rep, lines=[(REG, D("1"), D("2000"))], booked_at=booked(dt.date(2026, 10, 5)))
    pay(order, "2000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    settlement_generate(month=OCT, by=org.finance)
    s = Settlement.objects.get(payee_user=rep, month=OCT)
    line = s.lines.get()
    assert line.commission_line.credit_share_id is not None
    with mock.patch("settlements.services.disputes.local_today", return_value=dt.date(2026, 10, 1)):
        from settlements.services.disputes import dispute_create

        dispute = dispute_create(line=line, by=rep, reason="少算了 20 元")
    return s, dispute


def _check_adjusted(org, s, dispute, amount):
    dispute.refresh_from_db()
    assert (dispute.status, dispute.outcome, dispute.adjustment_amount) == (
        DisputeStatus.RESOLVED,
        DisputeOutcome.ADJUSTED,
        D(amount),
    )
    adj = dispute.adjustment_line
    assert (adj.kind, adj.amount, adj.period) == (LineKind.ADJUSTMENT, D(amount), OCT)
    assert adj.corrects_id == dispute.line.commission_line_id
    assert adj.credit_share_id == dispute.line.commission_line.credit_share_id
    assert "核实调整" in adj.explanation["note"]
    s.refresh_from_db()
    assert s.line_total == D("100.00") + D(amount)  # the draft took the adjustment at once
    note = Notification.objects.get(user=org.rep_a1)
    assert "异议已处理" in note.text and f"¥{D(amount):,.2f}" in note.text


def test_dispute_answered_adjusted_through_the_page(org, disputed, client_for):
    s, dispute = disputed
    r = client_for(org.manager_a).post(
        f"/settlements/{s.pk}/disputes/{dispute.pk}/resolve/",
        {"outcome": "adjusted", "answer": "核实少算", "amount": "20.00"},
    )
    assert r.status_code == 302
    _check_adjusted(org, s, dispute, "20.00")


def test_dispute_answered_adjusted_through_the_api(org, disputed, api_for):
    s, dispute = disputed
    r = api_for(org.manager_a).post(
        f"/api/settlements/disputes/{dispute.pk}/resolve/",
        {"outcome": "adjusted", "answer": "核实少算", "amount": "-5.00"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.data["outcome"] == "adjusted"
    _check_adjusted(org, s, dispute, "-5.00")
    assert Dispute.objects.get().status == DisputeStatus.RESOLVED
