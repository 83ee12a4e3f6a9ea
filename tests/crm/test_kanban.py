"""Live pipeline (issue 16): per-stage count, amount and weighted forecast over everything the user may
see, time in stage on each card, a move through the same rules as the detail page (refused → the
reason), and a flat query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from common.timeutil import local_today
from crm import policy
from crm.models import Opportunity, OpportunityStageChange, PipelineStage
from crm.pipeline_selectors import kanban_columns
from crm.services import opportunities as opp_services
from tests.crm.factories import visited_customer

pytestmark = pytest.mark.django_db


def _opp(rep, name: str, amount: str, stage: str = "lead") -> Opportunity:  # type: ignore[no-untyped-def]
    opp = opp_services.opportunity_create(by=rep, customer=visited_customer(rep), name=name, amount=amount)
    if stage != "lead":
        opp_services.opportunity_transition(opportunity=opp, to=stage, by=rep)
    return opp


@pytest.fixture
def board(org):  # type: ignore[no-untyped-def]
    opp_services.stages_seed_defaults()
    rep = org.rep_a1
    a = _opp(rep, "甲项目", "1000.01")
    b = _opp(rep, "乙项目", "2000.00")
    c = _opp(rep, "丙项目", "333.33", stage="proposal")
    other = _opp(org.rep_b1, "别队项目", "99999.00")
    return {"a": a, "b": b, "c": c, "other": other}


def _columns(user, today=None):  # type: ignore[no-untyped-def]
    stages = list(PipelineStage.objects.filter(active=True))
    return {
        col.stage.code: col
        for col in kanban_columns(
            qs=policy.opportunities_visible_to(user), stages=stages, today=today or local_today()
        )
    }


def test_columns_count_amount_and_weighted_forecast_exactly(org, board):  # type: ignore[no-untyped-def]
    cols = _columns(org.rep_a1)
    assert (cols["lead"].count, cols["lead"].amount, cols["lead"].weighted) == (
        2,
        Decimal("3000.01"),
        Decimal("300.00"),  # 10 % of 3,000.01, to the fen
    )
    assert (cols["proposal"].count, cols["proposal"].amount, cols["proposal"].weighted) == (
        1,
        Decimal("333.33"),
        Decimal("166.67"),  # 50 % of 333.33 = 166.665 → the split keeps 166.67 + 166.66
    )
    assert cols["won"].count == 0 and cols["won"].amount == Decimal("0.00")
    # Another team's opportunity is neither on the board nor in the figures.
    assert all(board["other"] not in col.cards for col in cols.values())


def test_time_in_stage_counts_from_the_last_move(org, board):  # type: ignore[no-untyped-def]
    # Registered 20 days ago, moved to proposal 12 days ago.
    reg, move = OpportunityStageChange.objects.filter(opportunity=board["c"]).order_by("id")
    now = timezone.now()
    OpportunityStageChange.objects.filter(pk=reg.pk).update(changed_at=now - dt.timedelta(days=20))
    OpportunityStageChange.objects.filter(pk=move.pk).update(changed_at=now - dt.timedelta(days=12))
    cols = _columns(org.rep_a1)
    assert [o.days_in_stage for o in cols["proposal"].cards] == [12]
    assert {o.name: o.days_in_stage for o in cols["lead"].cards} == {"甲项目": 0, "乙项目": 0}


def test_kanban_page_shows_figures_and_scope(org, client_for, board):  # type: ignore[no-untyped-def]
    body = client_for(org.rep_a1).get(reverse("crm:opportunity_list")).content.decode()
    assert "¥3,000.01" in body and "¥300.00" in body and "¥166.67" in body
    assert "甲项目" in body and "别队项目" not in body and "¥99,999.00" not in body
    assert f'data-move-url="/api/opportunities/{board["a"].pk}/transition/"' in body
    assert "kanban.js" in body


def test_kanban_page_in_english_uses_business_words(org, client_for, board):  # type: ignore[no-untyped-def]
    client = client_for(org.rep_a1)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("crm:opportunity_list")).content.decode()
    assert "Weighted forecast" in body and "Move to" in body


def test_a_move_goes_through_the_stage_rules(org, api_for, board):  # type: ignore[no-untyped-def]
    api = api_for(org.rep_a1)
    url = reverse("crm_api:opportunity-transition", args=[board["a"].pk])
    ok = api.post(url, {"stage": "negotiation"}, format="json")
    assert ok.status_code == 200 and ok.json()["stage"] == "negotiation"
    url_b = reverse("crm_api:opportunity-transition", args=[board["b"].pk])
    refused = api.post(url_b, {"stage": "lost"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"] == "输单请填写原因。" and refused.json()["field"] == "reason"
    assert Opportunity.objects.get(pk=board["b"].pk).stage == "lead"
    cols = _columns(org.rep_a1)
    assert (cols["negotiation"].count, cols["negotiation"].weighted) == (1, Decimal("750.01"))


def test_another_reps_card_cannot_be_moved(org, api_for, board):  # type: ignore[no-untyped-def]
    url = reverse("crm_api:opportunity-transition", args=[board["other"].pk])
    assert api_for(org.rep_a1).post(url, {"stage": "qualified"}, format="json").status_code == 404
    assert Opportunity.objects.get(pk=board["other"].pk).stage == "lead"


def test_kanban_query_count_is_flat(org, client_for, django_assert_max_num_queries, board):  # type: ignore[no-untyped-def]
    client = client_for(org.rep_a1)
    client.get(reverse("crm:opportunity_list"))
    with django_assert_max_num_queries(30) as first:
        client.get(reverse("crm:opportunity_list"))
    for i in range(6):
        _opp(org.rep_a1, f"更多{i}", "10.00", stage=["lead", "qualified", "negotiation"][i % 3])
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(reverse("crm:opportunity_list")).status_code == 200
