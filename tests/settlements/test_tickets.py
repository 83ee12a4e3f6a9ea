"""K13 ticket deductions (000 结算信息一览表): the partner's own tickets cover the attendees it brings,
oldest first and per course; signed vs sold ticket money; 上期结余 → 本期结余, to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from settlements.models import Settlement, TicketSale
from settlements.services.generation import settlement_generate
from settlements.services.tickets import ticket_statement
from tests.settlements.factories import cline, partner, ticket_sale, ticket_stock

pytestmark = pytest.mark.django_db
AUG, SEP = dt.date(2026, 8, 1), dt.date(2026, 9, 1)
COURSE = "家庭教育讲座"


@pytest.fixture
def tickets(org):
    """Given 10 tickets at ¥200.00 bought in July and 5 at ¥180.00 in September; 3 attendees in August,
    6 + 4 in September and one attendee of a course the partner holds no tickets for."""
    p = partner(region=org.region)
    ticket_stock(p, course=COURSE, price="200.00", quantity=10, acquired_on=dt.date(2026, 7, 10))
    ticket_stock(p, course=COURSE, price="180.00", quantity=5, acquired_on=dt.date(2026, 9, 5))
    ticket_sale(p, month=AUG, name="王小明", course=COURSE, signed="200.00", sold="330.00", quantity=3)
    ticket_sale(p, month=SEP, name="李华", course=COURSE, signed="200.00", sold="330.00", quantity=6)
    ticket_sale(
        p, month=SEP, name="赵强", course=COURSE, signed="180.00", sold="298.50", quantity=4, gender="male"
    )
    ticket_sale(p, month=SEP, name="钱多", course="学生特训营", signed="1980.00", sold="1980.00")
    cline(partner=p, kind="rebate", category="family_edu_ticket", base="3174.00", amount="952.20")
    return p


def test_deductions_and_balances_to_the_fen(tickets):
    st = ticket_statement(partner_id=tickets.pk, month=SEP)
    rows = {s.attendee_name: (s.deducted_price, s.deducted_quantity, s.deducted_amount) for s in st.sales}
    assert rows == {
        "李华": (D("200.00"), 6, D("1200.00")),
        "赵强": (None, 4, D("740.00")),  # 1 July ticket at ¥200.00 + 3 September tickets at ¥180.00
        "钱多": (None, 0, D("0.00")),  # no 学生特训营 tickets of its own: nothing deducted
    }
    assert st.signed_total == D("3900.00")  # 6 × 200 + 4 × 180 + 1980
    assert st.sold_total == D("5154.00")  # 6 × 330 + 4 × 298.50 + 1980
    assert st.deduction_total == D("1940.00")
    assert st.prior_balance == D("1400.00")  # 10 × 200 − August's 3 × 200
    assert st.current_balance == D("360.00")  # 1,400 + 5 × 180 − 1,940 = the 2 tickets left at ¥180


def test_generation_stores_the_ticket_account_on_the_settlement(org, tickets):
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(month=SEP, payee_partner=tickets)
    assert (s.ticket_signed_total, s.ticket_sold_total, s.ticket_deduction_total) == (
        D("3900.00"),
        D("5154.00"),
        D("1940.00"),
    )
    assert (s.ticket_prior_balance, s.ticket_current_balance) == (D("1400.00"), D("360.00"))
    assert TicketSale.objects.get(attendee_name="赵强").deducted_amount == D("740.00")
    # the money owed is not touched by the ticket account
    assert s.payout_amount == D("952.20")
    settlement_generate(month=SEP, by=org.finance)  # running again changes nothing
    s.refresh_from_db()
    assert s.ticket_current_balance == D("360.00")


def test_a_partner_with_only_attendees_gets_a_settlement_showing_them(org):
    p = partner(name="周合伙", region=org.region)
    ticket_stock(p, course=COURSE, price="200.00", quantity=2, acquired_on=dt.date(2026, 9, 1))
    ticket_sale(p, month=SEP, name="孙丽", course=COURSE, signed="200.00", sold="330.00", quantity=3)
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(month=SEP, payee_partner=p)
    assert (s.payee_name, s.line_total, s.ticket_deduction_total, s.ticket_current_balance) == (
        "周合伙",
        D("0.00"),
        D("400.00"),  # only the 2 tickets it owns are deducted; the third is not covered
        D("0.00"),
    )


def test_page_shows_the_ticket_account_and_masks_the_id_number_except_for_finance(org, tickets, client_for):
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(month=SEP, payee_partner=tickets)
    url = reverse("settlements:detail", args=[s.pk])
    body = client_for(org.president).get(url).content.decode()
    for text in (
        "门票抵扣",
        "¥3,900.00",
        "¥5,154.00",
        "¥1,940.00",
        "¥1,400.00",
        "¥360.00",
        "赵强",
        "¥740.00",
    ):
        assert text in body
    assert "110101********1234" in body and "110101199003071234" not in body
    assert "110101199003071234" in client_for(org.finance).get(url).content.decode()


def test_api_gives_the_same_figures(org, tickets, api_for):
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(month=SEP, payee_partner=tickets)
    data = api_for(org.president).get(f"/api/settlements/settlements/{s.pk}/").data
    assert (data["ticket_deduction_total"], data["ticket_prior_balance"], data["ticket_current_balance"]) == (
        "1940.00",
        "1400.00",
        "360.00",
    )
    rows = api_for(org.president).get(f"/api/settlements/settlements/{s.pk}/tickets/").data
    assert [(r["attendee_name"], r["deducted_quantity"], r["deducted_amount"]) for r in rows] == [
        ("李华", 6, "1200.00"),
        ("赵强", 4, "740.00"),
        ("钱多", 0, "0.00"),
    ]
    assert rows[0]["id_number"] == "110101********1234" and rows[1]["gender_display"] == "男"
    finance_rows = api_for(org.finance).get(f"/api/settlements/settlements/{s.pk}/tickets/").data
    assert finance_rows[0]["id_number"] == "110101199003071234"
