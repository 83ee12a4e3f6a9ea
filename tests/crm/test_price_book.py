"""Issue 16/17: the price book. Every bypass of issue 17's list ("prices, floors and costs are typed by
the rep") has a test here that failed on the old code, with exact amounts; plus the per-line discount
rule, the price in force by date, the Excel import's row report, and page/API parity."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from common.errors import DomainError
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    Category,
    Contract,
    Order,
    OrderStatus,
    Product,
    Quote,
    QuoteStatus,
)
from crm.services import catalog
from crm.services import contracts as contract_services
from crm.services import orders as order_services
from crm.services import quotes as quote_services
from crm.services.approvals import approval_decide, authority_rules_seed_defaults
from tests.crm.factories import priced_product, signed_contract, visited_customer

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _book(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    priced_product(
        "SRV",
        "100000.00",
        "80000.00",
        name="服务器",
        category="sourced",
        cost_basis="sourced",
        unit_cost="45000.00",
    )
    priced_product("LIC", "1000.00", "700.00", name="软件许可")
    priced_product("PEN", "10.00", "8.00", name="签字笔")


# ---- the categories are data --------------------------------------------------------------------------


def test_categories_seeded_with_the_partner_forms_five_and_every_plan_code():  # type: ignore[no-untyped-def]
    names = dict(Category.objects.values_list("code", "name"))
    assert [
        names[c]
        for c in ("family_edu_ticket", "student_camp", "micro_course", "partner_development", "books")
    ] == [
        "家庭教育门票",
        "学生特训营",
        "微课程",
        "合伙人发展",
        "书籍",
    ]
    # the codes the shipped commission plans key their category rates by all exist
    import json
    from pathlib import Path

    plan_codes: set[str] = set()
    for f in Path("commissions/plans").glob("*.json"):
        for comp in json.loads(f.read_text()).get("components", []):
            if comp.get("type") in ("category_rates", "rebate"):
                plan_codes |= set(comp.get("rates", {}))
    assert plan_codes and plan_codes <= set(names)


# ---- price in force by date ---------------------------------------------------------------------------


def test_price_in_force_is_the_latest_row_started_on_or_before_the_day(org):  # type: ignore[no-untyped-def]
    p = priced_product("BK", "38.00", "30.00", on=dt.date(2026, 1, 1))
    catalog.product_price_set(
        by=org.finance, product=p, effective_from=dt.date(2026, 3, 1), list_price="42.50", floor_price="33.00"
    )
    assert catalog.price_in_force(p, dt.date(2025, 12, 31)) is None
    assert catalog.price_in_force(p, dt.date(2026, 2, 28)).list_price == D("38.00")  # type: ignore[union-attr]
    assert catalog.price_in_force(p, dt.date(2026, 3, 1)).list_price == D("42.50")  # type: ignore[union-attr]
    assert catalog.price_in_force(p, dt.date(2030, 1, 1)).floor_price == D("33.00")  # type: ignore[union-attr]


def test_order_is_priced_from_the_row_in_force_on_its_booking_day(org):  # type: ignore[no-untyped-def]
    p = priced_product("BK", "38.00", "30.00", on=dt.date(2026, 1, 1))
    catalog.product_price_set(
        by=org.finance, product=p, effective_from=dt.date(2026, 3, 1), list_price="42.50", floor_price="33.00"
    )
    contract = signed_contract(org.rep_a1, org.manager_a)
    before = order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[{"product": "BK", "quantity": "2", "unit_price": "31.00"}],
        booked_at=dt.datetime(2026, 2, 10, 10, tzinfo=dt.UTC),
    )
    after = order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[{"product": "BK", "quantity": "2", "unit_price": "31.00"}],
        booked_at=dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC),
    )
    b, a = before.lines.get(), after.lines.get()
    assert (b.list_price, b.floor_price, before.status) == (D("38.00"), D("30.00"), OrderStatus.BOOKED)
    assert (a.list_price, a.floor_price, after.status) == (
        D("42.50"),
        D("33.00"),
        OrderStatus.PENDING_APPROVAL,
    )


def test_price_rows_refuse_floor_above_list_and_sourced_without_cost(org):  # type: ignore[no-untyped-def]
    p = Product.objects.get(code="SRV")
    with pytest.raises(DomainError) as exc:
        catalog.product_price_set(
            by=org.finance,
            product=p,
            effective_from=dt.date(2026, 5, 1),
            list_price="100.00",
            floor_price="100.01",
            unit_cost="1",
        )
    assert exc.value.code == "floor_above_list"
    with pytest.raises(DomainError) as exc:
        catalog.product_price_set(
            by=org.finance,
            product=p,
            effective_from=dt.date(2026, 5, 1),
            list_price="100.00",
            floor_price="80.00",
        )
    assert exc.value.code == "cost_required"
    assert p.prices.count() == 1


# ---- issue 17: the bypasses ---------------------------------------------------------------------------


def test_order_line_at_list_100000_priced_10_with_no_floor_sent_waits_for_below_floor_approval(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("200000.00"))
    order = order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[
            {
                "product": "SRV",
                "category": "regular",
                "quantity": "1",
                "list_price": "100000.00",
                "unit_price": "10.00",
            }
        ],
    )
    line = order.lines.get()
    assert (line.list_price, line.floor_price, line.unit_price, line.amount) == (
        D("100000.00"),
        D("80000.00"),
        D("10.00"),
        D("10.00"),
    )
    assert order.status == OrderStatus.PENDING_APPROVAL
    assert ApprovalRequest.objects.filter(kind=ApprovalKind.BELOW_FLOOR, object_id=order.pk).count() == 1


def test_floor_and_cost_sent_by_the_rep_are_ignored(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("200000.00"))
    order = order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[
            {
                "product": "SRV",
                "quantity": "2",
                "list_price": "10.00",
                "unit_price": "79999.99",
                "floor_price": "0.00",
                "unit_cost": "0.00",
                "tax": "0.00",
                "category": "partner_referral",
            }
        ],
    )
    line = order.lines.get()
    assert (line.floor_price, line.unit_cost, line.category, line.product) == (
        D("80000.00"),
        D("45000.00"),
        "sourced",
        "服务器",
    )
    assert order.total == D("159999.98")
    assert order.status == OrderStatus.PENDING_APPROVAL  # ¥0.01 under the floor


def test_order_far_above_its_contract_waits_for_approval_then_books(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("1500.00"))
    first = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{"product": "LIC", "quantity": "1", "unit_price": "1000.00"}]
    )
    assert first.status == OrderStatus.BOOKED
    assert order_services.contract_remaining(contract) == D("500.00")
    big = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{"product": "LIC", "quantity": "3", "unit_price": "1000.00"}]
    )
    assert big.status == OrderStatus.PENDING_APPROVAL
    req = ApprovalRequest.objects.get(kind=ApprovalKind.ORDER_OVER_CONTRACT, object_id=big.pk)
    assert req.amount == D("2500.00")
    with pytest.raises(DomainError) as exc:  # a department manager is below the matrix's row
        approval_decide(request=req, by=org.manager_a, approve=True)
    assert exc.value.code == "above_authority"
    approval_decide(request=req, by=org.regional_manager, approve=True, reason="客户追加采购")
    big.refresh_from_db()
    assert big.status == OrderStatus.BOOKED
    assert order_services.contract_remaining(contract) == D("-2500.00")


def test_order_above_contract_rejected_is_not_booked(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("999.99"))
    order = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{"product": "LIC", "quantity": "1", "unit_price": "1000.00"}]
    )
    req = ApprovalRequest.objects.get(kind=ApprovalKind.ORDER_OVER_CONTRACT, object_id=order.pk)
    assert req.amount == D("0.01")
    approval_decide(request=req, by=org.regional_manager, approve=False, reason="请先补签合同")
    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED


def test_below_floor_and_over_contract_need_both_approvals_in_turn(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("100.00"))
    order = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{"product": "LIC", "quantity": "1", "unit_price": "600.00"}]
    )
    below = ApprovalRequest.objects.get(kind=ApprovalKind.BELOW_FLOOR, object_id=order.pk)
    approval_decide(request=below, by=org.regional_manager, approve=True, rate=D("0.02"), reason="清库存")
    order.refresh_from_db()
    assert (order.status, order.below_floor_rate) == (OrderStatus.PENDING_APPROVAL, D("0.020000"))
    over = ApprovalRequest.objects.get(kind=ApprovalKind.ORDER_OVER_CONTRACT, object_id=order.pk)
    assert over.amount == D("500.00")
    approval_decide(request=over, by=org.regional_manager, approve=True, reason="同意")
    order.refresh_from_db()
    assert order.status == OrderStatus.BOOKED


def _approved_quote(org, lines):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    customer = visited_customer(rep)
    quote = quote_services.quote_create(by=rep, customer=customer, title="年度采购报价", lines=lines)
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    quote.refresh_from_db()
    req = ApprovalRequest.objects.filter(kind=ApprovalKind.QUOTE_DISCOUNT, object_id=quote.pk).first()
    while req is not None and req.status == "pending":
        step = req.steps.get(order=req.current_order)
        req = approval_decide(request=req, by=step.assignee or org.president, approve=True, reason="同意")
    quote.refresh_from_db()
    return quote


def test_a_zero_line_plus_a_filler_line_does_not_pass_the_discount_check(org):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    quote = quote_services.quote_create(
        by=rep,
        customer=visited_customer(rep),
        title="拼单报价",
        lines=[
            {"product": "SRV", "quantity": "1", "quoted_price": "0.00"},
            {"product": "PEN", "quantity": "1", "quoted_price": "100010.00"},
        ],
    )
    assert (quote.list_total, quote.quoted_total, quote.price_ratio) == (
        D("100010.00"),
        D("100010.00"),
        D("1"),
    )
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING
    req = ApprovalRequest.objects.get(kind=ApprovalKind.QUOTE_DISCOUNT, object_id=quote.pk)
    assert req.ratio == D("0")  # the deepest line decides who must approve


def test_one_line_below_list_needs_approval_even_when_the_total_is_at_list(org):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    quote = quote_services.quote_create(
        by=rep,
        customer=visited_customer(rep),
        title="报价",
        lines=[
            {"product": "LIC", "quantity": "1", "discount_rate": "0.1"},  # ¥900.00
            {"product": "PEN", "quantity": "1", "quoted_price": "110.00"},
        ],
    )
    assert [ln.quoted_price for ln in quote.lines.order_by("id")] == [D("900.00"), D("110.00")]
    assert (quote.list_total, quote.quoted_total) == (D("1010.00"), D("1010.00"))
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    req = ApprovalRequest.objects.get(kind=ApprovalKind.QUOTE_DISCOUNT, object_id=quote.pk)
    assert req.ratio == D("0.9")


def test_quote_list_price_sent_by_the_rep_is_ignored(org):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    quote = quote_services.quote_create(
        by=rep,
        customer=visited_customer(rep),
        title="报价",
        lines=[{"product": "LIC", "quantity": "2", "list_price": "500.00", "quoted_price": "500.00"}],
    )
    assert (quote.list_total, quote.quoted_total, quote.price_ratio) == (D("2000.00"), D("1000.00"), D("0.5"))
    quote_services.quote_transition(quote=quote, to=QuoteStatus.PENDING, by=rep)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING


def test_unknown_or_retired_product_refused(org):  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    customer = visited_customer(rep)
    with pytest.raises(DomainError) as exc:
        quote_services.quote_create(
            by=rep, customer=customer, title="报价", lines=[{"product": "自编产品", "quantity": "1"}]
        )
    assert exc.value.message == "第1行：产品“自编产品”不在产品目录中。"
    Product.objects.filter(code="PEN").update(active=False)
    with pytest.raises(DomainError) as exc:
        quote_services.quote_create(
            by=rep, customer=customer, title="报价", lines=[{"product": "PEN", "quantity": "1"}]
        )
    assert exc.value.code == "inactive_product"
    assert not Quote.objects.exists()


def test_contract_amount_and_list_amount_come_from_the_approved_quote(org):  # type: ignore[no-untyped-def]
    quote = _approved_quote(
        org,
        [
            {"product": "LIC", "quantity": "3", "quoted_price": "850.00"},
            {"product": "PEN", "quantity": "10", "quoted_price": "9.50"},
        ],
    )
    assert (quote.status, quote.list_total, quote.quoted_total) == (
        QuoteStatus.APPROVED,
        D("3100.00"),
        D("2645.00"),
    )
    with pytest.raises(DomainError) as exc:
        contract_services.contract_create(
            by=org.rep_a1, customer=quote.customer, title="", quote=quote, amount="9999.00"
        )
    assert exc.value.code == "amount_not_quote"
    contract = contract_services.contract_create(
        by=org.rep_a1, customer=quote.customer, title="", quote=quote, list_amount="2645.00"
    )
    assert (contract.title, contract.amount, contract.list_amount) == (
        "年度采购报价",
        D("2645.00"),
        D("3100.00"),
    )


def test_contract_without_quote_takes_no_typed_list_amount(org):  # type: ignore[no-untyped-def]
    from tests.factories import CustomerFactory

    contract = contract_services.contract_create(
        by=org.rep_a1,
        customer=CustomerFactory(owner=org.rep_a1),
        title="服务合同",
        amount="2000.00",
        list_amount="1000.00",
    )
    assert (contract.amount, contract.list_amount) == (D("2000.00"), None)


def _sign(contract, org):  # type: ignore[no-untyped-def]
    from crm.models import ContractStatus

    contract_services.contract_transition(contract=contract, to=ContractStatus.IN_REVIEW, by=org.rep_a1)
    req = ApprovalRequest.objects.get(object_id=contract.pk, kind="contract")
    approval_decide(request=req, by=org.manager_a, approve=True, reason="同意")
    return contract_services.contract_transition(contract=contract, to=ContractStatus.SIGNED, by=org.rep_a1)


def test_orders_under_a_quote_contract_take_its_lines_and_prices(org):  # type: ignore[no-untyped-def]
    quote = _approved_quote(
        org,
        [
            {"product": "LIC", "quantity": "3", "quoted_price": "850.00"},
            {"product": "PEN", "quantity": "10", "quoted_price": "9.50"},
        ],
    )
    contract = _sign(
        contract_services.contract_create(by=org.rep_a1, customer=quote.customer, title="", quote=quote), org
    )
    part = order_services.order_create(
        by=org.rep_a1, contract=contract, lines=[{"product": "LIC", "quantity": "2", "unit_price": "1.00"}]
    )
    line = part.lines.get()
    assert (line.unit_price, line.list_price, line.floor_price, part.total, part.status) == (
        D("850.00"),
        D("1000.00"),
        D("700.00"),
        D("1700.00"),
        OrderStatus.BOOKED,
    )
    with pytest.raises(DomainError) as exc:
        order_services.order_create(
            by=org.rep_a1, contract=contract, lines=[{"product": "SRV", "quantity": "1"}]
        )
    assert exc.value.code == "not_on_quote"
    rest = order_services.order_create(by=org.rep_a1, contract=contract, lines=[])  # the whole quote
    assert sorted((ln.product, ln.quantity, ln.amount) for ln in rest.lines.all()) == [
        ("签字笔", D("10.00"), D("95.00")),
        ("软件许可", D("3.00"), D("2550.00")),
    ]
    assert rest.status == OrderStatus.PENDING_APPROVAL  # 1,700 + 2,645 is beyond the 2,645 contract
    assert ApprovalRequest.objects.get(kind=ApprovalKind.ORDER_OVER_CONTRACT, object_id=rest.pk).amount == D(
        "1700.00"
    )


# ---- Excel import / export ----------------------------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = [
    "产品编码",
    "产品名称",
    "类别",
    "单位",
    "成本类型",
    "在售",
    "生效日期",
    "标准价",
    "最低价",
    "单位成本",
]


def test_import_reports_each_bad_row_and_saves_none_of_it(org):  # type: ignore[no-untyped-def]
    content = _xlsx(
        [
            HEADER,
            ["TKT-1", "家庭教育门票（成人）", "家庭教育门票", "张", "", "是", "2026-01-01", 1980, 1500, None],
            ["TKT-2", "", "家庭教育门票", "张", "", "是", "2026-01-01", 1980, 1500, None],
            ["TKT-3", "门票", "不存在的类别", "张", "", "是", "2026-01-01", 1980, 1500, None],
            ["TKT-4", "门票", "书籍", "本", "", "是", "2026-01-01", 100, 120, None],
            ["HW-9", "外调硬件", "外调产品", "台", "外调", "是", "2026-01-01", 3500, 2450, None],
            ["TKT-5", "门票", "书籍", "本", "", "是", "2026/13/01", 100, 80, None],
            ["LIC", "软件许可（新版）", "", "", "", "", "2026-06-01", "1200.00", "840.00", None],
        ]
    )
    result = catalog.product_import(by=org.finance, filename="价格表.xlsx", content=content)
    assert [p.code for p in result.created] == ["TKT-1"]
    assert [p.code for p in result.updated] == ["LIC"]
    assert result.errors == [
        (3, "请填写产品名称。"),
        (4, "类别“不存在的类别”不存在。"),
        (5, "最低价不能高于标准价。"),
        (6, "外调、外包产品须填写单位成本。"),
        (7, "生效日期“2026/13/01”无效（格式：2026-01-31）。"),
    ]
    assert not Product.objects.filter(code__in=["TKT-2", "TKT-3", "TKT-4", "HW-9", "TKT-5"]).exists()
    lic = Product.objects.get(code="LIC")
    assert lic.name == "软件许可（新版）"
    assert catalog.price_in_force(lic, dt.date(2026, 6, 1)).list_price == D("1200.00")  # type: ignore[union-attr]
    assert catalog.price_in_force(lic, dt.date(2026, 5, 31)).list_price == D("1000.00")  # type: ignore[union-attr]


def test_export_reads_back_with_the_same_columns_and_escapes_formulas(org):  # type: ignore[no-untyped-def]
    catalog.product_save(by=org.finance, code="=EVIL", name='=HYPERLINK("x")', category="books")
    data = catalog.product_export(Product.objects.all(), on=dt.date(2026, 1, 1))
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["'=EVIL"][1] == '\'=HYPERLINK("x")'
    assert by_code["SRV"][2:] == (
        "外调产品",
        "件",
        "外调",
        "是",
        dt.datetime(2020, 1, 1),
        100000,
        80000,
        45000,
    )
    again = catalog.product_import(
        by=org.finance, filename="back.xlsx", content=_xlsx([list(r) for r in rows if r[0] != "'=EVIL"])
    )
    assert (len(again.created), len(again.updated), again.errors) == (0, 3, [])


# ---- pages and API: the same service, the same numbers ------------------------------------------------


def test_rep_reads_the_price_book_but_cannot_change_it(org, client_for, api_for):  # type: ignore[no-untyped-def]
    body = client_for(org.rep_a1).get(reverse("crm:product_list") + "?q=服务器").content.decode()
    assert "¥100,000.00" in body and "¥80,000.00" in body and "软件许可" not in body
    assert client_for(org.rep_a1).get(reverse("crm:product_create")).status_code == 404  # not offered
    r = api_for(org.rep_a1).post(
        "/api/products/", {"code": "X", "name": "X", "category": "regular"}, format="json"
    )
    assert r.status_code == 403
    p = Product.objects.get(code="LIC")
    r = api_for(org.rep_a1).post(
        f"/api/products/{p.pk}/prices/",
        {"effective_from": "2026-01-01", "list_price": "1", "floor_price": "1"},
        format="json",
    )
    assert r.status_code == 403
    assert p.prices.count() == 1


def test_page_and_api_create_the_same_product_and_price(org, client_for, api_for):  # type: ignore[no-untyped-def]
    regular = Category.objects.get(code="regular")
    resp = client_for(org.manager_a).post(
        reverse("crm:product_create"),
        {
            "code": "WEB-1",
            "name": "官网套餐",
            "category": regular.pk,
            "unit": "套",
            "cost_basis": "own",
            "active": "on",
            "price-effective_from": "2026-01-01",
            "price-list_price": "13460.00",
            "price-floor_price": "9000.00",
        },
    )
    assert resp.status_code == 302
    r = api_for(org.finance).post(
        "/api/products/",
        {
            "code": "WEB-2",
            "name": "官网套餐",
            "category": "regular",
            "unit": "套",
            "first_price": {
                "effective_from": "2026-01-01",
                "list_price": "13460.00",
                "floor_price": "9000.00",
            },
        },
        format="json",
    )
    assert r.status_code == 201
    assert r.data["price"]["list_price"] == "13460.00"
    listed = {
        x["code"]: x for x in api_for(org.rep_a1).get("/api/products/?q=官网&on=2026-02-01").data["results"]
    }
    assert {c: (x["price"]["list_price"], x["price"]["floor_price"]) for c, x in listed.items()} == {
        "WEB-1": ("13460.00", "9000.00"),
        "WEB-2": ("13460.00", "9000.00"),
    }
    body = client_for(org.rep_a1).get(reverse("crm:product_list") + "?q=官网&on=2026-02-01").content.decode()
    assert body.count("¥13,460.00") == 2
    bad = api_for(org.finance).post(
        "/api/products/",
        {
            "code": "WEB-3",
            "name": "x",
            "category": "regular",
            "first_price": {"effective_from": "2026-01-01", "list_price": "10.00", "floor_price": "11.00"},
        },
        format="json",
    )
    assert bad.status_code == 400 and bad.data["code"] == "floor_above_list"
    assert not Product.objects.filter(code="WEB-3").exists()


def test_quote_page_and_api_price_the_same_lines_the_same_way(org, client_for, api_for):  # type: ignore[no-untyped-def]
    customer = visited_customer(org.rep_a1)
    resp = client_for(org.rep_a1).post(
        reverse("crm:quote_create"),
        {
            "customer": customer.pk,
            "title": "页面报价",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-product": "LIC",
            "lines-0-quantity": "3",
            "lines-0-discount_pct": "15",
            "lines-0-list_price": "1.00",
            "lines-1-product": "PEN",
            "lines-1-quantity": "10",
            "lines-1-quoted_price": "9.50",
        },
    )
    assert resp.status_code == 302
    page_quote = Quote.objects.get(title="页面报价")
    r = api_for(org.rep_a1).post(
        "/api/quotes/",
        {
            "customer": customer.pk,
            "title": "接口报价",
            "lines": [
                {"product": "LIC", "quantity": "3", "discount_rate": "0.15", "list_price": "1.00"},
                {"product": Product.objects.get(code="PEN").pk, "quantity": "10", "quoted_price": "9.50"},
            ],
        },
        format="json",
    )
    assert r.status_code == 201
    assert (r.data["list_total"], r.data["quoted_total"]) == ("3100.00", "2645.00")
    assert (page_quote.list_total, page_quote.quoted_total) == (D("3100.00"), D("2645.00"))
    assert [
        (x["product"], x["list_price"], x["floor_price"], x["quoted_price"]) for x in r.data["lines"]
    ] == [
        ("软件许可", "1000.00", "700.00", "850.00"),
        ("签字笔", "10.00", "8.00", "9.50"),
    ]
    doc = client_for(org.rep_a1).get(reverse("crm:quote_print", args=[page_quote.pk])).content.decode()
    assert "¥2,645.00" in doc and "¥3,100.00" in doc and "quote_print.css" in doc and "15%" in doc


def test_order_api_ignores_list_floor_and_cost(org, api_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("200000.00"))
    r = api_for(org.rep_a1).post(
        "/api/orders/",
        {
            "contract": contract.pk,
            "lines": [
                {
                    "product": "SRV",
                    "quantity": "1",
                    "unit_price": "10.00",
                    "list_price": "10.00",
                    "floor_price": "0",
                    "unit_cost": "0",
                }
            ],
        },
        format="json",
    )
    assert r.status_code == 201
    assert r.data["status"] == OrderStatus.PENDING_APPROVAL
    line = Order.objects.get(pk=r.data["id"]).lines.get()
    assert (line.list_price, line.floor_price, line.unit_cost) == (
        D("100000.00"),
        D("80000.00"),
        D("45000.00"),
    )


def test_contract_api_refuses_an_amount_other_than_the_quotes(org, api_for):  # type: ignore[no-untyped-def]
    quote = _approved_quote(org, [{"product": "LIC", "quantity": "1", "quoted_price": "800.00"}])
    api = api_for(org.rep_a1)
    r = api.post(
        "/api/contracts/",
        {"customer": quote.customer_id, "quote": quote.pk, "amount": "1.00", "list_amount": "1.00"},
        format="json",
    )
    assert r.status_code == 400 and r.data["code"] == "amount_not_quote"
    r = api.post(
        "/api/contracts/",
        {"customer": quote.customer_id, "quote": quote.pk, "list_amount": "1.00"},
        format="json",
    )
    assert r.status_code == 201
    assert (r.data["title"], r.data["amount"], r.data["list_amount"]) == ("年度采购报价", "800.00", "1000.00")
    assert Contract.objects.count() == 1


def test_bad_dates_and_numbers_get_a_message_not_a_500(org, api_for, client_for):  # type: ignore[no-untyped-def]
    api = api_for(org.rep_a1)
    assert api.get("/api/products/?on=9999-12-31").status_code == 400
    assert client_for(org.rep_a1).get(reverse("crm:product_list") + "?on=9999-12-31").status_code == 200
    rep = org.rep_a1
    with pytest.raises(DomainError):
        quote_services.quote_create(
            by=rep,
            customer=visited_customer(rep),
            title="报价",
            lines=[{"product": "LIC", "quantity": "1e30"}],
        )
    assert timezone.now()


def test_finance_not_the_rep_sets_a_lines_costs(org, client_for, api_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("200000.00"))
    order = order_services.order_create(
        by=org.rep_a1,
        contract=contract,
        lines=[{"product": "SRV", "quantity": "1", "unit_price": "90000.00"}],
    )
    line = order.lines.get()
    assert line.unit_cost == D("45000.00")
    r = api_for(org.rep_a1).post(
        f"/api/orders/{order.pk}/line-costs/", {"line": line.pk, "unit_cost": "1.00"}, format="json"
    )
    assert r.status_code == 403
    r = api_for(org.finance).post(
        f"/api/orders/{order.pk}/line-costs/",
        {"line": line.pk, "unit_cost": "46000.00", "tax": "5200.00", "logistics": "300.00"},
        format="json",
    )
    assert r.status_code == 200 and r.data["unit_cost"] == "46000.00"
    client_for(org.finance).post(
        reverse("crm:order_line_costs", args=[order.pk]),
        {"line": line.pk, "unit_cost": "46500.00", "tax": "5200.00", "logistics": "300.00"},
    )
    line.refresh_from_db()
    assert (line.unit_cost, line.tax, line.logistics) == (D("46500.00"), D("5200.00"), D("300.00"))
    body = client_for(org.finance).get(reverse("crm:order_detail", args=[order.pk])).content.decode()
    assert "外调产品" in body and "¥90,000.00" in body


def test_contract_page_from_a_quote_carries_title_amount_and_lines(org, client_for):  # type: ignore[no-untyped-def]
    quote = _approved_quote(org, [{"product": "LIC", "quantity": "2", "quoted_price": "900.00"}])
    client = client_for(org.rep_a1)
    form = client.get(reverse("crm:contract_create") + f"?quote={quote.pk}&customer={quote.customer_id}")
    assert 'value="年度采购报价"' in form.content.decode()
    resp = client.post(
        reverse("crm:contract_create"),
        {
            "customer": quote.customer_id,
            "quote": quote.pk,
            "title": "",
            "amount": "",
            "standard_template": "on",
        },
    )
    contract = Contract.objects.get()
    assert resp.status_code == 302
    assert (contract.title, contract.amount, contract.list_amount) == (
        "年度采购报价",
        D("1800.00"),
        D("2000.00"),
    )
    body = client.get(reverse("crm:contract_detail", args=[contract.pk])).content.decode()
    assert "合同明细（来自报价单）" in body and "软件许可" in body and "¥1,800.00" in body
