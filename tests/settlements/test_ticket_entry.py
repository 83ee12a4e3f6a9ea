"""K13 ticket entry by finance, in the page and the API: the partner's own tickets and the attendees it
brings, deducted at once on the partner's draft settlement; an approved month takes nothing more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from settlements.models import PartnerTicketStock, Settlement, SettlementStatus, TicketSale
from settlements.services.generation import settlement_generate
from tests.factories import NAV_QUERIES
from tests.settlements.factories import cline, partner, ticket_sale, ticket_stock

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)

STOCK = {
    "kind": "stock",
    "stock-course_name": "家庭教育讲座",
    "stock-ticket_price": "200.00",
    "stock-quantity": "10",
    "stock-acquired_on": "2026-07-10",
}


def sale_post(p, **over) -> dict:
    data = {
        "kind": "sale",
        "sale-partner": str(p.pk),
        "sale-attendee_name": "李华",
        "sale-gender": "female",
        "sale-id_number": "110101199003071234",
        "sale-phone": "13800002222",
        "sale-attended_on": "2026-09-20",
        "sale-course_name": "家庭教育讲座",
        "sale-signed_price": "200.00",
        "sale-sold_price": "330.00",
        "sale-quantity": "6",
    }
    data.update(over)
    return data


@pytest.fixture
def draft(org):
    p = partner(region=org.region)
    cline(partner=p, kind="rebate", category="学生特训营", base="5940.00", amount="1188.00")
    settlement_generate(month=SEP, by=org.finance)
    return Settlement.objects.get(payee_partner=p, month=SEP)


def test_finance_records_tickets_in_the_page_and_the_draft_deducts_them_at_once(org, draft, client_for):
    # Given the partner's September draft, when finance records 10 own tickets at ¥200.00 (July) and
    # 李华 attending with 6 of them sold at ¥330.00, then the draft shows the deduction and balances.
    c = client_for(org.finance)
    assert c.get("/settlements/tickets/").status_code == 200
    r = c.post("/settlements/tickets/", {**STOCK, "stock-partner": str(draft.payee_partner_id)})
    assert r.status_code == 302
    r = c.post("/settlements/tickets/", sale_post(draft.payee_partner))
    assert r.status_code == 302
    sale = TicketSale.objects.get()
    assert (sale.month, sale.deducted_quantity, sale.deducted_price, sale.deducted_amount) == (
        SEP,
        6,
        D("200.00"),
        D("1200.00"),
    )
    draft.refresh_from_db()
    assert (
        draft.ticket_signed_total,
        draft.ticket_sold_total,
        draft.ticket_deduction_total,
        draft.ticket_prior_balance,
        draft.ticket_current_balance,
    ) == (D("1200.00"), D("1980.00"), D("1200.00"), D("2000.00"), D("800.00"))
    page = c.get("/settlements/tickets/?q=李华").content.decode()
    assert "李华" in page and "¥1,200.00" in page and "110101199003071234" in page


def test_an_approved_month_takes_no_new_attendee_and_the_form_keeps_the_input(org, draft, client_for):
    Settlement.objects.filter(pk=draft.pk).update(status=SettlementStatus.APPROVED)
    c = client_for(org.finance)
    r = c.post("/settlements/tickets/", sale_post(draft.payee_partner, **{"sale-attendee_name": "王芳"}))
    assert r.status_code == 200
    body = r.content.decode()
    assert "张合伙 2026-09 的结算单已审批，该月不能再登记参会；请登记在下一个未审批的月份。" in body
    assert 'value="王芳"' in body
    assert not TicketSale.objects.exists()


def test_bad_input_is_a_clear_message_not_a_500(org, draft, client_for):
    c = client_for(org.finance)
    r = c.post("/settlements/tickets/", sale_post(draft.payee_partner, **{"sale-id_number": "12345"}))
    assert r.status_code == 200
    assert "身份证号应为 15 或 18 位。" in r.content.decode()
    r = c.post("/settlements/tickets/", {**STOCK, "stock-partner": "999999", "stock-quantity": "0"})
    assert r.status_code == 200 and not PartnerTicketStock.objects.exists()


def test_only_finance_opens_the_page_and_the_api(org, draft, client_for, api_for):
    for user in (org.rep_a1, org.manager_a, org.president):
        assert client_for(user).get("/settlements/tickets/").status_code == 404
        assert api_for(user).get("/api/settlements/ticket-sales/").status_code in (403, 404)
        assert api_for(user).post("/api/settlements/ticket-stock/", {}).status_code in (403, 404)


def test_api_records_stock_and_an_attendee_with_the_deduction_computed(org, draft, api_for):
    api = api_for(org.finance)
    r = api.post(
        "/api/settlements/ticket-stock/",
        {
            "partner": draft.payee_partner_id,
            "course_name": "家庭教育讲座",
            "ticket_price": "200.00",
            "quantity": 10,
            "acquired_on": "2026-07-10",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["partner_name"] == "张合伙"
    r = api.post(
        "/api/settlements/ticket-sales/",
        {
            "partner": draft.payee_partner_id,
            "attendee_name": "李华",
            "attended_on": "2026-09-20",
            "course_name": "家庭教育讲座",
            "signed_price": "200.00",
            "sold_price": "330.00",
            "quantity": 12,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    # only the 10 tickets owned are deducted; the 2 others are not (the row shows it)
    assert (r.json()["deducted_quantity"], r.json()["deducted_amount"]) == (10, "2000.00")
    draft.refresh_from_db()
    assert (draft.ticket_deduction_total, draft.ticket_current_balance) == (D("2000.00"), D("0.00"))
    rows = api.get("/api/settlements/ticket-sales/?month=2026-09").json()["results"]
    assert [(x["attendee_name"], x["month"]) for x in rows] == [("李华", "2026-09-01")]
    assert api.get("/api/settlements/ticket-sales/?month=2026-10").json()["results"] == []
    bad = api.get("/api/settlements/ticket-sales/?month=九月")
    assert bad.status_code == 400
    locked = Settlement.objects.filter(pk=draft.pk).update(status=SettlementStatus.APPROVED)
    assert locked == 1
    r = api.post(
        "/api/settlements/ticket-sales/",
        {
            "partner": draft.payee_partner_id,
            "attendee_name": "王芳",
            "attended_on": "2026-09-21",
            "course_name": "家庭教育讲座",
            "signed_price": "200.00",
            "sold_price": "330.00",
        },
        format="json",
    )
    assert r.status_code == 409


def test_ticket_page_and_api_query_counts(org, draft, client_for, api_for, django_assert_max_num_queries):
    p = draft.payee_partner
    for i in range(30):
        ticket_stock(p, course=f"课程{i}", price="100.00", quantity=2, acquired_on=dt.date(2026, 8, 1))
        ticket_sale(p, month=SEP, name=f"学员{i}", course=f"课程{i}", signed="100.00", sold="150.00")
    c = client_for(org.finance)
    c.get("/settlements/tickets/")
    with django_assert_max_num_queries(6 + NAV_QUERIES):
        assert c.get("/settlements/tickets/").status_code == 200
    api = api_for(org.finance)
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/settlements/ticket-sales/").json()["results"]) == 30
    with django_assert_max_num_queries(6):
        assert len(api.get("/api/settlements/ticket-stock/").json()["results"]) == 30
