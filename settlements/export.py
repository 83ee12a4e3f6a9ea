"""S4–S6: the month's settlement workbook, streamed with openpyxl's write-only mode (constant memory).

Sheet 1 is 结算信息一览表 (one row per payee); then one 结算表审批表 sheet per payee. Totals are
formulas (SUM over the lines) whose values equal the stored totals, because the stored totals are sums
of the same rounded lines (SPEC §5 money).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter

from commissions.models import LineKind
from common.deferred_text import words_text
from common.money import ZERO, round_fen
from common.spreadsheet import spreadsheet_text as text
from crm.models import PartnerCategory, ProductCategory
from settlements.models import (
    Gender,
    Settlement,
    SettlementLine,
    SettlementStep,
    TicketSale,
    mask_account,
    mask_id_number,
)
from settlements.selectors import settlements_for_month_file

CNY_FORMAT = '"¥"#,##0.00;[Red]-"¥"#,##0.00'
QTY_FORMAT = "#,##0.##"
BOLD = Font(bold=True)
PLAIN = Font()
TITLE = Font(bold=True, size=16)
FLAG = Font(bold=True, color="C00000")
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)

# The 结算信息一览表 (000 form, S5): (header, width); the group row above them is GROUPS.
SUMMARY_COLUMNS = [
    (gettext_noop("序号"), 6),
    (gettext_noop("收款人"), 12),
    (gettext_noop("类别"), 10),
    (gettext_noop("区域"), 10),
    (gettext_noop("电话"), 13),
    (gettext_noop("姓名"), 10),
    (gettext_noop("性别"), 6),
    (gettext_noop("身份证号"), 20),
    (gettext_noop("手机"), 13),
    (gettext_noop("参会日期"), 11),
    (gettext_noop("课程名称"), 14),
    (gettext_noop("签约票价"), 11),
    (gettext_noop("售出票价"), 11),
    (gettext_noop("数量"), 7),
    (gettext_noop("所属合伙人票价抵扣"), 11),
    (gettext_noop("所属合伙人票数量抵扣"), 11),
    (gettext_noop("所属合伙人票额抵扣"), 12),
    (gettext_noop("签约票款合计"), 13),
    (gettext_noop("售出票款合计"), 13),
    (gettext_noop("上期结余"), 13),
    (gettext_noop("本期结余"), 13),
    (gettext_noop("签约金额合计"), 14),
    (gettext_noop("售出金额合计"), 14),
    (gettext_noop("返利（提成）合计"), 14),
    (gettext_noop("扣减"), 12),
    (gettext_noop("上期结转"), 12),
    (gettext_noop("应发金额"), 14),
    (gettext_noop("代扣个税"), 12),
    (gettext_noop("实发金额"), 14),
    (gettext_noop("状态"), 10),
    (gettext_noop("备注"), 22),
]
SUMMARY_HEADERS = [h for h, _w in SUMMARY_COLUMNS]
GROUPS = [
    (gettext_noop("收款人"), 1, 5),
    (gettext_noop("参会人员"), 6, 14),
    (gettext_noop("所属合伙人票抵扣"), 15, 17),
    (gettext_noop("票款及结余"), 18, 21),
    (gettext_noop("结算金额"), 22, 29),
    ("", 30, 31),
]
SHEET_HEADERS = [
    gettext_noop("类别"),
    gettext_noop("数量"),
    gettext_noop("单价"),
    gettext_noop("金额"),
    gettext_noop("返利（提成）"),
    gettext_noop("说明"),
]
SHEET_WIDTHS = [16, 10, 14, 16, 16, 48]
SIGN_BOXES = [
    (gettext_noop("销售部审核"), "finance_confirmation"),
    (gettext_noop("财务中心确认"), "president_approval"),
    (gettext_noop("总裁办审批"), "approved"),
    (gettext_noop("本人签字"), ""),
]
PARTNER_SIGN = gettext_noop("合伙人签字")
# K13: the five fixed rows of the 结算表审批表, in the form's order. Lines may carry the code or (older
# and demo data) the Chinese word.
FIXED_CATEGORIES = [(str(code), str(label)) for code, label in PartnerCategory.choices]
_FIXED_KEY = {code: code for code, _l in FIXED_CATEGORIES} | {
    str(PartnerCategory(code).label): code for code, _l in FIXED_CATEGORIES
}
CATEGORY_LABELS = {
    str(k): str(v)
    for choices in (ProductCategory.choices, PartnerCategory.choices, LineKind.choices)
    for k, v in choices
}
GENDER_LABELS = {str(k): v for k, v in Gender.choices}
_BAD_TITLE = re.compile(r"[\[\]\*\?/\\:]")


def _print_setup(ws: Any, *, freeze: str, title_rows: str) -> None:
    """A4 landscape, fit to the page width, header rows repeated on every printed page, header frozen.
    Write-only sheets write views and sheet properties with their first row: call before appending."""
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = title_rows


def _month_words(month: dt.date) -> str:
    return _("%(y)d年%(m)02d月") % {"y": month.year, "m": month.month}


class _Styles:
    """Styled cells made cheaply. Prototype cells (one per look, per column) are reused row after row:
    the write-only writer serialises each row as it is appended, so reuse is safe. Other styled cells
    copy a StyleArray cached on the workbook, so no style is looked up twice (1,000 sheets would
    otherwise spend more time hashing fonts than writing cells)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.cache: dict[tuple, StyleArray] = ws.parent.__dict__.setdefault("_settlement_styles", {})
        self.money = self.fresh(ws, None, number_format=CNY_FORMAT)
        self.money2 = self.fresh(ws, None, number_format=CNY_FORMAT)
        self.money3 = self.fresh(ws, None, number_format=CNY_FORMAT)
        self.qty = self.fresh(ws, None, number_format=QTY_FORMAT)

    def fresh(self, ws: Any, value: Any, **kw: Any) -> WriteOnlyCell:
        key = tuple((k, id(v)) for k, v in kw.items())
        style = self.cache.get(key)
        c = WriteOnlyCell(ws, value=value)
        if style is None:
            for k, v in kw.items():
                setattr(c, k, v)
            self.cache[key] = StyleArray(c._style)
        else:
            c._style = StyleArray(style)
        return c


