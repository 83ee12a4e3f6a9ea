"""L2/L3: configurable funnel, registration evidence, won/lost within 1 PRC working day, manager
confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.errors import DomainError
from crm.models import Opportunity, PipelineStage
from crm.services import opportunities as opp_services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _stages(db):  # type: ignore[no-untyped-def]
    opp_services.stages_seed_defaults()


def _opp(rep):  # type: ignore[no-untyped-def]
    return opp_services.opportunity_create(
        by=rep, customer=CustomerFactory(owner=rep), name="ERP项目", amount="120000.50", competitors="用友"
    )


def test_registration_time_kept_and_history(rep):  # type: ignore[no-untyped-def]
    opp = _opp(rep)
    assert opp.registered_at is not None
    assert opp.amount == Decimal("120000.50")
    opp_services.opportunity_transition(opportunity=opp, to="qualified", by=rep)
    assert list(opp.stage_changes.order_by("id").values_list("to_stage", flat=True)) == ["lead", "qualified"]


def test_stage_table_is_configurable(rep):  # type: ignore[no-untyped-def]
    PipelineStage.objects.create(code="poc", name="试点验证", position=35)
    opp = _opp(rep)
    opp_services.opportunity_transition(opportunity=opp, to="poc", by=rep)
    assert Opportunity.objects.get(pk=opp.pk).stage == "poc"
    with pytest.raises(DomainError):
        opp_services.opportunity_transition(opportunity=opp, to="nonsense", by=rep)


def test_opportunity_for_someone_elses_customer_refused(rep, other_rep):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError):
        opp_services.opportunity_create(by=rep, customer=CustomerFactory(owner=other_rep), name="X")


@pytest.mark.parametrize(
    ("outcome", "today", "ok"),
    [
        (dt.date(2025, 1, 3), dt.date(2025, 1, 6), True),  # Friday → next working day is Monday
        (dt.date(2025, 1, 3), dt.date(2025, 1, 7), False),
        (dt.date(2024, 9, 30), dt.date(2024, 10, 8), True),  # National Day holidays are not working days
        (dt.date(2024, 9, 30), dt.date(2024, 10, 9), False),
    ],
)
def test_won_must_close_within_one_working_day(rep, outcome, today, ok):  # type: ignore[no-untyped-def]
    opp = _opp(rep)
    if ok:
        opp_services.opportunity_transition(
            opportunity=opp, to="won", by=rep, outcome_on=outcome, today=today
        )
        opp.refresh_from_db()
        assert (opp.stage, opp.outcome_on) == ("won", outcome)
        assert opp.closed_at is not None
    else:
        with pytest.raises(DomainError) as exc:
            opp_services.opportunity_transition(
                opportunity=opp, to="won", by=rep, outcome_on=outcome, today=today
            )
        assert exc.value.code == "close_too_late"


def test_lost_needs_reason_and_manager_confirms_not_owner(org):  # type: ignore[no-untyped-def]
    opp = _opp(org.rep_a1)
    with pytest.raises(DomainError):
        opp_services.opportunity_transition(opportunity=opp, to="lost", by=org.rep_a1)
    opp_services.opportunity_transition(opportunity=opp, to="lost", by=org.rep_a1, reason="价格没竞争力")
    with pytest.raises(DomainError):
        opp_services.opportunity_confirm_close(opportunity=opp, by=org.rep_a1)
    with pytest.raises(DomainError):
        opp_services.opportunity_confirm_close(opportunity=opp, by=org.manager_b)
    opp_services.opportunity_confirm_close(opportunity=opp, by=org.manager_a)
    opp.refresh_from_db()
    assert opp.close_confirmed_by == org.manager_a
    with pytest.raises(DomainError):
        opp_services.opportunity_transition(opportunity=opp, to="qualified", by=org.rep_a1)


# --- L2: a late close is recorded truthfully and confirmed as late --------------------------------------


def test_late_won_keeps_the_real_outcome_date_and_manager_confirms_it_as_late(org):  # type: ignore[no-untyped-def]
    # given a deal won on Friday 3 Jan 2025, closed on Wednesday 8 Jan (deadline Monday 6 Jan)
    opp = _opp(org.rep_a1)
    with pytest.raises(DomainError) as exc:
        opp_services.opportunity_transition(
            opportunity=opp,
            to="won",
            by=org.rep_a1,
            outcome_on=dt.date(2025, 1, 3),
            today=dt.date(2025, 1, 8),
        )
    assert "请如实填写结果日期并说明逾期原因" in str(exc.value.message)
    # when the rep explains the delay
    opp_services.opportunity_transition(
        opportunity=opp,
        to="won",
        by=org.rep_a1,
        outcome_on=dt.date(2025, 1, 3),
        reason="合同原件周三才寄到",
        today=dt.date(2025, 1, 8),
    )
    opp.refresh_from_db()
    # then the real outcome date is kept, flagged late
    assert (opp.stage, opp.outcome_on, opp.closed_late) == ("won", dt.date(2025, 1, 3), True)
    # the manager cannot confirm without a reason, then confirms it as late
    with pytest.raises(DomainError) as exc:
        opp_services.opportunity_confirm_close(opportunity=opp, by=org.manager_a)
    assert exc.value.code == "late_reason_required"
    opp_services.opportunity_confirm_close(opportunity=opp, by=org.manager_a, reason="客户盖章延误，属实")
    opp.refresh_from_db()
    assert opp.close_confirmed_by == org.manager_a
    assert opp.late_confirm_reason == "客户盖章延误，属实"


def test_late_close_through_the_api_and_the_page(api_for, client, org):  # type: ignore[no-untyped-def]
    opp = _opp(org.rep_a1)
    outcome = dt.date.today() - dt.timedelta(days=20)
    refused = api_for(org.rep_a1).post(
        f"/api/opportunities/{opp.pk}/transition/",
        {"stage": "lost", "outcome_on": str(outcome)},
        format="json",
    )
    assert refused.status_code == 400
    closed = api_for(org.rep_a1).post(
        f"/api/opportunities/{opp.pk}/transition/",
        {"stage": "lost", "outcome_on": str(outcome), "reason": "客户预算取消，出差未能及时关闭"},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["closed_late"] is True and closed.json()["outcome_on"] == str(outcome)
    client.force_login(org.manager_a)
    page = client.get(f"/opportunities/{opp.pk}/").content.decode()
    assert "逾期关闭" in page and "确认为逾期关闭" in page
    no_reason = api_for(org.manager_a).post(f"/api/opportunities/{opp.pk}/confirm/", {}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["code"] == "late_reason_required"
    client.post(f"/opportunities/{opp.pk}/confirm/", {"reason": "情况属实"})
    opp.refresh_from_db()
    assert opp.close_confirmed_by == org.manager_a and opp.late_confirm_reason == "情况属实"
