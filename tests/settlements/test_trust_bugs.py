"""Issue 15 trust bugs on the settlement: a payout dated in the future was accepted (now refused, with a
clear message, by the page and the API alike; today's date is accepted); the forfeit page (K11) was
linked from nowhere (now from the sheet, for those who may forfeit)."""

from __future__ import annotations

import datetime as dt

import pytest

from common.timeutil import local_today
from settlements.models import Settlement, SettlementStatus
from settlements.services.generation import settlement_generate
from settlements.services.workflow import settlement_transition
from tests.settlements.factories import cline

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)


@pytest.fixture
def approved(org) -> Settlement:  # type: ignore[no-untyped-def]
    cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1, month=SEP)
    for action, by in [
        ("submit", org.finance),
        ("confirm", org.finance),
        ("approve", org.manager_a),
        ("approve", org.finance),
        ("approve", org.vp),
    ]:
        s = settlement_transition(settlement=s, action=action, by=by)
    assert s.status == SettlementStatus.APPROVED
    return s


def test_page_refuses_a_payout_dated_tomorrow_and_keeps_the_input(org, approved, client_for) -> None:  # type: ignore[no-untyped-def]
    tomorrow = local_today() + dt.timedelta(days=1)
    r = client_for(org.finance).post(
        f"/settlements/{approved.pk}/payout/", {"paid_on": tomorrow.isoformat(), "bank_reference": "PAY-1"}
    )
    html = r.content.decode()
    assert f"发放日期 {tomorrow.isoformat()} 晚于今天" in html
    assert 'value="PAY-1"' in html
    assert Settlement.objects.get(pk=approved.pk).status == SettlementStatus.APPROVED


def test_api_refuses_a_future_payout_with_the_same_message(org, approved, api_for) -> None:  # type: ignore[no-untyped-def]
    tomorrow = local_today() + dt.timedelta(days=1)
    r = api_for(org.finance).post(
        f"/api/settlements/settlements/{approved.pk}/payout/",
        {"paid_on": tomorrow.isoformat(), "bank_reference": "PAY-1"},
        format="json",
    )
    assert r.status_code == 400
    assert f"发放日期 {tomorrow.isoformat()} 晚于今天" in r.content.decode()
    assert Settlement.objects.get(pk=approved.pk).status == SettlementStatus.APPROVED


def test_a_payout_dated_today_is_recorded(org, approved, api_for) -> None:  # type: ignore[no-untyped-def]
    r = api_for(org.finance).post(
        f"/api/settlements/settlements/{approved.pk}/payout/",
        {"paid_on": local_today().isoformat(), "bank_reference": "PAY-2"},
        format="json",
    )
    assert r.status_code in (200, 201), r.content
    assert Settlement.objects.get(pk=approved.pk).status == SettlementStatus.PAID


def test_finance_finds_the_forfeit_page_from_the_sheet_with_the_payee_chosen(
    org, approved, client_for
) -> None:  # type: ignore[no-untyped-def]
    c = client_for(org.finance)
    html = c.get(f"/settlements/{approved.pk}/").content.decode()
    link = f'href="/commissions/forfeit/?payee={org.rep_a1.pk}"'
    assert link in html
    page = c.get(f"/commissions/forfeit/?payee={org.rep_a1.pk}").content.decode()
    assert f'<option value="{org.rep_a1.pk}" selected>' in page


def test_the_payee_and_their_manager_are_not_offered_the_forfeit_page(org, approved, client_for) -> None:  # type: ignore[no-untyped-def]
    for user in (org.rep_a1, org.manager_a):
        html = client_for(user).get(f"/settlements/{approved.pk}/").content.decode()
        assert "/commissions/forfeit/" not in html, user