def sheet_title(index: int, name: str) -> str:
    clean = _BAD_TITLE.sub("", name or "")[:24]
    return f"{index:04d}{clean}"[:31]


def _signers(settlement_ids: list[int]) -> dict[int, dict[str, tuple[str, dt.datetime]]]:
    """Who signed each approval box (the last approval into that status since the last reset)."""
    out: dict[int, dict[str, tuple[str, dt.datetime]]] = {}
    steps = (
        SettlementStep.objects.filter(settlement_id__in=settlement_ids)
        .select_related("actor")
        .order_by("settlement_id", "acted_at", "id")
    )
    for step in steps:
        box = out.setdefault(step.settlement_id, {})
        if step.to_status == "draft":
            box.clear()
        elif step.action == "approve":
            box[step.to_status] = (str(step.actor), step.acted_at)
        elif step.action == "submit":
            box["_applicant"] = (str(step.actor), step.acted_at)
    return out


def _tax(s: Settlement) -> Decimal:
    """001 第8条: the income tax withheld (a settlement made before tax was recorded withheld none)."""
    return s.tax_withheld if s.tax_method else ZERO


def _text_cell(st: _Styles, ws: Any, value: Any) -> WriteOnlyCell:
    # Issue 17: text a user typed never becomes a live formula (= + - @ are escaped).
    return st.fresh(ws, text(value) if isinstance(value, str) else value, border=BOX)


def _flagged(st: _Styles, ws: Any, value: str) -> WriteOnlyCell:
    """A bank field: filled, or flagged in red so finance completes it before paying."""
    if value:
        return st.fresh(ws, text(value), border=BOX)
    return st.fresh(ws, _("未填写，请补充"), font=FLAG, border=BOX)


