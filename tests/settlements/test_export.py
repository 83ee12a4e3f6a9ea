"""S4–S6: the workbook's layout, and totals (formulas, evaluated) equal to the stored totals to the fen."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from common.money import round_fen, split_by_shares
from settlements.export import SHEET_HEADERS, SUMMARY_HEADERS, export_month, export_settlements
from settlements.models import Settlement
from settlements.services.generation import settlement_generate
from settlements.services.tax import settlement_tax_enter
from settlements.services.workflow import settlement_transition
from tests.factories import make_order
from tests.settlements.factories import cline, partner, ticket_sale, ticket_stock
from tests.settlements.xlsx import evaluate, find_row

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)


@pytest.fixture
def month_with_splits(org):
    """Orders shared 70:30 between the owner and the account executive, amounts that do not split evenly."""
    expected = Decimal("0")
    for total in ("33333.33", "10000.01", "99999.99", "12345.67"):
        order = make_order(
            owner=org.rep_a1,
            lines=[("regular", Decimal("1"), Decimal(total))],
            shares=[(org.rep_a1, Decimal("0.7")), (org.executive, Decimal("0.3"))],
        )
        commission = round_fen(order.total * Decimal("0.05"))
        expected += commission
        shares = list(order.credit_shares.order_by("id"))
        for share, part in zip(shares, split_by_shares(commission, [s.share for s in shares]), strict=True):
            cline(
                user=share.user,
                amount=part,
                base=round_fen(order.total * share.share),
                order=order,
                credit_share=share,
            )
    p = partner(region=org.region)
    cline(
        partner=p,
        kind="rebate",
        category="学生特训营",
        base="5940.00",
        amount="1188.00",
        explanation={"quantity": "18", "unit_price": "330.00"},
    )
    expected += Decimal("1188.00")
    # K13: 10 tickets of its own at ¥200.00; in September 李华 comes with 6 of them, sold at ¥330.00
    ticket_stock(p, course="家庭教育讲座", price="200.00", quantity=10, acquired_on=dt.date(2026, 7, 10))
    ticket_sale(p, month=SEP, name="李华", course="家庭教育讲座", signed="200.00", sold="330.00", quantity=6)
    cline(user=org.rep_a1, amount="-45.55", kind="clawback", category="")
    expected += Decimal("-45.55")
    settlement_generate(month=SEP, by=org.finance)
    return expected


def _export(**kw) -> tuple:
    buf = io.BytesIO()
    export_month(month=SEP, out=buf, **kw)
    buf.seek(0)
    return load_workbook(buf), buf


def test_no_fen_is_lost_in_70_30_splits(month_with_splits):
    stored = sum((s.line_total for s in Settlement.objects.filter(month=SEP)), Decimal("0"))
    assert stored == month_with_splits


FIVE = ["家庭教育门票", "学生特训营", "微课程", "合伙人发展", "书籍"]


def _payees() -> list[Settlement]:
    return list(Settlement.objects.filter(month=SEP).order_by("payee_name", "id"))


def _summary_row(ws, name: str) -> int:
    return find_row(ws, name, column=2)


def _approve(org, s: Settlement) -> Settlement:
    for action, by in [
        ("submit", org.finance),
        ("confirm", org.finance),
        ("approve", org.regional_manager),
        ("approve", org.finance),
        ("approve", org.president),
    ]:
        s = settlement_transition(settlement=s, action=action, by=by)
    return s


def _assert_print_setup(ws, *, freeze: str, title_rows: str) -> None:
    assert ws.freeze_panes == freeze
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == title_rows


def test_summary_title_headers_borders_and_print_setup(month_with_splits):
    wb, _buf = _export(unmasked=False)
    ws = wb.worksheets[0]
    assert ws.title == "结算信息一览表"
    assert ws["A1"].value == "圣仁谷教育集团合伙人结算信息一览表"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:AE1", "A2:AE2", "F3:N3", "O3:Q3", "V3:AC3"} <= merged
    assert ws["A1"].alignment.horizontal == "center"
    assert ws["A2"].value == "结算月份：2026年09月（未审批，仅供核对）"
    assert [ws["A3"].value, ws["F3"].value, ws["O3"].value, ws["R3"].value, ws["V3"].value] == [
        "收款人",
        "参会人员",
        "所属合伙人票抵扣",
        "票款及结余",
        "结算金额",
    ]
    assert [c.value for c in ws[4]] == SUMMARY_HEADERS
    assert SUMMARY_HEADERS[5:21] == [
        "姓名",
        "性别",
        "身份证号",
        "手机",
        "参会日期",
        "课程名称",
        "签约票价",
        "售出票价",
        "数量",
        "所属合伙人票价抵扣",
        "所属合伙人票数量抵扣",
        "所属合伙人票额抵扣",
        "签约票款合计",
        "售出票款合计",
        "上期结余",
        "本期结余",
    ]
    assert ws["H4"].border.left.style == "thin" and ws["X5"].border.bottom.style == "thin"
    _assert_print_setup(ws, freeze="C5", title_rows="$3:$4")


def test_summary_rows_and_totals_equal_the_stored_figures(month_with_splits):
    wb, _buf = _export(unmasked=False)
    ws = wb.worksheets[0]
    settlements = _payees()
    for s in settlements:
        r = _summary_row(ws, s.payee_name)
        assert evaluate(ws, f"X{r}") == s.line_total
        assert evaluate(ws, f"AA{r}") == s.payout_amount
        assert ws[f"X{r}"].number_format.startswith('"¥"')
    total_row = find_row(ws, "合计", column=2)
    assert ws[f"X{total_row}"].value.startswith("=SUM(")
    assert evaluate(ws, f"X{total_row}") == month_with_splits
    assert evaluate(ws, f"Y{total_row}") == Decimal("-45.55")
    assert evaluate(ws, f"Q{total_row}") == Decimal("1200.00")
    assert len(wb.worksheets) == 1 + len(settlements)
    footer = [ws[f"{c}{total_row + 2}"].value for c in "AFK"]
    assert footer == ["编制：", "审核：", "审批："]


def test_summary_ticket_columns_with_the_id_number_masked_for_a_non_finance_exporter(month_with_splits):
    wb, _buf = _export(unmasked=False)
    ws = wb.worksheets[0]
    r = _summary_row(ws, "张合伙")
    assert [ws.cell(row=r, column=c).value for c in range(6, 12)] == [
        "李华",
        "女",
        "110101********1234",
        "13800002222",
        "2026-09-20",
        "家庭教育讲座",
    ]
    figures = [evaluate(ws, f"{col}{r}") for col in "LMNOPQRSTU"]
    assert figures == [
        Decimal("200.00"),  # 签约票价
        Decimal("330.00"),  # 售出票价
        Decimal("6"),  # 数量
        Decimal("200.00"),  # 所属合伙人票价抵扣
        Decimal("6"),  # 所属合伙人票数量抵扣
        Decimal("1200.00"),  # 所属合伙人票额抵扣
        Decimal("1200.00"),  # 签约票款合计
        Decimal("1980.00"),  # 售出票款合计
        Decimal("2000.00"),  # 上期结余: 10 tickets × ¥200.00 bought in July
        Decimal("800.00"),  # 本期结余: 4 tickets left
    ]


def test_finance_sees_the_id_number_whole(month_with_splits):
    wb, _buf = _export(unmasked=True)
    ws = wb.worksheets[0]
    assert ws[f"H{_summary_row(ws, '张合伙')}"].value == "110101199003071234"


def test_partner_sheet_has_the_five_fixed_rows_totals_tickets_and_masked_bank(org, month_with_splits):
    wb, _buf = _export(unmasked=False)
    s = Settlement.objects.get(month=SEP, payee_partner__isnull=False)
    ws = wb.worksheets[_payees().index(s) + 1]
    assert ws["A1"].value == "圣仁谷教育集团合伙人结算表审批表"
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    labels = {c.value for row in ws.iter_rows(max_row=4) for c in row if c.value}
    assert {"申请人", "合伙人姓名", "合伙人电话", "合伙人区域", "合伙人类别", "申请日期"} <= labels
    assert ws["F2"].value == "2026年09月"
    assert ws["A5"].value == "销售信息"
    assert [c.value for c in ws[6]] == SHEET_HEADERS
    assert [ws[f"A{r}"].value for r in range(7, 12)] == FIVE
    assert [ws[f"{c}8"].value for c in "ABCDEF"] == ["学生特训营", 18, 330, 5940, 1188, "共1笔"]
    assert [ws[f"{c}7"].value for c in "BCDE"] == [0, None, 0, 0]  # empty, still printed
    total = find_row(ws, "合计")
    assert total == 12
    assert evaluate(ws, f"E{total}") == s.line_total == Decimal("1188.00")
    assert evaluate(ws, f"D{total}") == s.sold_total
    assert evaluate(ws, f"E{find_row(ws, '应发金额')}") == s.payout_amount
    tickets = find_row(ws, "签约票款合计")
    assert [evaluate(ws, f"{c}{tickets}") for c in "BDF"] == [
        Decimal("1200.00"),
        Decimal("1980.00"),
        Decimal("1200.00"),
    ]
    assert [evaluate(ws, f"{c}{tickets + 1}") for c in "BD"] == [Decimal("2000.00"), Decimal("800.00")]
    assert ws[f"B{find_row(ws, '合伙人银行卡号')}"].value == "6222 **** **** 0123"
    assert ws[f"B{find_row(ws, '开户行名称')}"].value == "中国工商银行上海分行"
    sign_row = find_row(ws, "销售部审核")
    assert [c.value for c in ws[sign_row]][:4] == ["销售部审核", "财务中心确认", "总裁办审批", "合伙人签字"]
    assert ws[f"A{sign_row + 2}"].value.startswith("说明：")
    _assert_print_setup(ws, freeze="A7", title_rows="$5:$6")


def test_rep_sheet_five_rows_words_not_codes_and_a_flagged_missing_bank(org, month_with_splits):
    wb, _buf = _export(unmasked=False)
    s = Settlement.objects.get(month=SEP, payee_user=org.rep_a1)
    ws = wb.worksheets[_payees().index(s) + 1]
    assert ws["A1"].value == "圣仁谷教育集团结算表审批表"
    assert [ws[f"A{r}"].value for r in range(7, 12)] == FIVE
    assert all(ws[f"E{r}"].value == 0 for r in range(7, 12))
    end = find_row(ws, "合计")
    assert {ws[f"A{r}"].value for r in range(12, end)} == {"常规产品", "追回"}
    descriptions = " ".join(ws[f"F{r}"].value or "" for r in range(12, end))
    assert "提成" in descriptions and "category_rate" not in descriptions
    assert ws[f"B{find_row(ws, '银行卡号')}"].value == "未填写，请补充"
    assert ws[f"B{find_row(ws, '银行卡号')}"].font.color.rgb.endswith("C00000")
    summary = wb.worksheets[0]
    assert summary[f"AE{_summary_row(summary, s.payee_name)}"].value == "银行信息未填写"


def test_rep_sheet_totals_equal_stored_for_every_payee(month_with_splits):
    wb, _buf = _export(unmasked=True)
    for i, s in enumerate(_payees(), start=1):
        ws = wb.worksheets[i]
        assert evaluate(ws, f"E{find_row(ws, '合计')}") == s.line_total


def test_an_approved_month_file_holds_no_draft(org, month_with_splits):
    s = _approve(org, Settlement.objects.get(month=SEP, payee_partner__isnull=False))
    assert s.status == "approved"
    assert Settlement.objects.filter(month=SEP, status="draft").count() == 2  # the reps' drafts
    wb, _buf = _export(unmasked=True)
    ws = wb.worksheets[0]
    assert ws["A2"].value == "结算月份：2026年09月（已审批）"
    names = {ws[f"B{r}"].value for r in range(5, ws.max_row + 1)} - {None, "合计"}
    assert names == {"张合伙"}
    assert len(wb.worksheets) == 2
    sheet = wb.worksheets[1]
    assert sheet[f"B{find_row(sheet, '合伙人银行卡号')}"].value == "6222021234567890123"
    signed = [c.value or "" for c in sheet[find_row(sheet, "销售部审核") + 1]][:3]
    assert signed[0].startswith("区经理") and signed[1].startswith("财务") and signed[2].startswith("总裁")


def test_a_single_draft_sheet_is_titled_not_approved(org, month_with_splits):
    buf = io.BytesIO()
    export_settlements(Settlement.objects.filter(payee_user=org.rep_a1), buf, month=SEP)
    buf.seek(0)
    assert load_workbook(buf).worksheets[0]["A2"].value == "结算月份：2026年09月（未审批，仅供核对）"


def test_command_writes_the_month(tmp_path, month_with_splits):
    out = tmp_path / "sep.xlsx"
    call_command("settlement_export", "--month", "2026-09", "--out", str(out))
    wb = load_workbook(out)
    assert wb.worksheets[0].title == "结算信息一览表"
    assert len(wb.worksheets) == 1 + Settlement.objects.filter(month=SEP).count()


def test_gross_tax_withheld_and_net_in_the_summary_and_on_each_sheet(org, month_with_splits):
    # Given the partner paid as 劳务报酬 (statutory formula) and finance entering ¥123.45 of payroll tax
    # for the rep (001 第8条), when the month is exported, then each payee shows gross, tax and net.
    rep = Settlement.objects.get(month=SEP, payee_user=org.rep_a1)
    settlement_tax_enter(settlement=rep, amount="123.45", by=org.finance)
    wb, _buf = _export(unmasked=False)
    ws = wb.worksheets[0]
    assert [ws[f"{c}4"].value for c in ("AA", "AB", "AC")] == ["应发金额", "代扣个税", "实发金额"]
    rows = {}
    for s in _payees():
        r = _summary_row(ws, s.payee_name)
        rows[s.payee_name] = [evaluate(ws, f"{c}{r}") for c in ("AA", "AB", "AC")]
        assert ws[f"AB{r}"].number_format.startswith('"¥"')
    assert rows == {
        "张合伙": [Decimal("1188.00"), Decimal("77.60"), Decimal("1110.40")],  # (1,188 − 800) × 20%
        "销售甲一": [Decimal("5403.22"), Decimal("123.45"), Decimal("5279.77")],  # payroll, entered
        "客户执行": [Decimal("2335.18"), Decimal("0.00"), Decimal("2335.18")],  # payroll, none entered
    }
    total = find_row(ws, "合计", column=2)
    assert [evaluate(ws, f"{c}{total}") for c in ("AA", "AB", "AC")] == [
        Decimal("8926.40"),
        Decimal("201.05"),
        Decimal("8725.35"),
    ]
    partner_sheet = wb.worksheets[_payees().index(Settlement.objects.get(month=SEP, payee_user=None)) + 1]
    tax_row = find_row(partner_sheet, "代扣个税")
    assert tax_row == find_row(partner_sheet, "应发金额") + 1
    assert evaluate(partner_sheet, f"E{tax_row}") == Decimal("77.60")
    assert partner_sheet[f"F{tax_row}"].value == "劳务报酬（按预扣预缴公式计算）"
    assert evaluate(partner_sheet, f"E{find_row(partner_sheet, '实发金额')}") == Decimal("1110.40")
    assert partner_sheet[f"A{find_row(partner_sheet, '销售部审核') + 2}"].value.startswith("说明：")
    rep_sheet = wb.worksheets[_payees().index(rep) + 1]
    assert evaluate(rep_sheet, f"E{find_row(rep_sheet, '实发金额')}") == Decimal("5279.77")
    assert rep_sheet[f"F{find_row(rep_sheet, '代扣个税')}"].value == "工资薪金（财务按工资表录入）"
