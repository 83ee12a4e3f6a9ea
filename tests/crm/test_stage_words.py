"""Issue 15 "business language": opportunity stages read in words in both languages — the list, the
kanban, the stage history ("信息开发 → 立项", never "lead → qualified") and the API's stage_display."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from crm.models import PipelineStage
from crm.services import opportunities as opp_services
from tests.crm.factories import visited_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def opp(org):  # type: ignore[no-untyped-def]
    opp_services.stages_seed_defaults()
    opp = opp_services.opportunity_create(
        by=org.rep_a1, customer=visited_customer(org.rep_a1), name="智慧校园项目", amount="1000.00"
    )
    return opp_services.opportunity_transition(opportunity=opp, to="qualified", by=org.rep_a1)


def _english(client):  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_stage_history_reads_in_words(client_for, org, opp) -> None:  # type: ignore[no-untyped-def]
    html = client_for(org.rep_a1).get(reverse("crm:opportunity_detail", args=[opp.pk])).content.decode()
    assert "信息开发 → 立项" in html
    assert "lead → qualified" not in html and "→ qualified" not in html


def test_english_pages_translate_the_stage_names(client_for, org, opp) -> None:  # type: ignore[no-untyped-def]
    client = _english(client_for(org.rep_a1))
    detail = client.get(reverse("crm:opportunity_detail", args=[opp.pk])).content.decode()
    assert "Lead → Qualified" in detail
    assert '<span class="badge">Qualified</span>' in detail
    listing = client.get(reverse("crm:opportunity_list") + "?view=list").content.decode()
    assert '<td data-label="Stage">Qualified</td>' in listing
    kanban = client.get(reverse("crm:opportunity_list")).content.decode()
    assert '>Negotiation <span class="badge" data-count>' in kanban and "商务谈判" not in kanban


def test_a_stage_an_admin_renamed_shows_as_named(client_for, org, opp) -> None:  # type: ignore[no-untyped-def]
    PipelineStage.objects.filter(code="qualified").update(name="需求确认")
    client = _english(client_for(org.rep_a1))
    html = client.get(reverse("crm:opportunity_detail", args=[opp.pk])).content.decode()
    assert '<span class="badge">需求确认</span>' in html


def test_the_api_gives_the_stage_in_words(api_for, org, opp) -> None:  # type: ignore[no-untyped-def]
    api = api_for(org.rep_a1)
    body = api.get(f"/api/opportunities/{opp.pk}/").json()
    assert (body["stage"], body["stage_display"]) == ("qualified", "立项")
    stages = api.get("/api/opportunities/stages/").json()
    assert [(s["code"], s["label"]) for s in stages][:2] == [("lead", "信息开发"), ("qualified", "立项")]
