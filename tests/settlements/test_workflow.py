"""S2: the approval chain — every legal step, every illegal one refused, reject returns to draft."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commissions.models import LineStatus
from common.errors import DomainError
from settlements.models import Settlement, SettlementStatus, SettlementStep
from settlements.services.generation import settlement_generate
from settlements.services.workflow import inbox_for, settlement_transition, settlement_transition_bulk
from tests.factories import UserFactory
from tests.settlements.factories import cline

pytestmark = pytest.mark.django_db
S = SettlementStatus


@pytest.fixture
def draft(org):
    import datetime as dt

    cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=dt.date(2026, 9, 1), by=org.finance)
    return Settlement.objects.get(payee_user=org.rep_a1)


def step(s, action, by, comment=""):
    return settlement_transition(settlement=s, action=action, by=by, comment=comment)


def test_each_legal_step_in_order_keeps_who_when_comment(org, draft):
    s = step(draft, "submit", org.finance)
    assert s.status == S.SUBMITTED
    s = step(s, "confirm", org.rep_a1, "核对无误")  # the payee reconciles their own statement
    assert s.status == S.SALES_REVIEW
    s = step(s, "approve", org.manager_a, "同意")
    assert s.status == S.FINANCE_CONFIRMATION
    s = step(s, "approve", org.finance, "金额无误")
    assert s.status == S.PRESIDENT_APPROVAL
    s = step(s, "approve", org.assistant, "同意发放")
    assert s.status == S.APPROVED
    line = s.lines.get().commission_line
    line.refresh_from_db()
    assert line.status == LineStatus.SETTLED
    trail = list(
        SettlementStep.objects.filter(settlement=s).values_list(
            "actor__username", "from_status", "to_status", "comment"
        )
    )
    assert trail == [
        ("finance", "draft", "submitted", ""),
        ("rep_a1", "submitted", "sales_review", "核对无误"),
        ("mgr_a", "sales_review", "finance_confirmation", "同意"),
        ("finance", "finance_confirmation", "president_approval", "金额无误"),
        ("assistant", "president_approval", "approved", "同意发放"),
    ]
    assert all(st.acted_at for st in SettlementStep.objects.filter(settlement=s))


def _to(s, org, status):
    chain = [
        ("submit", org.finance),
        ("confirm", org.finance),
        ("approve", org.manager_a),
        ("approve", org.finance),
        ("approve", org.president),
    ]
    order = [S.DRAFT, S.SUBMITTED, S.SALES_REVIEW, S.FINANCE_CONFIRMATION, S.PRESIDENT_APPROVAL, S.APPROVED]
    for action, by in chain[: order.index(status)]:
        s = step(s, action, by)
    return s


def refused(s, action, by, comment=""):
    with pytest.raises(DomainError) as exc:
        step(s, action, by, comment)
    s.refresh_from_db()
    return exc.value


def test_skipping_a_step_is_refused(org, draft):
    s = _to(draft, org, S.SUBMITTED)
    # the president cannot approve a settlement still waiting for reconciliation / sales review
    refused(s, "approve", org.president)
    assert s.status == S.SUBMITTED
    s = step(s, "confirm", org.finance)
    refused(s, "approve", org.president)  # still at sales review
    refused(s, "approve", org.finance)
    assert s.status == S.SALES_REVIEW
    assert SettlementStep.objects.filter(settlement=s).count() == 2


def test_nobody_approves_their_own_settlement(org):
    import datetime as dt

    cline(user=org.manager_a, amount="80.00")  # a manager is also a payee
    settlement_generate(month=dt.date(2026, 9, 1), by=org.finance)
    s = Settlement.objects.get(payee_user=org.manager_a)
    s = step(s, "submit", org.finance)
    s = step(s, "confirm", org.finance)
    err = refused(s, "approve", org.manager_a)
    assert "自己" in str(err.message)
    s = step(s, "approve", org.regional_manager)  # their own manager reviews instead
    assert s.status == S.FINANCE_CONFIRMATION


def test_same_person_cannot_sign_two_steps(org, draft):
    both = UserFactory(username="fin_mgr", roles=["finance", "sales_manager"])
    org.dept_a.manager = both
    org.dept_a.save()
    s = _to(draft, org, S.SALES_REVIEW)
    s = step(s, "approve", both)  # signs the sales review
    err = refused(s, "approve", both)  # and may not also confirm for finance
    assert "两个步骤" in str(err.message)
    assert s.status == S.FINANCE_CONFIRMATION
    s = step(s, "approve", org.finance)
    assert s.status == S.PRESIDENT_APPROVAL


def test_a_rep_cannot_approve_and_other_teams_manager_cannot_review(org, draft):
    s = _to(draft, org, S.SALES_REVIEW)
    refused(s, "approve", org.rep_a2)
    err = refused(s, "approve", org.manager_b)  # not their team
    assert "本团队" in str(err.message)
    refused(s, "approve", org.executive)
    assert s.status == S.SALES_REVIEW
    assert not SettlementStep.objects.filter(settlement=s, action="approve").exists()


def test_nothing_acts_on_a_locked_settlement(org, draft):
    s = _to(draft, org, S.APPROVED)
    for action, by in [
        ("reject", org.president),
        ("approve", org.president),
        ("submit", org.finance),
        ("pay", org.finance),
    ]:
        refused(s, action, by, "x")
    assert s.status == S.APPROVED
    assert s.line_total == Decimal("100.00")


def test_reject_returns_to_draft_with_reason_and_resets_signatures(org, draft):
    s = _to(draft, org, S.PRESIDENT_APPROVAL)
    err = refused(s, "reject", org.president, "")
    assert err.field == "comment"
    s = step(s, "reject", org.president, "提成比例有误，请核对")
    assert s.status == S.DRAFT and s.reject_reason == "提成比例有误，请核对"
    last = SettlementStep.objects.filter(settlement=s).last()
    assert (last.from_status, last.to_status, last.comment) == (
        "president_approval",
        "draft",
        "提成比例有误，请核对",
    )
    # after a fresh submission the same people sign again
    s = _to(Settlement.objects.get(pk=s.pk), org, S.APPROVED)
    assert s.status == S.APPROVED


def test_inbox_and_bulk_approve(org):
    import datetime as dt

    for u in (org.rep_a1, org.rep_a2, org.rep_b1):
        cline(user=u, amount="10.00")
    settlement_generate(month=dt.date(2026, 9, 1), by=org.finance)
    ids = []
    for s in Settlement.objects.all():
        s = step(s, "submit", org.finance)
        ids.append(step(s, "confirm", org.finance).pk)
    mine = {s.payee_user for s in inbox_for(user=org.manager_a)}
    assert mine == {org.rep_a1, org.rep_a2}
    result = settlement_transition_bulk(
        settlement_ids=ids, action="approve", by=org.manager_a, comment="批量"
    )
    assert len(result.done) == 2 and len(result.refused) == 1  # rep_b1 is not manager_a's team
    assert inbox_for(user=org.manager_a) == []
    assert {s.payee_user for s in inbox_for(user=org.finance) if s.status == S.FINANCE_CONFIRMATION} == {
        org.rep_a1,
        org.rep_a2,
    }
    assert inbox_for(user=org.rep_a1) == []
