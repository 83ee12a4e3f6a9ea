"""Issue 16: the customer list people can work with — sort, owner / team / date filters, the total,
saved filters (场景), the column chooser, bulk transfer and the Excel export; the same on the API."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from common.models import ExportLog, ListColumnChoice, SavedListFilter
from crm.models import Customer, OwnershipChange
from tests.factories import CustomerFactory, make_order

pytestmark = pytest.mark.django_db

LIST = reverse("crm:customer_list")


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in response.context["customers"]]


def notes(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- sort, filters, total -----------------------------------------------------------------------------


def test_sort_by_name_both_ways_and_default_newest_first(client_for, org):
    for name in ("B公司", "C公司", "A公司"):
        CustomerFactory(owner=org.rep_a1, name=name)
    client = client_for(org.rep_a1)
    assert names(client.get(LIST, {"sort": "name"})) == ["A公司", "B公司", "C公司"]
    assert names(client.get(LIST, {"sort": "-name"})) == ["C公司", "B公司", "A公司"]
    assert names(client.get(LIST)) == ["A公司", "C公司", "B公司"]


def test_sort_by_a_column_that_is_not_offered_says_so_and_keeps_the_default(client_for, org):
    CustomerFactory(owner=org.rep_a1, name="A公司")
    response = client_for(org.rep_a1).get(LIST, {"sort": "phone"})
    assert response.status_code == 200 and names(response) == ["A公司"]
    assert "无法按该列排序，已按默认顺序显示。" in notes(response)


def test_owner_team_and_date_filters(client_for, org):
    a1 = CustomerFactory(owner=org.rep_a1, name="甲一的客户")
    CustomerFactory(owner=org.rep_a2, name="甲二的客户")
    CustomerFactory(owner=org.rep_b1, name="乙一的客户")
    Customer.objects.filter(pk=a1.pk).update(created_at=dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC))
    manager = client_for(org.manager_a)
    assert names(manager.get(LIST, {"owner": org.rep_a2.pk})) == ["甲二的客户"]
    # the team filter narrows what one may see; it never widens it
    assert names(manager.get(LIST, {"team": org.dept_b.pk})) == []
    president = client_for(org.president)
    assert names(president.get(LIST, {"team": org.dept_b.pk})) == ["乙一的客户"]
    dated = president.get(LIST, {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert names(dated) == ["甲一的客户"]


def test_bad_dates_are_ignored_with_a_message(client_for, org):
    CustomerFactory(owner=org.rep_a1, name="某客户")
    response = client_for(org.rep_a1).get(LIST, {"date_from": "2026-13-45", "owner": "x"})
    assert response.status_code == 200 and names(response) == ["某客户"]
    assert "日期格式应为 YYYY-MM-DD，已忽略。" in notes(response)


def test_total_is_exact_and_follows_the_filters(client_for, org, settings):
    settings.CRM_CUSTOMER_LIST_PAGE_SIZE = 5
    for i in range(7):
        CustomerFactory(owner=org.rep_a1, name=f"客户{i}", grade="A" if i < 3 else "C")
    CustomerFactory(owner=org.rep_b1, name="别人的客户")
    client = client_for(org.rep_a1)
    response = client.get(LIST)
    assert (response.context["total"].value, response.context["total"].estimated) == (7, False)
    assert "共 7 个" in response.content.decode() and len(response.context["customers"]) == 5
    assert client.get(LIST, {"grade": "A"}).context["total"].value == 3


def test_sorted_pages_are_numbered_and_keep_the_filters(client_for, org, settings):
    settings.CRM_CUSTOMER_LIST_PAGE_SIZE = 2
    for name in ("D", "B", "A", "C", "E"):
        CustomerFactory(owner=org.rep_a1, name=f"{name}公司")
    client = client_for(org.rep_a1)
    first = client.get(LIST, {"sort": "name"})
    assert names(first) == ["A公司", "B公司"]
    assert first.context["page"].next_url == "?sort=name&page=2"
    assert names(client.get(LIST, {"sort": "name", "page": 3})) == ["E公司"]


# --- saved filters ------------------------------------------------------------------------------------


def save_filter(client, name: str, query: str, shared: bool = False):  # type: ignore[no-untyped-def]
    data = {"list": "customers", "name": name, "query": query}
    if shared:
        data["shared"] = "on"
    return client.post(reverse("crm:list_filter_save"), data)


def test_personal_filter_is_mine_and_a_shared_one_is_everyones(client_for, org):
    CustomerFactory(owner=org.rep_a1)
    rep = client_for(org.rep_a1)
    response = save_filter(rep, "我的A级", "grade=A&page=3&junk=1")
    assert response.status_code == 302 and response["Location"] == LIST + "?grade=A"
    mine = SavedListFilter.objects.get(name="我的A级")
    assert (mine.query, mine.shared, mine.owner) == ("grade=A", False, org.rep_a1)
    save_filter(client_for(org.manager_a), "团队重点", "grade=B&sort=-name", shared=True)

    own_page = client_for(org.rep_a1).get(LIST).content.decode()
    assert "我的A级" in own_page and "团队重点" in own_page
    other_page = client_for(org.rep_b1).get(LIST).content.decode()
    assert "团队重点" in other_page and "我的A级" not in other_page


def test_a_rep_cannot_share_and_nothing_is_saved(client_for, org):
    response = save_filter(client_for(org.rep_a1), "想共享", "grade=A", shared=True)
    assert response.status_code == 302 and "只有经理可以共享筛选。" in notes(response)
    assert not SavedListFilter.objects.exists()


def test_same_name_twice_is_refused_with_a_message(client_for, org):
    rep = client_for(org.rep_a1)
    save_filter(rep, "重复", "grade=A")
    response = save_filter(rep, "重复", "grade=B")
    assert "您已经有一个名为“重复”的筛选。" in notes(response)
    assert SavedListFilter.objects.get().query == "grade=A"


def test_only_its_creator_deletes_a_shared_filter(client_for, org):
    save_filter(client_for(org.manager_a), "团队重点", "grade=B", shared=True)
    saved = SavedListFilter.objects.get()
    url = reverse("crm:list_filter_delete")
    client_for(org.rep_a1).post(url, {"list": "customers", "pk": saved.pk})
    assert SavedListFilter.objects.filter(pk=saved.pk).exists()
    client_for(org.manager_a).post(url, {"list": "customers", "pk": saved.pk})
    assert not SavedListFilter.objects.exists()


def test_list_tools_are_closed_to_finance(client_for, org):
    response = save_filter(client_for(org.finance), "x", "grade=A")
    assert response.status_code == 404 and not SavedListFilter.objects.exists()


# --- columns ------------------------------------------------------------------------------------------


def test_chosen_columns_are_remembered(client_for, org):
    CustomerFactory(owner=org.rep_a1, name="列测试公司", phone="13912345678")
    client = client_for(org.rep_a1)
    before = client.get(LIST)
    assert before.context["columns"] == [
        "name",
        "grade",
        "status",
        "region",
        "industry",
        "owner",
        "last_contacted",
    ]
    client.post(
        reverse("crm:list_columns_save"), {"list": "customers", "columns": ["phone", "grade", "bogus"]}
    )
    assert ListColumnChoice.objects.get(user=org.rep_a1).columns == "name,grade,phone"
    after = client.get(LIST)
    assert after.context["columns"] == ["name", "grade", "phone"]
    body = after.content.decode()
    assert "13912345678" in body and 'data-label="大区"' not in body


# --- bulk actions -------------------------------------------------------------------------------------


def test_manager_transfers_ticked_customers_and_the_rules_refuse_the_rest(client_for, org):
    one = CustomerFactory(owner=org.rep_a1, name="转移一")
    two = CustomerFactory(owner=org.rep_a1, name="转移二")
    already = CustomerFactory(owner=org.rep_a2, name="本来就是甲二的")
    foreign = CustomerFactory(owner=org.rep_b1, name="乙队的")
    response = client_for(org.manager_a).post(
        reverse("crm:customer_bulk"),
        {
            "action": "transfer",
            "to_user": org.rep_a2.pk,
            "ids": [one.pk, two.pk, already.pk, foreign.pk],
            "back": "grade=C",
        },
    )
    assert response.status_code == 302 and response["Location"] == LIST + "?grade=C"
    owners = dict(Customer.objects.values_list("name", "owner_id"))
    assert owners == {
        "转移一": org.rep_a2.pk,
        "转移二": org.rep_a2.pk,
        "本来就是甲二的": org.rep_a2.pk,
        "乙队的": org.rep_b1.pk,
    }
    assert OwnershipChange.objects.filter(to_user=org.rep_a2).count() == 2
    said = notes(response)
    assert "已将 2 个客户转给销售甲二。" in said
    assert f"#{foreign.pk}：客户不存在或您无权查看。" in said
    assert any(s.startswith("本来就是甲二的：") for s in said)


def test_manager_cannot_transfer_to_someone_outside_the_team(client_for, org):
    mine = CustomerFactory(owner=org.rep_a1)
    response = client_for(org.manager_a).post(
        reverse("crm:customer_bulk"), {"action": "transfer", "to_user": org.rep_b1.pk, "ids": [mine.pk]}
    )
    assert "请选择接收客户的团队成员。" in notes(response)
    assert Customer.objects.get(pk=mine.pk).owner == org.rep_a1


def test_a_rep_has_no_bulk_transfer(client_for, org):
    mine = CustomerFactory(owner=org.rep_a1)
    client = client_for(org.rep_a1)
    assert 'id="bulk"' not in client.get(LIST).content.decode()
    response = client.post(
        reverse("crm:customer_bulk"), {"action": "transfer", "to_user": org.rep_a2.pk, "ids": [mine.pk]}
    )
    assert "请选择一个您可以执行的批量操作。" in notes(response)
    assert Customer.objects.get(pk=mine.pk).owner == org.rep_a1 and not OwnershipChange.objects.exists()


# --- export -------------------------------------------------------------------------------------------


def sheet_rows(response) -> list[list]:  # type: ignore[no-untyped-def]
    content = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_excel_export_is_the_filtered_list_in_the_managers_scope_and_logged(client_for, org):
    CustomerFactory(owner=org.rep_a1, name="甲队A级", grade="A")
    CustomerFactory(owner=org.rep_a2, name="甲队C级", grade="C")
    CustomerFactory(owner=org.rep_b1, name="乙队A级", grade="A")
    CustomerFactory(owner=org.rep_a1, name='=HYPERLINK("http://x")', grade="A")
    response = client_for(org.manager_a).get(reverse("crm:customer_export"), {"grade": "A", "file": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    rows = sheet_rows(response)
    assert rows[0][:2] == ["客户名称", "客户等级"]
    assert sorted(r[0] for r in rows[1:]) == ['\'=HYPERLINK("http://x")', "甲队A级"]
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.rows, log.filters) == (org.manager_a, "customer_list", 2, "grade=A")


def test_excel_export_row_shows_every_column_in_words(client_for, org):
    """The export reads plain values (issue 16, 100k rows): each cell is still what a user reads."""
    from crm.models import CustomerStatus, Grade
    from tests.factories import IndustryFactory

    CustomerFactory(
        owner=org.rep_a1,
        name="星河科技有限公司",
        grade=Grade.B,
        status=CustomerStatus.INTENT,
        region=org.region,
        industry=IndustryFactory(name="制造业"),
        contact_person="-王经理",
        phone="13912345678",
    )
    CustomerFactory(owner=org.rep_a2, name="无大区客户", grade=Grade.D, status=CustomerStatus.DORMANT)
    rows = sheet_rows(client_for(org.manager_a).get(reverse("crm:customer_export"), {"file": "xlsx"}))
    assert rows == [
        ["客户名称", "客户等级", "客户状态", "大区", "行业", "负责人", "联系人", "联系电话"],
        [
            "星河科技有限公司",
            "B 明确需求，2-3个月",
            "意向客户",
            "华东大区",
            "制造业",
            "销售甲一",
            "'-王经理",
            "13912345678",
        ],
        ["无大区客户", "D 培育中，有计划", "沉睡客户", None, None, "销售甲二", "张经理", rows[2][7]],
    ]


def test_export_of_ticked_rows_never_contains_another_teams_customer(client_for, org):
    ours = CustomerFactory(owner=org.rep_a1, name="我们的")
    theirs = CustomerFactory(owner=org.rep_b1, name="他们的")
    response = client_for(org.manager_a).post(
        reverse("crm:customer_bulk"), {"action": "export", "ids": [ours.pk, theirs.pk]}
    )
    assert [r[0] for r in sheet_rows(response)[1:]] == ["我们的"]


def test_a_reps_export_is_refused_and_nothing_logged(client_for, org):
    mine = CustomerFactory(owner=org.rep_a1, name="我的")
    client = client_for(org.rep_a1)
    assert client.get(reverse("crm:customer_export"), {"file": "xlsx"}).status_code == 404
    response = client.post(reverse("crm:customer_bulk"), {"action": "export", "ids": [mine.pk]})
    assert response.status_code == 302 and not ExportLog.objects.exists()


# --- query counts -------------------------------------------------------------------------------------


def _queries(client, url: str, params: dict) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"sort": "-last_contacted", "grade": "C"}, {"owner": "0"}])
def test_list_queries_do_not_grow_with_the_list(client_for, org, params):
    client = client_for(org.manager_a)
    save_filter(client, "一个场景", "grade=C", shared=True)
    CustomerFactory(owner=org.rep_a1)
    if params.get("owner"):
        params = {"owner": org.rep_a1.pk}
    _queries(client, LIST, params)
    few = _queries(client, LIST, params)
    for _ in range(30):
        CustomerFactory(owner=org.rep_a1)
    assert _queries(client, LIST, params) == few


# --- API ----------------------------------------------------------------------------------------------


def test_api_sorts_filters_and_gives_the_total(api_for, org):
    for name in ("B公司", "A公司", "C公司"):
        CustomerFactory(owner=org.rep_a1, name=name)
    CustomerFactory(owner=org.rep_a2, name="D公司")
    api = api_for(org.manager_a)
    body = api.get("/api/customers/", {"sort": "name", "owner": org.rep_a1.pk, "with_total": "true"}).json()
    assert [c["name"] for c in body["results"]] == ["A公司", "B公司", "C公司"]
    assert (body["total"], body["total_estimated"]) == (3, False)
    assert [c["name"] for c in api.get("/api/customers/", {"sort": "-name"}).json()["results"]] == [
        "D公司",
        "C公司",
        "B公司",
        "A公司",
    ]


def test_api_sort_pages_follow_the_cursor(api_for, org):
    for name in ("E", "B", "D", "A", "C"):
        CustomerFactory(owner=org.rep_a1, name=f"{name}公司")
    api = api_for(org.rep_a1)
    first = api.get("/api/customers/", {"sort": "name", "page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    got = [c["name"] for page in (first, second, third) for c in page["results"]]
    assert got == ["A公司", "B公司", "C公司", "D公司", "E公司"]


@pytest.mark.parametrize("params", [{"sort": "region"}, {"sort": "bogus"}, {"date_from": "2026-02-30"}])
def test_api_bad_list_parameters_are_a_400_with_a_message(api_for, org, params):
    response = api_for(org.rep_a1).get("/api/customers/", params)
    assert response.status_code == 400 and response.json()["code"] == "invalid_list_query"


def test_api_team_filter_never_widens_the_scope(api_for, org):
    CustomerFactory(owner=org.rep_b1, name="乙队的")
    body = api_for(org.manager_a).get("/api/customers/", {"team": org.dept_b.pk, "with_total": "1"}).json()
    assert body["results"] == [] and body["total"] == 0


# --- the same tools on the contract list ----------------------------------------------------------------


def test_contract_list_sorts_filters_by_owner_and_counts(client_for, org):
    from crm.models import Contract

    for owner, number, amount in (
        (org.rep_a1, "HT-2", "300.00"),
        (org.rep_a2, "HT-1", "100.00"),
        (org.rep_a1, "HT-3", "200.00"),
        (org.rep_b1, "HT-9", "900.00"),
    ):
        Contract.objects.create(
            number=number,
            customer=CustomerFactory(owner=owner),
            owner=owner,
            title=f"合同{number}",
            amount=amount,
        )
    client = client_for(org.manager_a)
    by_amount = client.get(reverse("crm:contract_list"), {"sort": "-amount"})
    assert [c.number for c in by_amount.context["rows"]] == ["HT-2", "HT-3", "HT-1"]
    assert by_amount.context["total"].value == 3
    mine = client.get(reverse("crm:contract_list"), {"owner": org.rep_a1.pk, "sort": "number"})
    assert [c.number for c in mine.context["rows"]] == ["HT-2", "HT-3"]
    body = mine.content.decode()
    assert "¥300.00" in body and "¥200.00" in body and "¥900.00" not in body


def test_contract_list_saved_filter_goes_back_to_the_contract_list(client_for, org):
    response = client_for(org.rep_a1).post(
        reverse("crm:list_filter_save"), {"list": "contracts", "name": "已签", "query": "status=signed"}
    )
    assert response["Location"] == reverse("crm:contract_list") + "?status=signed"
    assert SavedListFilter.objects.get().list_key == "contracts"


# --- the same tools on the order list (finance opens it too) ---------------------------------------------


def test_order_list_sorts_by_outstanding_and_filters_by_booking_date(client_for, org):
    from crm.models import Payment

    early = make_order(owner=org.rep_a1, booked_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    late = make_order(owner=org.rep_a2, booked_at=dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC))
    Payment.objects.create(
        order=late, amount=Decimal("7500.00"), received_on=dt.date(2026, 5, 3), recorded_by=org.finance
    )
    client = client_for(org.finance)
    by_outstanding = client.get(reverse("crm:order_list"), {"sort": "-outstanding"})
    assert [o.number for o in by_outstanding.context["rows"]] == [early.number, late.number]
    assert "¥2,500.00" in by_outstanding.content.decode()
    march = client.get(reverse("crm:order_list"), {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert [o.number for o in march.context["rows"]] == [early.number]
    assert march.context["total"].value == 1


@pytest.mark.parametrize("url_name", ["crm:contract_list", "crm:order_list"])
def test_contract_and_order_list_queries_do_not_grow(client_for, org, url_name):
    from crm.models import Contract

    client = client_for(org.manager_a)

    def add(n: int) -> None:
        for _ in range(n):
            customer = CustomerFactory(owner=org.rep_a1)
            make_order(owner=org.rep_a1, customer=customer)
            Contract.objects.create(
                number=f"HT{Contract.objects.count() + 1:05d}",
                customer=customer,
                owner=org.rep_a1,
                title="合同",
                amount=Decimal("1.00"),
            )

    add(1)
    _queries(client, reverse(url_name), {"sort": "-created" if "contract" in url_name else "-total"})
    few = _queries(client, reverse(url_name), {})
    add(20)
    assert _queries(client, reverse(url_name), {}) == few


# --- PostgreSQL: the estimated total on very large tables -----------------------------------------------


@pytest.mark.postgres
def test_total_is_the_planner_estimate_above_the_threshold_on_postgres(client_for, org, settings):
    for _ in range(3):
        CustomerFactory(owner=org.rep_a1)
    client = client_for(org.rep_a1)
    settings.CRM_LIST_ESTIMATE_ABOVE = 1_000_000
    exact = client.get(LIST).context["total"]
    assert (exact.value, exact.estimated) == (3, False)
    settings.CRM_LIST_ESTIMATE_ABOVE = -1  # any estimate is "very large"
    response = client.get(LIST)
    assert response.context["total"].estimated is True
    assert "约 " in response.content.decode()


@pytest.mark.postgres
@pytest.mark.parametrize(("threshold", "expected"), [(5, [3, 0]), (3, [3, 0]), (2, [1000, 1])])
def test_a_planner_overestimate_is_counted_up_to_the_threshold(threshold, expected):
    """The planner guesses 1,000 rows for a set-returning function it cannot see into; the list has 3.
    Under the threshold that guess is checked by counting (at most threshold + 1 rows): a rep's 10,000
    contracts were shown as "约 55,093" when the scope's OR was estimated at half the table."""
    from django.db import connection

    query = "SELECT g FROM generate_series(1, (SELECT 3)) AS g"
    with connection.cursor() as cursor:
        cursor.execute("SELECT common_list_total(%s, %s)", [query, threshold])
        assert cursor.fetchone()[0] == expected