def write_summary(
    wb: Workbook,
    settlements: list[Settlement],
    month: dt.date,
    *,
    approved_file: bool,
    unmasked: bool,
    tickets: dict[int, list[TicketSale]],
) -> None:
    """S5 结算信息一览表: one row per attendee a partner brought (K13 ticket columns), the payee's figures
    on its first row; a payee without attendees takes one row."""
    ws = wb.create_sheet(_("结算信息一览表"))
    st = _Styles(ws)
    ncol = len(SUMMARY_COLUMNS)
    last_col = get_column_letter(ncol)
    for i, (_h, width) in enumerate(SUMMARY_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    _print_setup(ws, freeze="C5", title_rows="3:4")
    company = settings.COMPANY_NAME
    ws.append(
        [
            st.fresh(
                ws, _("%(company)s合伙人结算信息一览表") % {"company": company}, font=TITLE, alignment=CENTRE
            )
        ]
    )
    ws.merged_cells.add(f"A1:{last_col}1")
    state = _("已审批") if approved_file else _("未审批，仅供核对")
    ws.append(
        [
            st.fresh(
                ws,
                _("结算月份：%(month)s（%(state)s）") % {"month": _month_words(month), "state": state},
                font=BOLD,
                alignment=CENTRE,
            )
        ]
    )
    ws.merged_cells.add(f"A2:{last_col}2")
    group_row: list[Any] = [None] * ncol
    for label, lo, hi in GROUPS:
        for c in range(lo, hi + 1):
            group_row[c - 1] = st.fresh(
                ws,
                _(label) if c == lo and label else None,
                font=BOLD,
                fill=HEAD_FILL,
                border=BOX,
                alignment=CENTRE,
            )
        if hi > lo:
            ws.merged_cells.add(f"{get_column_letter(lo)}3:{get_column_letter(hi)}3")
    ws.append(group_row)
    ws.append(
        [st.fresh(ws, _(h), font=BOLD, fill=HEAD_FILL, border=BOX, alignment=CENTRE) for h in SUMMARY_HEADERS]
    )
    first = 5
    r = first
    for n, s in enumerate(settlements, 1):
        found: list[TicketSale | None] = list(tickets.get(s.pk, []))
        rows = found or [None]
        missing_bank = not (s.bank_name and s.account_holder and s.account_number)
        for j, t in enumerate(rows):
            head = j == 0
            cells: list[Any] = [
                _text_cell(st, ws, n if head else None),
                _text_cell(st, ws, s.payee_name if head else None),
                _text_cell(st, ws, s.payee_category if head else None),
                _text_cell(st, ws, s.payee_region if head else None),
                _text_cell(st, ws, s.payee_phone if head else None),
            ]
            if t is not None:
                ident = t.id_number if unmasked else mask_id_number(t.id_number)
                cells += [
                    _text_cell(st, ws, t.attendee_name),
                    _text_cell(st, ws, str(GENDER_LABELS.get(t.gender, ""))),
                    _text_cell(st, ws, ident),
                    _text_cell(st, ws, t.phone),
                    _text_cell(st, ws, t.attended_on.isoformat()),
                    _text_cell(st, ws, t.course_name),
                    st.fresh(ws, t.signed_price, number_format=CNY_FORMAT, border=BOX),
                    st.fresh(ws, t.sold_price, number_format=CNY_FORMAT, border=BOX),
                    st.fresh(ws, t.quantity, number_format=QTY_FORMAT, border=BOX),
                    st.fresh(ws, t.deducted_price, number_format=CNY_FORMAT, border=BOX),
                    st.fresh(ws, t.deducted_quantity, number_format=QTY_FORMAT, border=BOX),
                    st.fresh(ws, t.deducted_amount, number_format=CNY_FORMAT, border=BOX),
                    st.fresh(
                        ws, round_fen(t.signed_price * t.quantity), number_format=CNY_FORMAT, border=BOX
                    ),
                    st.fresh(ws, round_fen(t.sold_price * t.quantity), number_format=CNY_FORMAT, border=BOX),
                ]
            else:
                cells += [_text_cell(st, ws, None) for _c in range(14)]
            money: list[Any] = (
                [
                    s.ticket_prior_balance,
                    s.ticket_current_balance,
                    s.signed_total,
                    s.sold_total,
                    s.line_total,
                    s.deduction_total,
                    s.prior_balance,
                    f"=MAX(X{r}+Z{r},0)",
                    _tax(s),
                    f"=AA{r}-AB{r}",  # 001 第8条: the net the bank transfer pays
                ]
                if head
                else [None] * 10
            )
            cells += [st.fresh(ws, v, number_format=CNY_FORMAT, border=BOX) for v in money]
            notes = [t.note] if t is not None and t.note else []
            if head and missing_bank:
                notes.append(_("银行信息未填写"))
            cells += [
                _text_cell(st, ws, s.get_status_display() if head else None),
                st.fresh(
                    ws, "；".join(notes) or None, border=BOX, font=FLAG if head and missing_bank else PLAIN
                ),
            ]
            ws.append(cells)
            r += 1
    last = r - 1
    totals: list[Any] = [None, st.fresh(ws, _("合计"), font=BOLD, border=BOX)] + [None] * 12
    for c in range(15, 30):  # 票价抵扣 … 实发金额
        col = get_column_letter(c)
        if c in (15, 16):
            formula: Any = f"=SUM({col}{first}:{col}{last})" if c == 16 and last >= first else None
            totals.append(st.fresh(ws, formula, number_format=QTY_FORMAT, font=BOLD, border=BOX))
            continue
        formula = f"=SUM({col}{first}:{col}{last})" if last >= first else 0
        totals.append(st.fresh(ws, formula, number_format=CNY_FORMAT, font=BOLD, border=BOX))
    ws.append(totals)
    ws.append([])
    ws.append([_("编制："), None, None, None, None, _("审核："), None, None, None, None, _("审批：")])


def write_payee_sheet(
    wb: Workbook,
    settlement: Settlement,
    lines: Iterable[tuple[str, Decimal, Decimal, Decimal, Decimal, str]],
    *,
    index: int,
    unmasked: bool,
    signers: dict[str, tuple[str, dt.datetime]],
    fixed: dict[str, list[Any]] | None = None,
) -> int:
    """One 结算表审批表 (S4): the five fixed K13 category rows (even when empty), then the payee's other
    lines. `lines` yields (category, quantity, unit price, amount, rebate, description); `fixed` holds
    per category code [quantity, amount, rebate, lowest unit price, highest unit price, line count].
    Returns the number of rows written in the sales block."""
    s = settlement
    is_partner = s.payee_partner_id is not None
    ws = wb.create_sheet(sheet_title(index, s.payee_name))
    st = _Styles(ws)
    fresh = st.fresh
    for i, width in enumerate(SHEET_WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    _print_setup(ws, freeze="A7", title_rows="5:6")
    applicant = signers.get("_applicant", ("", None))[0]
    applied = s.submitted_at or s.generated_at or s.created_at or timezone.now()
    company = settings.COMPANY_NAME
    title = _("%(company)s合伙人结算表审批表") if is_partner else _("%(company)s结算表审批表")
    append = ws.append
    append([fresh(ws, title % {"company": company}, font=TITLE, alignment=CENTRE)])
    ws.merged_cells.add("A1:F1")
    name_l, phone_l, region_l, kind_l = (
        (_("合伙人姓名"), _("合伙人电话"), _("合伙人区域"), _("合伙人类别"))
        if is_partner
        else (_("姓名"), _("电话"), _("区域"), _("类别"))
    )
    append(
        [
            fresh(ws, _("申请人"), font=BOLD, border=BOX),
            fresh(ws, text(applicant), border=BOX),
            fresh(ws, _("申请日期"), font=BOLD, border=BOX),
            fresh(ws, timezone.localtime(applied).date().isoformat(), border=BOX),
            fresh(ws, _("结算月份"), font=BOLD, border=BOX),
            fresh(ws, _month_words(s.month), border=BOX),
        ]
    )
    append(
        [
            fresh(ws, name_l, font=BOLD, border=BOX),
            fresh(ws, text(s.payee_name), border=BOX),
            fresh(ws, phone_l, font=BOLD, border=BOX),
            fresh(ws, text(s.payee_phone), border=BOX),
            fresh(ws, _("状态"), font=BOLD, border=BOX),
            fresh(ws, s.get_status_display(), border=BOX),
        ]
    )
    append(
        [
            fresh(ws, region_l, font=BOLD, border=BOX),
            fresh(ws, text(s.payee_region), border=BOX),
            fresh(ws, kind_l, font=BOLD, border=BOX),
            fresh(ws, s.payee_category, border=BOX),
        ]
    )
    append([fresh(ws, _("销售信息"), font=BOLD, fill=HEAD_FILL, border=BOX, alignment=CENTRE)])
    ws.merged_cells.add("A5:F5")
    append([fresh(ws, _(h), font=BOLD, fill=HEAD_FILL, border=BOX, alignment=CENTRE) for h in SHEET_HEADERS])
    first = 7
    row = first
    fixed = fixed or {}
    for code, label in FIXED_CATEGORIES:  # K13: the form's five rows, even when empty
        q, amount, rebate, lo, hi, n = fixed.get(code) or [ZERO, ZERO, ZERO, None, None, 0]
        price = lo if lo is not None and lo == hi else None
        note = ""
        if n:
            note = ngettext("共%(n)d笔", "共%(n)d笔", n) % {"n": n} + (
                "" if price is not None or not q else _("，单价不一")
            )
        append(
            [
                fresh(ws, _(label), border=BOX),
                fresh(ws, q, number_format=QTY_FORMAT, border=BOX),
                fresh(ws, price, number_format=CNY_FORMAT, border=BOX),
                fresh(ws, amount, number_format=CNY_FORMAT, border=BOX),
                fresh(ws, rebate, number_format=CNY_FORMAT, border=BOX),
                fresh(ws, note, border=BOX),
            ]
        )
        row += 1
    # One prototype per column: the writer serialises a row cell by cell as it is appended.
    qty, price_c, amount_c, rebate_c = st.qty, st.money, st.money2, st.money3
    labels = CATEGORY_LABELS
    for category, quantity, unit_price, amount, rebate, description in lines:
        qty.value = quantity
        price_c.value = unit_price
        amount_c.value = amount
        rebate_c.value = rebate
        append([labels.get(category, category), qty, price_c, amount_c, rebate_c, text(description)])
        row += 1
    last = row - 1
    total = row

    def money_cell(value: Any, bold: bool = True) -> WriteOnlyCell:
        return fresh(ws, value, number_format=CNY_FORMAT, font=BOLD if bold else PLAIN, border=BOX)

    def label_cell(text: str) -> WriteOnlyCell:
        return fresh(ws, text, font=BOLD, border=BOX)

    append(
        [
            label_cell(_("合计")),
            None,
            None,
            money_cell(f"=SUM(D{first}:D{last})"),
            money_cell(f"=SUM(E{first}:E{last})"),
        ]
    )
    append([label_cell(_("上期结转")), None, None, None, money_cell(s.prior_balance, False)])
    append([label_cell(_("结转后合计")), None, None, None, money_cell(f"=E{total}+E{total + 1}")])
    append([label_cell(_("应发金额")), None, None, None, money_cell(f"=MAX(E{total + 2},0)")])
    # 001 第8条 (扣减所得税后发放): the tax withheld, by the payee kind's method, and the net paid.
    method = s.get_tax_method_display() if s.tax_method else ""
    tax_row = [label_cell(_("代扣个税")), None, None, None, money_cell(_tax(s), False)]
    append([*tax_row, fresh(ws, method, border=BOX)])
    append([label_cell(_("实发金额")), None, None, None, money_cell(f"=E{total + 3}-E{total + 4}")])
    if is_partner:  # K13: the partner's ticket account, as on the 结算信息一览表
        append(
            [
                label_cell(_("签约票款合计")),
                money_cell(s.ticket_signed_total, False),
                label_cell(_("售出票款合计")),
                money_cell(s.ticket_sold_total, False),
                label_cell(_("所属合伙人票额抵扣")),
                money_cell(s.ticket_deduction_total, False),
            ]
        )
        append(
            [
                label_cell(_("上期结余")),
                money_cell(s.ticket_prior_balance, False),
                label_cell(_("本期结余")),
                money_cell(s.ticket_current_balance, False),
            ]
        )
    append([])
    account = s.account_number if unmasked else mask_account(s.account_number)
    append([label_cell(_("开户行名称")), _flagged(st, ws, s.bank_name)])
    append([label_cell(_("户名")), _flagged(st, ws, s.account_holder)])
    append([label_cell(_("合伙人银行卡号") if is_partner else _("银行卡号")), _flagged(st, ws, account)])
    append([])
    boxes = [(label, key) for label, key in SIGN_BOXES]
    if is_partner:
        boxes[-1] = (PARTNER_SIGN, "")
    append(
        [fresh(ws, _(label), font=BOLD, fill=HEAD_FILL, border=BOX, alignment=CENTRE) for label, _k in boxes]
    )
    cells = []
    for _label, key in boxes:
        who = signers.get(key) if key else None
        signed = f"{who[0]} {timezone.localtime(who[1]):%Y-%m-%d}" if who else ""
        cells.append(fresh(ws, text(signed), border=BOX, alignment=WRAP))
    append(cells)
    append([_("说明：金额单位为人民币元；合计为各明细四舍五入到分后的合计。")])
    note_row = total + (15 if is_partner else 13)  # the rows appended after the 合计 row
    ws.merged_cells.add(f"A{note_row}:F{note_row}")
    return last - first + 1


def _line_rows(qs: QuerySet[SettlementLine]) -> Iterator[tuple[Any, ...]]:
    columns = ("settlement_id", "category", "quantity", "unit_price", "amount", "rebate", "description")
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("zh"):
        # The stored 说明 is the Chinese wording of its words: nothing to read per line.
        yield from qs.values_list(*columns).iterator(chunk_size=5000)
        return
    # Issue 15: another language reads each line's 说明 from its words (a line written before: as stored).
    for *row, stored in qs.values_list(*columns, "description_words").iterator(chunk_size=5000):
        if stored:
            row[-1] = words_text(stored, fallback=row[-1])
        yield tuple(row)


def _fixed_rows(settlement_ids: list[int]) -> dict[int, dict[str, list[Any]]]:
    """K13: per settlement and fixed category: quantity, amount, rebate, unit price range, line count
    (one grouped query; at most five entries per payee)."""
    out: dict[int, dict[str, list[Any]]] = {}
    priced = Q(quantity__gt=0)
    for row in (
        SettlementLine.objects.filter(settlement_id__in=settlement_ids, category__in=list(_FIXED_KEY))
        .values("settlement_id", "category")
        .annotate(
            q=Sum("quantity"),
            a=Sum("amount"),
            r=Sum("rebate"),
            lo=Min("unit_price", filter=priced),
            hi=Max("unit_price", filter=priced),
            n=Count("id"),
        )
        .order_by()
    ):
        code = _FIXED_KEY[row["category"]]
        cur = out.setdefault(row["settlement_id"], {}).get(code)
        if cur is None:
            out[row["settlement_id"]][code] = [row["q"], row["a"], row["r"], row["lo"], row["hi"], row["n"]]
            continue
        cur[0] += row["q"]
        cur[1] += row["a"]
        cur[2] += row["r"]
        prices = [p for p in (cur[3], cur[4], row["lo"], row["hi"]) if p is not None]
        cur[3], cur[4] = (min(prices), max(prices)) if prices else (None, None)
        cur[5] += row["n"]
    return out


def _tickets_of(settlements: list[Settlement]) -> dict[int, list[TicketSale]]:
    """K13: each partner settlement's attendee rows (the 结算信息一览表's rows)."""
    by_partner: dict[tuple[int, dt.date], int] = {
        (s.payee_partner_id, s.month): s.pk for s in settlements if s.payee_partner_id is not None
    }
    out: dict[int, list[TicketSale]] = {}
    if not by_partner:
        return out
    months = {m for _p, m in by_partner}
    for t in TicketSale.objects.filter(partner_id__in={p for p, _m in by_partner}, month__in=months).order_by(
        "attended_on", "id"
    ):
        sid = by_partner.get((t.partner_id, t.month))
        if sid is not None:
            out.setdefault(sid, []).append(t)
    return out


ProgressFn = Callable[[int, int], None]


def export_settlements(
    settlements: QuerySet[Settlement],
    out: str | os.PathLike[str] | IO[bytes],
    *,
    month: dt.date,
    unmasked: bool = False,
    progress: ProgressFn | None = None,
    approved_file: bool | None = None,
) -> int:
    """Write the workbook for these settlements (summary + one sheet per payee) and return the number
    of lines written. Lines are read in one streamed query ordered by settlement, so memory stays flat.
    `unmasked` (finance) shows bank account and ID numbers whole."""
    rows = list(settlements.order_by("payee_name", "id"))
    if approved_file is None:
        approved_file = bool(rows) and all(s.is_locked for s in rows)
    wb = Workbook(write_only=True)
    write_summary(wb, rows, month, approved_file=approved_file, unmasked=unmasked, tickets=_tickets_of(rows))
    ids = [s.pk for s in rows]
    signers = _signers(ids)
    fixed = _fixed_rows(ids)
    # One streamed query in the summary's order (payee name, id), so each sheet takes its run of lines.
    stream = _line_rows(
        SettlementLine.objects.filter(settlement_id__in=ids)
        .exclude(category__in=list(_FIXED_KEY))
        .order_by("settlement__payee_name", "settlement_id", "category", "id")
    )
    pending: tuple[Any, ...] | None = next(stream, None)

    def take(pk: int) -> Iterator[tuple[Any, ...]]:
        nonlocal pending
        while pending is not None and pending[0] == pk:
            yield pending[1:]
            pending = next(stream, None)

    written = 0
    total = len(rows)
    for i, s in enumerate(rows, 1):
        written += write_payee_sheet(
            wb,
            s,
            take(s.pk),
            index=i,
            unmasked=unmasked,
            signers=signers.get(s.pk, {}),
            fixed=fixed.get(s.pk),
        )
        if progress and (i % 20 == 0 or i == total):
            progress(i, total)
    if pending is not None:  # a line the sheets did not take would be a missing fen: refuse to write
        raise RuntimeError("settlement lines out of order in export")
    wb.save(out)
    return written


def export_month(
    *,
    month: dt.date,
    out: str | os.PathLike[str] | IO[bytes],
    unmasked: bool,
    progress: ProgressFn | None = None,
) -> int:
    """S6: the month's file. Once any settlement of the month is approved, the file holds only the
    approved (and paid) ones — a draft is never mixed into an approved month's file; before that it is
    the working file of every settlement, titled as not approved."""
    qs, approved_file = settlements_for_month_file(month=month)
    return export_settlements(
        qs, out, month=month, unmasked=unmasked, progress=progress, approved_file=approved_file
    )


def export_job_run(*, job_id: int) -> None:
    """The background export (S6): progress in ExportJob.progress, the file in ExportJob.file."""
    import tempfile

    from django.core.files import File

    from settlements.models import ExportJob, ExportStatus

    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.status == ExportStatus.DONE:
        return
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, progress=0)

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(progress=min(99, int(done * 100 / max(total, 1))))

    try:
        with tempfile.TemporaryFile() as tmp:
            export_month(month=job.month, out=tmp, unmasked=job.unmasked, progress=progress)
            tmp.seek(0)
            job.file.save(f"settlements-{job.month:%Y-%m}-{job.pk}.xlsx", File(tmp), save=False)
        ExportJob.objects.filter(pk=job.pk).update(
            file=job.file.name, status=ExportStatus.DONE, progress=100, error=""
        )
    except Exception as exc:  # the job records the failure for the page instead of dying silently
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=str(exc)[:500])
        raise


def export_files_purge(*, now: dt.datetime | None = None) -> int:
    """Issue 17: export files (full bank account numbers) do not stay on disk: after
    CRM_EXPORT_FILE_TTL_HOURS the file is deleted and the job marked expired. Safe to run twice."""
    from django.conf import settings
    from django.utils import timezone

    from settlements.models import ExportJob, ExportStatus

    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.CRM_EXPORT_FILE_TTL_HOURS)
    expired = ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=ExportStatus.EXPIRED)
    count = 0
    for job in expired.only("pk", "file"):
        if job.file:
            job.file.delete(save=False)
        count += ExportJob.objects.filter(pk=job.pk).update(file="", status=ExportStatus.EXPIRED, progress=0)
    return count


def export_job_expired(job: Any) -> bool:
    from django.conf import settings
    from django.utils import timezone

    from settlements.models import ExportStatus

    age = timezone.now() - job.created_at
    return job.status == ExportStatus.EXPIRED or age > dt.timedelta(hours=settings.CRM_EXPORT_FILE_TTL_HOURS)
