"""Issue 17: text typed by users is never a live formula in CSV or Excel exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from common.spreadsheet import spreadsheet_text
from common.timeutil import local_today, start_of_local_day
from settlements.export import export_month
from settlements.models import Settlement
from settlements.services.generation import settlement_generate
from tests.factories import CustomerFactory, make_order
from tests.settlements.factories import cline

pytestmark = pytest.mark.django_db

EVIL = ['=HYPERLINK("http://evil.example","点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


@pytest.mark.parametrize("value", EVIL)
def test_the_helper_neutralises_every_formula_trigger(value):
    assert spreadsheet_text(value) == "'" + value


def test_plain_text_and_numbers_are_untouched():
    assert spreadsheet_text("上海星河科技有限公司") == "上海星河科技有限公司"
    assert spreadsheet_text(Decimal("-45.55")) == Decimal("-45.55")


def test_receivables_csv_escapes_a_customer_name_that_is_a_formula(org, client_for):
    customer = CustomerFactory(owner=org.rep_a1, name=EVIL[0])
    last_year = local_today().year - 1
    order = make_order(
        owner=org.rep_a1,
        customer=customer,
        lines=[("regular", Decimal("1"), Decimal("10000.00"))],
        booked_at=start_of_local_day(dt.date(last_year, 1, 5)),
    )
    order.due_on = dt.date(last_year, 2, 4)
    order.save()
    response = client_for(org.rep_a1).get("/receivables/?list=watch&format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'" + EVIL[0]


def test_settlement_workbook_escapes_payee_and_bank_text(org):
    sep = dt.date(2026, 9, 1)
    cline(user=org.rep_a1, amount="100.00", base="2000.00")
    settlement_generate(month=sep, by=org.finance)
    Settlement.objects.filter(month=sep).update(payee_name=EVIL[1], bank_name=EVIL[3], payee_region=EVIL[2])
    buf = io.BytesIO()
    export_month(month=sep, out=buf, unmasked=True)
    buf.seek(0)
    wb = load_workbook(buf)
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    for evil in (EVIL[1], EVIL[2], EVIL[3]):
        assert evil not in values  # never a live formula or bare operator text
        assert "'" + evil in values