@pytest.mark.postgres
def test_list_total_counts_when_the_estimate_is_above_the_threshold_but_the_rows_are_not(org, monkeypatch):
    """The same rule where the total is asked on its own (an empty later page, the API without rows)."""
    from common import listtools
    from crm.models import Customer

    for _ in range(3):
        CustomerFactory(owner=org.rep_a1)
    qs = Customer.objects.filter(owner=org.rep_a1)
    monkeypatch.setattr(listtools, "_planner_rows", lambda _qs: 55_093)  # the planner's guess
    assert listtools.list_total(qs, estimate_above=20_000) == listtools.ListTotal(3, False)
    assert listtools.list_total(qs, estimate_above=3) == listtools.ListTotal(3, False)
    assert listtools.list_total(qs, estimate_above=2) == listtools.ListTotal(55_093, True)


def test_contract_and_order_apis_sort_filter_and_count(api_for, org):
    from crm.models import Contract

    for owner, number, amount in ((org.rep_a1, "HT-2", "300.00"), (org.rep_a2, "HT-1", "100.00")):
        Contract.objects.create(
            number=number,
            customer=CustomerFactory(owner=owner),
            owner=owner,
            title="合同",
            amount=Decimal(amount),
        )
    make_order(owner=org.rep_a1, booked_at=dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    make_order(owner=org.rep_a2, booked_at=dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC))
    api = api_for(org.manager_a)
    contracts = api.get("/api/contracts/", {"sort": "amount", "with_total": "1"}).json()
    assert [c["number"] for c in contracts["results"]] == ["HT-1", "HT-2"] and contracts["total"] == 2
    orders = api.get("/api/orders/", {"date_to": "2026-03-31", "with_total": "1"}).json()
    assert orders["total"] == 1 and len(orders["results"]) == 1
    assert api.get("/api/orders/", {"sort": "outstanding"}).status_code == 400
