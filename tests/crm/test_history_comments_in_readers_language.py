"""Issue 15: the comments the system writes into a contract's and an opportunity's history
("审批通过，可以签约", "审批驳回：…", "报备") are kept as words and read in the reader's language,
whatever the language of the person whose action wrote them. Rows stored before read as stored."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from crm.models import ApprovalRequest, ContractStatus, OpportunityStageChange, StatusChange
from crm.services import contracts as contract_services
from crm.services import opportunities as opp_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from tests.crm.factories import visited_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def contract_in_review(org):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    contract = contract_services.contract_create(
        by=org.rep_a1,
        customer=CustomerFactory(owner=org.rep_a1),
        title="年度框架合同",
        amount=Decimal("100000.00"),
    )
    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=org.rep_a1)
    return contract, ApprovalRequest.objects.get(object_id=contract.pk, kind="contract")


def read(client, url: str, language: str) -> str:  # type: ignore[no-untyped-def]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(url).content.decode()


def test_an_approved_contracts_history_reads_in_each_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    # given the manager approves from an English page
    contract, req = contract_in_review(org)
    with translation.override("en"):
        approval_decide(request=req, by=org.manager_a, approve=True, reason="同意")
    assert StatusChange.objects.filter(contract=contract).last().comment == "审批通过，可以签约"  # type: ignore[union-attr]
    # when the rep reads the contract in Chinese, then in English
    client, url = client_for(org.rep_a1), reverse("crm:contract_detail", args=[contract.pk])
    assert "审批通过，可以签约" in read(client, url, "zh-hans")
    english = read(client, url, "en")
    assert "Approved, ready to sign" in english and "审批通过" not in english


def test_a_rejected_contracts_history_gives_the_reason_in_the_readers_words(org, client_for) -> None:  # type: ignore[no-untyped-def]
    contract, req = contract_in_review(org)
    approval_decide(request=req, by=org.manager_a, approve=False, reason="金额需复核")
    client, url = client_for(org.rep_a1), reverse("crm:contract_detail", args=[contract.pk])
    assert "审批驳回：金额需复核" in read(client, url, "zh-hans")
    english = read(client, url, "en")
    # the reason as the manager typed it
    assert "Rejected: 金额需复核" in english and "审批驳回" not in english


def test_an_opportunitys_registration_reads_in_the_readers_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        opp = opp_services.opportunity_create(
            by=org.rep_a1, customer=visited_customer(org.rep_a1), name="年度项目", amount="1000.00"
        )
    change = OpportunityStageChange.objects.get(opportunity=opp)
    assert change.comment == "报备"  # stored in Chinese whatever the writer's page
    assert change.comment_words == {"m": "报备", "x": "history", "a": {}}
    client, url = client_for(org.rep_a1), reverse("crm:opportunity_detail", args=[opp.pk])
    assert "报备" in read(client, url, "zh-hans")
    english = read(client, url, "en")
    # "Registered": what happened, in the history's context (the button on the form says "Register")
    assert "Registered" in english and "报备" not in english


def test_a_comment_stored_before_reads_as_stored(org, client_for) -> None:  # type: ignore[no-untyped-def]
    contract, req = contract_in_review(org)
    approval_decide(request=req, by=org.manager_a, approve=True, reason="同意")
    StatusChange.objects.filter(contract=contract, comment="审批通过，可以签约").update(
        comment="旧的说明", comment_words=None
    )
    english = read(client_for(org.rep_a1), reverse("crm:contract_detail", args=[contract.pk]), "en")
    assert "旧的说明" in english
