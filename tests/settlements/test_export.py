"""S4–S6: the workbook's layout, and totals (formulas, evaluated) equal to the stored totals to the fen."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from common.money import round_fen, split_by_shares
from settlements.export import SHEET_HEADERS, SUMMARY_HEADERS, export_month
from settlements.models import Settlement
from settlements.services.generation import settlement_generate
from settlements.services.workflow import settlement_transition
from tests.factories import make_order
from tests.settlements.factories import cline, partner
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


def test_summary_sheet_layout_and_totals(month_with_splits):
    wb, _buf = _export(unmasked=False)
    ws = wb.worksheets[0]
    assert ws.title == "结算信息一览表"
    assert [c.value for c in ws[2]] == SUMMARY_HEADERS
    assert ws.column_dimensions["B"].width == 14
    settlements = list(Settlement.objects.filter(month=SEP).order_by("payee_name", "id"))
    for i, s in enumerate(settlements, start=3):
        assert ws[f"B{i}"].value == s.payee_name
        assert evaluate(ws, f"H{i}") == s.line_total
        assert evaluate(ws, f"K{i}") == s.current_balance
        assert evaluate(ws, f"L{i}") == s.payout_amount
        assert ws[f"H{i}"].number_format.startswith('"¥"')
    total_row = find_row(ws, "合计", column=2)
    assert ws[f"H{total_row}"].value.startswith("=SUM(")
    assert evaluate(ws, f"H{total_row}") == month_with_splits
    assert evaluate(ws, f"I{total_row}") == Decimal("-45.55")
    assert len(wb.worksheets) == 1 + len(settlements)


def test_payee_sheet_layout_totals_and_masked_bank(org, month_with_splits):
    wb, _buf = _export(unmasked=False)
    s = Settlement.objects.get(month=SEP, payee_partner__isnull=False)
    index = list(Settlement.objects.filter(month=SEP).order_by("payee_name", "id")).index(s) + 1
    ws = wb.worksheets[index]
    assert ws["A1"].value == "结算表审批表"
    labels = {c.value for row in ws.iter_rows(max_row=4) for c in row if c.value}
    assert {"申请人", "姓名", "电话", "区域", "类别", "申请日期"} <= labels
    assert [c.value for c in ws[5]] == SHEET_HEADERS
    assert [ws["A6"].value, ws["B6"].value, ws["C6"].value, ws["D6"].value, ws["E6"].value] == [
        "学生特训营",
        18,
        330,
        5940,
        1188,
    ]
    total = find_row(ws, "合计")
    assert evaluate(ws, f"E{total}") == s.line_total
    assert evaluate(ws, f"D{total}") == s.sold_total
    assert evaluate(ws, f"E{find_row(ws, '本期结余')}") == s.current_balance
    assert evaluate(ws, f"E{find_row(ws, '应发金额')}") == s.payout_amount
    assert ws[f"B{find_row(ws, '银行卡号')}"].value == "6222 **** **** 0123"
    assert ws[f"B{find_row(ws, '开户行名称')}"].value == "中国工商银行上海分行"
    sign_row = find_row(ws, "销售部审核")
    assert [c.value for c in ws[sign_row]][:4] == ["销售部审核", "财务中心确认", "总裁办审批", "本人签字"]


def test_rep_sheet_totals_equal_stored_for_every_payee(month_with_splits):
    wb, _buf = _export(unmasked=True)
    for i, s in enumerate(Settlement.objects.filter(month=SEP).order_by("payee_name", "id"), start=1):
        ws = wb.worksheets[i]
        assert evaluate(ws, f"E{find_row(ws, '合计')}") == s.line_total


def test_finance_export_shows_the_full_account_and_signers(org, month_with_splits):
    s = Settlement.objects.get(month=SEP, payee_partner__isnull=False)
    for action, by in [
        ("submit", org.finance),
        ("confirm", org.finance),
        ("approve", org.regional_manager),
        ("approve", org.finance),
        ("approve", org.president),
    ]:
        s = settlement_transition(settlement=s, action=action, by=by)
    wb, _buf = _export(unmasked=True)
    index = list(Settlement.objects.filter(month=SEP).order_by("payee_name", "id")).index(s) + 1
    ws = wb.worksheets[index]
    assert ws[f"B{find_row(ws, '银行卡号')}"].value == "6222021234567890123"
    signed = [c.value or "" for c in ws[find_row(ws, "销售部审核") + 1]][:3]
    assert signed[0].startswith("区经理") and signed[1].startswith("财务") and signed[2].startswith("总裁")


def test_command_writes_the_month(tmp_path, month_with_splits):
    out = tmp_path / "sep.xlsx"
    call_command("settlement_export", "--month", "2026-09", "--out", str(out))
    wb = load_workbook(out)
    assert wb.worksheets[0].title == "结算信息一览表"
    assert len(wb.worksheets) == 1 + Settlement.objects.filter(month=SEP).count()
