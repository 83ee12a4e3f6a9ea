"""S7: disputes until N working days before payout (PRC calendar); the manager's outcome is recorded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import CommissionLine, LineKind, LineStatus
from common.errors import DomainError
from settlements.models import DisputeOutcome, DisputeStatus, Settlement, SettlementPolicy
from settlements.policy import month_calendar
from settlements.services.disputes import dispute_create, dispute_resolve
from settlements.services.generation import settlement_generate
from settlements.services.workflow import settlement_transition
from tests.settlements.factories import cline

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)
OCT = dt.date(2026, 10, 1)


@pytest.fixture
def settlement(org):
    SettlementPolicy.objects.all().delete()
    SettlementPolicy.objects.create(effective_from=dt.date(2026, 1, 1), payout_day=12, dispute_workdays=3)
    cline(user=org.rep_a1, amount="100.00")
    cline(user=org.rep_a1, amount="60.00")
    settlement_generate(month=SEP, by=org.finance)
    return Settlement.objects.get(payee_user=org.rep_a1)


def lock(s, org):
    for action, by in [
        ("submit", org.finance),
        ("confirm", org.rep_a1),
        ("approve", org.manager_a),
        ("approve", org.finance),
        ("approve", org.vp),
    ]:
        s = settlement_transition(settlement=s, action=action, by=by)
    return s


def test_deadline_counts_working_days_across_the_national_day_holiday(org, settlement):
    # payout Mon 12 Oct 2026; 3 working days back: Sat 10 Oct (adjusted workday), Fri 9, Thu 8 Oct
    cal = month_calendar(SEP)
    assert cal.payout_date == dt.date(2026, 10, 12)
    assert cal.dispute_deadline == dt.date(2026, 10, 8)  # Mon–Fri counting would say 7 Oct
    line = settlement.lines.first()
    d = dispute_create(
        line=line, by=org.rep_a1, reason="订单已全额回款，比例应为8%", today=dt.date(2026, 10, 8)
    )
    assert d.status == DisputeStatus.OPEN
    other = settlement.lines.exclude(pk=line.pk).get()
    with pytest.raises(DomainError) as exc:
        dispute_create(line=other, by=org.rep_a1, reason="晚了", today=dt.date(2026, 10, 9))
    assert exc.value.code == "dispute_closed"
    assert other.disputes.count() == 0


def test_only_the_payee_disputes_and_reason_is_required(org, settlement):
    line = settlement.lines.first()
    with pytest.raises(DomainError):
        dispute_create(line=line, by=org.rep_a2, reason="不是我的", today=dt.date(2026, 10, 1))
    with pytest.raises(DomainError) as exc:
        dispute_create(line=line, by=org.rep_a1, reason="  ", today=dt.date(2026, 10, 1))
    assert exc.value.field == "reason"
    assert line.disputes.count() == 0


def test_adjusted_outcome_on_a_locked_settlement_lands_next_month(org, settlement):
    s = lock(settlement, org)
    line = s.lines.order_by("id").first()
    d = dispute_create(line=line, by=org.rep_a1, reason="少算了20元", today=dt.date(2026, 10, 2))
    with pytest.raises(DomainError):
        dispute_resolve(dispute=d, by=org.rep_a1, outcome="adjusted", answer="自己批", amount=Decimal("20"))
    with pytest.raises(DomainError):
        dispute_resolve(
            dispute=d, by=org.manager_b, outcome="adjusted", answer="别的团队", amount=Decimal("20")
        )
    d = dispute_resolve(
        dispute=d, by=org.manager_a, outcome="adjusted", answer="核实属实", amount=Decimal("20.00")
    )
    assert (d.status, d.outcome, d.adjustment_amount) == (
        DisputeStatus.RESOLVED,
        "adjusted",
        Decimal("20.00"),
    )
    adj = d.adjustment_line
    assert (adj.kind, adj.status, adj.period, adj.amount, adj.corrects_id) == (
        LineKind.ADJUSTMENT,
        LineStatus.PAYABLE,
        OCT,
        Decimal("20.00"),
        line.commission_line_id,
    )
    s.refresh_from_db()
    assert s.line_total == Decimal("160.00")  # the locked month did not change
    settlement_generate(month=OCT, by=org.finance)
    oct_line = Settlement.objects.get(payee_user=org.rep_a1, month=OCT).lines.get()
    assert (oct_line.rebate, oct_line.corrects_id, oct_line.kind) == (Decimal("20.00"), line.pk, "adjustment")


def test_kept_outcome_creates_no_adjustment(org, settlement):
    line = settlement.lines.first()
    d = dispute_create(line=line, by=org.rep_a1, reason="比例不对", today=dt.date(2026, 10, 1))
    d = dispute_resolve(dispute=d, by=org.manager_a, outcome=DisputeOutcome.KEPT, answer="按方案K4计算无误")
    assert d.outcome == "kept" and d.adjustment_line is None
    assert not CommissionLine.objects.filter(kind=LineKind.ADJUSTMENT).exists()
    with pytest.raises(DomainError):
        dispute_resolve(dispute=d, by=org.manager_a, outcome="kept", answer="再答一次")


def test_adjustment_on_a_draft_joins_that_draft(org, settlement):
    line = settlement.lines.first()
    d = dispute_create(line=line, by=org.rep_a1, reason="多算了", today=dt.date(2026, 10, 1))
    dispute_resolve(
        dispute=d, by=org.manager_a, outcome="adjusted", answer="扣回10元", amount=Decimal("-10.00")
    )
    settlement.refresh_from_db()
    assert settlement.line_total == Decimal("150.00")
    assert settlement.deduction_total == Decimal("-10.00")
    assert settlement.lines.get(kind="adjustment").corrects_id == line.pk
