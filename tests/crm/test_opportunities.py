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
