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

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray

from commissions.models import LineKind
from common.spreadsheet import spreadsheet_text as text
from crm.models import ProductCategory
from settlements.models import Settlement, SettlementLine, SettlementStep, mask_account

CNY_FORMAT = '"¥"#,##0.00;[Red]-"¥"#,##0.00'
QTY_FORMAT = "#,##0.##"
BOLD = Font(bold=True)
PLAIN = Font()
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")

SUMMARY_HEADERS = [
    gettext_noop("序号"),
    gettext_noop("姓名"),
    gettext_noop("类别"),
    gettext_noop("区域"),
    gettext_noop("电话"),
    gettext_noop("签约金额合计"),
    gettext_noop("售出金额合计"),
    gettext_noop("返利（提成）合计"),
    gettext_noop("扣减"),
    gettext_noop("上期结余"),
    gettext_noop("本期结余"),
    gettext_noop("应发金额"),
    gettext_noop("状态"),
]
SUMMARY_WIDTHS = [6, 14, 12, 12, 14, 16, 16, 16, 14, 14, 14, 14, 12]
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
CATEGORY_LABELS = {str(k): str(v) for k, v in ProductCategory.choices} | {
    str(k): str(v) for k, v in LineKind.choices
}
_BAD_TITLE = re.compile(r"[\[\]\*\?/\\:]")


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


