"""Issue 16: every CRM list exports to Excel — the list's filters, sort and chosen columns, within what the
user may see (a rep's export never holds another rep's row), in business words, money as numbers to the
fen, logged; customer data (contacts, leads, opportunities) only for managers, as the customer list."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from common.models import ExportLog
from crm.models import Contact, ContactRole, Contract, Lead, LeadSource, Opportunity, Payment, Quote
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db


def export(key: str) -> str:
    return reverse("crm:list_export", args=[key])


def workbook(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def values(sheet) -> list[list]:  # type: ignore[no-untyped-def]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def quote(owner, number: str, quoted: str, listed: str) -> Quote:  # type: ignore[no-untyped-def]
    return Quote.objects.create(
        number=number,
        customer=CustomerFactory(owner=owner, name=f"{number}客户"),
        owner=owner,
        title=f"{number}报价",
        list_total=Decimal(listed),
        quoted_total=Decimal(quoted),
    )


def contract(owner, number: str, amount: str) -> Contract:  # type: ignore[no-untyped-def]
    return Contract.objects.create(
        number=number,
        customer=CustomerFactory(owner=owner, name=f"{number}客户"),
        owner=owner,
        title=f"{number}合同",
        amount=Decimal(amount),
    )


def test_quotes_export_is_the_sorted_filtered_list_in_the_managers_team_and_logged(client_for, org):
    quote(org.rep_a1, "BJ-1", "9000.00", "10000.00")
    quote(org.rep_a2, "BJ-2", "13460.00", "13460.00")
    quote(org.rep_a1, "BJ-3", "1234.56", "1543.20")
    quote(org.rep_b1, "BJ-9", "99999.00", "99999.00")  # another team's
    response = export("quotes")
    sheet = workbook(client_for(org.manager_a).get(response, {"sort": "-quoted_total"}))
    rows = values(sheet)
    # The columns the list shows by default, in words; the team's three, largest first; exact money
    assert rows[0] == ["单号", "报价名称", "客户", "报价总额", "整单折扣", "状态", "负责人"]
    assert rows[1:] == [
        ["BJ-2", "BJ-2报价", "BJ-2客户", 13460, 0, "草稿", "销售甲二"],
        ["BJ-1", "BJ-1报价", "BJ-1客户", 9000, pytest.approx(0.1), "草稿", "销售甲一"],
        ["BJ-3", "BJ-3报价", "BJ-3客户", pytest.approx(1234.56), pytest.approx(0.2), "草稿", "销售甲一"],
    ]
    # Money as numbers shown to the fen, the discount as a percent
    assert sheet["D2"].number_format == "#,##0.00" and sheet["E3"].number_format == "0.##%"
    assert str(sheet["D4"].value) == "1234.56"
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.rows, log.filters) == (
        org.manager_a,
        "list_quotes",
        3,
        "sort=-quoted_total",
    )
    assert log.get_kind_display() == "报价单列表"


def test_a_reps_contract_export_holds_only_their_own_rows_whatever_the_url_asks(client_for, org):
    contract(org.rep_a1, "HT-1", "50000.00")
    contract(org.rep_a2, "HT-2", "70000.00")
    client = client_for(org.rep_a1)
    assert [r[0] for r in values(workbook(client.get(export("contracts"))))[1:]] == ["HT-1"]
    # asking for a colleague's rows gives none of them
    assert values(workbook(client.get(export("contracts"), {"owner": org.rep_a2.pk})))[1:] == []


def test_the_export_has_the_columns_the_user_chose(client_for, org):
    contract(org.rep_a1, "HT-1", "50000.00")
    client = client_for(org.rep_a1)
    client.post(
        reverse("crm:list_columns_save"),
        {"list": "contracts", "columns": ["amount", "signed_on"], "query": ""},
    )
    rows = values(workbook(client.get(export("contracts"))))
    assert rows == [["编号", "金额", "签约日期"], ["HT-1", 50000, None]]


def test_orders_export_has_what_was_received_and_what_is_outstanding_and_finance_may_export(client_for, org):
    order = make_order(owner=org.rep_a1, booked_at=dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC))
    Payment.objects.create(
        order=order, amount=Decimal("7500.00"), received_on=dt.date(2026, 5, 3), recorded_by=org.finance
    )
    rows = values(workbook(client_for(org.finance).get(export("orders"))))
    assert rows[0] == ["订单号", "客户", "下单时间", "金额", "已开票", "已回款", "未收", "状态", "负责人"]
    number, _customer, booked, total, invoiced, received, outstanding, _status, owner = rows[1]
    assert (number, booked.date(), total, invoiced, received, outstanding, owner) == (
        order.number,
        dt.date(2026, 5, 2),
        10000,
        0,
        7500,
        2500,
        "销售甲一",
    )


@pytest.mark.parametrize("key", ["contacts", "leads", "opportunities"])
def test_customer_data_exports_are_a_manager_privilege(client_for, org, key):
    customer = CustomerFactory(owner=org.rep_a1, name="星河科技")
    Contact.objects.create(
        customer=customer, name="王经理", role=ContactRole.DECISION_MAKER, phone="13912345678"
    )
    Lead.objects.create(
        company="=cmd|' /C calc'!A0", source=LeadSource.CALL, assigned_to=org.rep_a1, created_by=org.manager_a
    )
    Opportunity.objects.create(
        customer=customer,
        owner=org.rep_a1,
        name="年度采购",
        amount=Decimal("88000.00"),
        registered_at=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
    )
    page = {"contacts": "/contacts/", "leads": "/leads/", "opportunities": "/opportunities/?view=list"}[key]
    rep = client_for(org.rep_a1)
    assert export(key) not in rep.get(page).content.decode()
    refused = rep.get(export(key))
    assert refused.status_code == 404 and not ExportLog.objects.exists()
    manager = client_for(org.manager_a)
    assert export(key) in manager.get(page).content.decode()
    rows = values(workbook(manager.get(export(key))))
    assert len(rows) == 2
    first = {
        "contacts": ["王经理", "星河科技"],
        "leads": ["'=cmd|' /C calc'!A0"],
        "opportunities": ["年度采购"],
    }
    assert rows[1][: len(first[key])] == first[key]  # a typed formula stays text
    assert ExportLog.objects.get().kind == f"list_{key}"


def test_contacts_export_reads_the_role_and_the_owner_in_words(client_for, org):
    customer = CustomerFactory(owner=org.rep_a1, name="星河科技")
    Contact.objects.create(
        customer=customer, name="王经理", role=ContactRole.DECISION_MAKER, phone="13912345678"
    )
    rows = values(workbook(client_for(org.manager_a).get(export("contacts"))))
    assert rows[1] == ["王经理", "星河科技", None, "决策人", "13912345678", "销售甲一"]  # no position


def test_unknown_or_closed_lists_are_not_found(client_for, org):
    assert client_for(org.manager_a).get(export("nonsense")).status_code == 404
    assert client_for(org.manager_a).get(export("customers")).status_code == 404  # has its own export
    assert client_for(org.finance).get(export("quotes")).status_code == 404  # finance opens no quotes


# --- the API -----------------------------------------------------------------------------------------


def api_sheet(response) -> list[list]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return values(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active)


def test_the_api_export_is_the_lists_rows_with_its_filters_and_sort(api_for, org):
    quote(org.rep_a1, "BJ-1", "9000.00", "10000.00")
    quote(org.rep_a2, "BJ-2", "13460.00", "13460.00")
    quote(org.rep_b1, "BJ-9", "99999.00", "99999.00")
    rows = api_sheet(api_for(org.manager_a).get("/api/quotes/export/", {"sort": "quoted_total"}))
    assert [r[0] for r in rows[1:]] == ["BJ-1", "BJ-2"]
    assert rows[1][3:5] == [9000, pytest.approx(0.1)]
    only_a2 = api_sheet(api_for(org.manager_a).get("/api/quotes/export/", {"owner": org.rep_a2.pk}))
    assert [r[0] for r in only_a2[1:]] == ["BJ-2"]
    log = ExportLog.objects.order_by("id").first()
    assert (log.kind, log.rows, log.filters) == ("list_quotes", 2, "sort=quoted_total")


def test_the_api_export_of_orders_for_finance_and_of_contacts_only_for_managers(api_for, org):
    make_order(owner=org.rep_a1, booked_at=dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC))
    rows = api_sheet(api_for(org.finance).get("/api/orders/export/"))
    assert rows[1][3:7] == [10000, 0, 0, 10000]  # total, invoiced, received, outstanding
    Contact.objects.create(customer=CustomerFactory(owner=org.rep_a1), name="王经理", role=ContactRole.OTHER)
    assert api_for(org.rep_a1).get("/api/contacts/export/").status_code == 404
    assert api_sheet(api_for(org.manager_a).get("/api/contacts/export/"))[1][0] == "王经理"
    assert api_for(org.manager_a).get("/api/contacts/export/", {"sort": "bogus"}).status_code == 400
    assert ExportLog.objects.filter(kind="list_contacts").count() == 1


@pytest.mark.parametrize(
    ("key", "url"), [("quotes", "/lists/quotes/export/"), ("orders", "/api/orders/export/")]
)
def test_an_export_costs_the_same_queries_for_two_rows_or_twelve(client_for, api_for, org, key, url):
    """The rows stream from one query in chunks: no query per row (page and API)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.manager_a) if url.startswith("/lists/") else api_for(org.manager_a)

    def add(n: int) -> None:
        for i in range(n):
            if key == "quotes":
                quote(org.rep_a1 if i % 2 else org.rep_a2, f"BJ-{Quote.objects.count()}", "10.00", "10.00")
            else:
                make_order(owner=org.rep_a1 if i % 2 else org.rep_a2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(ctx.captured_queries)

    add(2)
    queries()  # warm-up
    few = queries()
    add(10)
    assert queries() == few
