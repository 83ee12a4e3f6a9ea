"""S1/S3 generation: one draft per payee from payable lines; idempotent; late lines go to the next month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from commissions.models import LineKind, LineStatus
from settlements.models import Settlement, SettlementLine, SettlementStatus
from settlements.services.generation import settlement_generate
from settlements.services.payouts import payout_record
from settlements.services.workflow import settlement_transition
from tests.settlements.factories import cline, partner

SEP = dt.date(2026, 9, 1)
OCT = dt.date(2026, 10, 1)
pytestmark = pytest.mark.django_db


def approve_all(s, org):
    settlement_transition(settlement=s, action="submit", by=org.finance)
    settlement_transition(settlement=s, action="confirm", by=org.finance)
    settlement_transition(settlement=s, action="approve", by=org.manager_a)
    settlement_transition(settlement=s, action="approve", by=org.finance)
    return settlement_transition(settlement=s, action="approve", by=org.president)


def test_one_draft_per_payee_with_rebates_rewards_and_late_lines(org):
    # given lines for two payees, one from an earlier month (late), one pending and one next month
    cline(user=org.rep_a1, amount="100.00", period=SEP)
    cline(user=org.rep_a1, amount="50.00", period=dt.date(2026, 7, 1))  # rolled over
    cline(user=org.rep_a1, amount="300.00", kind=LineKind.REWARD, category="", base="0")
    cline(user=org.rep_a1, amount="999.00", status=LineStatus.PENDING)  # not collected yet
    cline(user=org.rep_a1, amount="77.00", period=OCT)  # a later month
    p = partner(region=org.region)
    cline(
        partner=p,
        kind=LineKind.REBATE,
        category="家庭教育门票",
        base="3960.00",
        amount="792.00",
        explanation={"quantity": "12", "unit_price": "330.00", "text": "返利 20%"},
    )
    # when
    result = settlement_generate(month=SEP, by=org.finance)
    # then
    assert result.created == 2 and result.lines_added == 4
    rep_s = Settlement.objects.get(payee_user=org.rep_a1, month=SEP)
    assert rep_s.status == SettlementStatus.DRAFT
    assert rep_s.commission_total == Decimal("150.00")
    assert rep_s.reward_total == Decimal("300.00")
    assert rep_s.line_total == Decimal("450.00")
    assert rep_s.payout_amount == Decimal("450.00")
    partner_s = Settlement.objects.get(payee_partner=p, month=SEP)
    line = partner_s.lines.get()
    assert (line.quantity, line.unit_price, line.amount, line.rebate) == (
        Decimal("12.00"),
        Decimal("330.00"),
        Decimal("3960.00"),
        Decimal("792.00"),
    )
    assert partner_s.rebate_total == Decimal("792.00")
    assert partner_s.payee_region == "华东大区"


def test_regenerating_a_draft_month_is_idempotent(org):
    cline(user=org.rep_a1, amount="100.00")
    cline(user=org.rep_a2, amount="200.00")
    settlement_generate(month=SEP, by=org.finance)
    before = list(SettlementLine.objects.order_by("id").values_list("id", "commission_line_id", "rebate"))
    # when it runs again (twice)
    again = settlement_generate(month=SEP, by=org.finance)
    settlement_generate(month=SEP, by=org.finance)
    # then nothing is added or duplicated
    assert again.created == 0 and again.lines_added == 0
    assert (
        list(SettlementLine.objects.order_by("id").values_list("id", "commission_line_id", "rebate"))
        == before
    )
    assert Settlement.objects.filter(month=SEP).count() == 2
    # and a new payable line joins the existing draft on the next run
    cline(user=org.rep_a1, amount="10.00")
    settlement_generate(month=SEP, by=org.finance)
    assert Settlement.objects.get(payee_user=org.rep_a1, month=SEP).line_total == Decimal("110.00")


def test_forfeited_line_leaves_the_draft_on_regeneration(org):
    keep = cline(user=org.rep_a1, amount="100.00")
    gone = cline(user=org.rep_a1, amount="40.00")
    settlement_generate(month=SEP, by=org.finance)
    gone.status = LineStatus.FORFEITED
    gone.save()
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1, month=SEP)
    assert list(s.lines.values_list("commission_line_id", flat=True)) == [keep.pk]
    assert s.line_total == Decimal("100.00")


def test_line_arriving_after_approval_goes_to_next_open_month(org):
    cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=SEP, by=org.finance)
    s = approve_all(Settlement.objects.get(payee_user=org.rep_a1), org)
    late = cline(user=org.rep_a1, amount="25.00", period=SEP)  # arrives after the lock
    # when September is regenerated, the locked settlement does not change
    result = settlement_generate(month=SEP, by=org.finance)
    assert result.skipped_payees == 1
    s.refresh_from_db()
    assert s.line_total == Decimal("100.00") and s.lines.count() == 1
    # and October takes the late line
    settlement_generate(month=OCT, by=org.finance)
    oct_s = Settlement.objects.get(payee_user=org.rep_a1, month=OCT)
    assert list(oct_s.lines.values_list("commission_line_id", flat=True)) == [late.pk]


def test_clawback_after_payout_is_a_negative_line_next_month_and_debt_carries(org):
    original = cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=SEP, by=org.finance)
    s = approve_all(Settlement.objects.get(payee_user=org.rep_a1), org)
    payout_record(settlement=s, by=org.finance, paid_on=dt.date(2026, 10, 15), bank_reference="BK001")
    original.refresh_from_db()
    assert original.status == LineStatus.PAID
    # K10: the refund after payout creates a negative ledger line in the next open period
    claw = cline(user=org.rep_a1, amount="-130.00", kind=LineKind.CLAWBACK, period=OCT, corrects=original)
    settlement_generate(month=OCT, by=org.finance)
    oct_s = Settlement.objects.get(payee_user=org.rep_a1, month=OCT)
    line = oct_s.lines.get()
    assert line.commission_line_id == claw.pk and line.rebate == Decimal("-130.00")
    assert line.corrects == SettlementLine.objects.get(commission_line=original)
    assert oct_s.deduction_total == Decimal("-130.00")
    assert oct_s.current_balance == Decimal("-130.00") and oct_s.payout_amount == Decimal("0.00")
    # the paid month is untouched
    s.refresh_from_db()
    assert s.status == SettlementStatus.PAID and s.line_total == Decimal("100.00")
    # the debt is carried into November as the prior balance
    cline(user=org.rep_a1, amount="200.00", period=dt.date(2026, 11, 1))
    settlement_generate(month=dt.date(2026, 11, 1), by=org.finance)
    nov = Settlement.objects.get(payee_user=org.rep_a1, month=dt.date(2026, 11, 1))
    assert (nov.prior_balance, nov.current_balance, nov.payout_amount) == (
        Decimal("-130.00"),
        Decimal("70.00"),
        Decimal("70.00"),
    )


def test_no_line_is_ever_in_two_settlements(org):
    cline(user=org.rep_a1, amount="100.00", period=SEP)
    settlement_generate(month=SEP, by=org.finance)
    settlement_generate(month=OCT, by=org.finance)  # October must not take September's line again
    assert SettlementLine.objects.count() == 1
    assert not Settlement.objects.filter(month=OCT).exists()


def test_late_line_deferred_by_finance_rolls_into_next_month(org, client_for, api_for):
    from common.errors import DomainError
    from settlements.services.generation import settlement_line_defer

    cline(user=org.rep_a1, amount="100.00")
    late = cline(user=org.rep_a1, amount="30.00")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1, month=SEP)
    line = s.lines.get(commission_line=late)
    with pytest.raises(DomainError):
        settlement_line_defer(line=line, by=org.manager_a, reason="资料未交")
    r = client_for(org.finance).post(f"/settlements/{s.pk}/lines/{line.pk}/defer/", {"reason": ""})
    assert r.status_code == 400 and s.lines.count() == 2
    r = api_for(org.finance).post(
        f"/api/settlements/settlements/{s.pk}/defer/", {"line": line.pk, "reason": "发票未到"}, format="json"
    )
    assert r.status_code == 200 and r.json()["line_total"] == "100.00"
    settlement_generate(month=SEP, by=org.finance)  # regeneration does not pull it back
    s.refresh_from_db()
    assert s.line_total == Decimal("100.00") and s.lines.count() == 1
    settlement_generate(month=OCT, by=org.finance)
    oct_s = Settlement.objects.get(payee_user=org.rep_a1, month=OCT)
    assert list(oct_s.lines.values_list("commission_line_id", flat=True)) == [late.pk]