def write_summary(wb: Workbook, settlements: list[Settlement], month: dt.date) -> None:
    ws = wb.create_sheet(_("结算信息一览表"))
    st = _Styles(ws)
    for i, width in enumerate(SUMMARY_WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    ws.append([st.fresh(ws, _("结算信息一览表"), font=TITLE), None, None, None, None, f"{month:%Y-%m}"])
    ws.append([st.fresh(ws, _(h), font=BOLD, fill=HEAD_FILL, border=BOX) for h in SUMMARY_HEADERS])
    first = 3
    for n, s in enumerate(settlements, 1):
        r = first + n - 1
        ws.append(
            [
                n,
                text(s.payee_name),
                text(s.payee_category),
                text(s.payee_region),
                text(s.payee_phone),
                st.fresh(ws, s.signed_total, number_format=CNY_FORMAT),
                st.fresh(ws, s.sold_total, number_format=CNY_FORMAT),
                st.fresh(ws, s.line_total, number_format=CNY_FORMAT),
                st.fresh(ws, s.deduction_total, number_format=CNY_FORMAT),
                st.fresh(ws, s.prior_balance, number_format=CNY_FORMAT),
                st.fresh(ws, f"=H{r}+J{r}", number_format=CNY_FORMAT),
                st.fresh(ws, f"=MAX(K{r},0)", number_format=CNY_FORMAT),
                s.get_status_display(),
            ]
        )
    last = first + len(settlements) - 1
    totals: list[Any] = [None, st.fresh(ws, _("合计"), font=BOLD), None, None, None]
    for col in "FGHIJKL":
        formula = f"=SUM({col}{first}:{col}{last})" if settlements else 0
        totals.append(st.fresh(ws, formula, number_format=CNY_FORMAT, font=BOLD))
    ws.append(totals)
    ws.append([])
    ws.append([_("编制："), None, None, _("审核："), None, None, _("审批：")])


def write_payee_sheet(
    wb: Workbook,
    settlement: Settlement,
    lines: Iterable[tuple[str, Decimal, Decimal, Decimal, Decimal, str]],
    *,
    index: int,
    unmasked: bool,
    signers: dict[str, tuple[str, dt.datetime]],
) -> int:
    """One 结算表审批表. `lines` yields (category, quantity, unit price, amount, rebate, description).
    Returns the number of lines written."""
    s = settlement
    ws = wb.create_sheet(sheet_title(index, s.payee_name))
    st = _Styles(ws)
    fresh = st.fresh
    for i, width in enumerate(SHEET_WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = width
    applicant = signers.get("_applicant", ("", None))[0]
    applied = s.submitted_at or s.generated_at or s.created_at or timezone.now()
    ws.append([fresh(ws, _("结算表审批表"), font=TITLE), None, None, None, _("结算月份"), f"{s.month:%Y-%m}"])
    ws.append(
        [
            fresh(ws, _("申请人"), font=BOLD),
            text(applicant),
            fresh(ws, _("姓名"), font=BOLD),
            text(s.payee_name),
        ]
    )
    ws.append(
        [
            fresh(ws, _("电话"), font=BOLD),
            text(s.payee_phone),
            fresh(ws, _("区域"), font=BOLD),
            text(s.payee_region),
            fresh(ws, _("类别"), font=BOLD),
            text(s.payee_category),
        ]
    )
    ws.append([fresh(ws, _("申请日期"), font=BOLD), timezone.localtime(applied).date().isoformat()])
    ws.append([fresh(ws, _(h), font=BOLD, fill=HEAD_FILL, border=BOX) for h in SHEET_HEADERS])
    first = 6
    row = first
    # One prototype per column: the writer serialises a row cell by cell as it is appended.
    qty, price, amount_c, rebate_c = st.qty, st.money, st.money2, st.money3
    append = ws.append
    labels = CATEGORY_LABELS
    for category, quantity, unit_price, amount, rebate, description in lines:
        qty.value = quantity
        price.value = unit_price
        amount_c.value = amount
        rebate_c.value = rebate
        append([labels.get(category, category), qty, price, amount_c, rebate_c, text(description)])
        row += 1
    last = row - 1
    total = row
    if last >= first:
        d_total, e_total = f"=SUM(D{first}:D{last})", f"=SUM(E{first}:E{last})"
    else:
        d_total, e_total = "=0", "=0"

    def money_cell(value: Any, bold: bool = True) -> WriteOnlyCell:
        return fresh(ws, value, number_format=CNY_FORMAT, font=BOLD if bold else PLAIN, border=BOX)

    append([fresh(ws, _("合计"), font=BOLD), None, None, money_cell(d_total), money_cell(e_total)])
    append([fresh(ws, _("上期结余"), font=BOLD), None, None, None, money_cell(s.prior_balance, False)])
    append([fresh(ws, _("本期结余"), font=BOLD), None, None, None, money_cell(f"=E{total}+E{total + 1}")])
    append([fresh(ws, _("应发金额"), font=BOLD), None, None, None, money_cell(f"=MAX(E{total + 2},0)")])
    append([])
    account = s.account_number if unmasked else mask_account(s.account_number)
    append([fresh(ws, _("开户行名称"), font=BOLD), text(s.bank_name)])
    append([fresh(ws, _("户名"), font=BOLD), text(s.account_holder)])
    append([fresh(ws, _("银行卡号"), font=BOLD), text(account)])
    append([])
    append([fresh(ws, _(label), font=BOLD, fill=HEAD_FILL, border=BOX) for label, _k in SIGN_BOXES])
    cells = []
    for _label, key in SIGN_BOXES:
        who = signers.get(key) if key else None
        signed = f"{who[0]} {timezone.localtime(who[1]):%Y-%m-%d}" if who else ""
        cells.append(fresh(ws, text(signed), border=BOX, alignment=WRAP))
    append(cells)
    append([_("说明：金额单位为人民币元；合计为各明细四舍五入到分后的合计。")])
    return last - first + 1


def _line_rows(qs: QuerySet[SettlementLine]) -> Iterator[tuple[Any, ...]]:
    yield from qs.values_list(
        "settlement_id", "category", "quantity", "unit_price", "amount", "rebate", "description"
    ).iterator(chunk_size=5000)


ProgressFn = Callable[[int, int], None]


def export_settlements(
    settlements: QuerySet[Settlement],
    out: str | os.PathLike[str] | IO[bytes],
    *,
    month: dt.date,
    unmasked: bool = False,
    progress: ProgressFn | None = None,
) -> int:
    """Write the workbook for these settlements (summary + one sheet per payee) and return the number
    of lines written. Lines are read in one streamed query ordered by settlement, so memory stays flat."""
    rows = list(settlements.order_by("payee_name", "id"))
    wb = Workbook(write_only=True)
    write_summary(wb, rows, month)
    signers = _signers([s.pk for s in rows])
    # One streamed query in the summary's order (payee name, id), so each sheet takes its run of lines.
    stream = _line_rows(
        SettlementLine.objects.filter(settlement_id__in=[s.pk for s in rows]).order_by(
            "settlement__payee_name", "settlement_id", "category", "id"
        )
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
            wb, s, take(s.pk), index=i, unmasked=unmasked, signers=signers.get(s.pk, {})
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
    return export_settlements(
        Settlement.objects.filter(month=month), out, month=month, unmasked=unmasked, progress=progress
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
