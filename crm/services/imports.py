"""Issue 16/17: one importer for leads, customers, contacts and opportunities from Excel (.xlsx) or CSV.

`import_job_start` checks the file and its header at once (a clear message on the upload form), stores it
and queues `import_job_run` (Celery; eager in tests). The run reads the rows and hands each one to the
kind's row importer (crm.services.import_rows), BATCH rows per transaction: a batch is all or nothing, and
the job's progress and row report are written in the same transaction — a job the worker lost is
redelivered (acks_late) and resumes after the last committed batch, so no row is imported twice. A bad
row (DomainError) is reported with its line and reason and nothing of it is kept; duplicates (C2) are
reported per row and never created twice."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.spreadsheet import spreadsheet_row
from crm import policy
from crm.models import ImportJob, ImportKind, ImportStatus, RowOutcome, User

logger = logging.getLogger(__name__)


@dataclass
class RowResult:
    outcome: str
    message: str = ""
    object_id: int | None = None
    case_id: int | None = None


@dataclass(frozen=True)
class Column:
    key: str
    heading: str  # Chinese, as in the template
    required: bool = False
    aliases: tuple[str, ...] = ()  # other headings accepted on import (English, older templates)


class RowImporter(Protocol):
    kind: str
    columns: tuple[Column, ...]

    def import_row(self, row: dict[str, str]) -> RowResult: ...


def _header_map(columns: Iterable[Column]) -> dict[str, str]:
    out: dict[str, str] = {}
    for col in columns:
        for heading in (col.heading, *col.aliases):
            out[heading.strip().lower()] = col.key
    return out


def read_rows(
    *, columns: tuple[Column, ...], filename: str, content: bytes
) -> list[tuple[int, dict[str, str]]]:
    """(line number in the file, {key: text}) for every non-empty row; refuses an unreadable file or a
    header without the required columns, naming them."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            raw_rows = [
                [("" if c is None else str(c)).strip() for c in row]
                for row in wb.active.iter_rows(values_only=True)
            ]
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise DomainError(_("无法读取Excel文件，请确认是 .xlsx 格式。"), field="file") from exc
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise DomainError(_("无法识别CSV文件的编码（请用UTF-8或GBK）。"), field="file") from exc
        raw_rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise DomainError(_("只支持 .csv 或 .xlsx 文件。"), code="invalid_file", field="file")
    if not raw_rows:
        raise DomainError(_("文件是空的。"), code="empty_file", field="file")
    headings = _header_map(columns)
    header = [headings.get(h.strip().lower(), "") for h in raw_rows[0]]
    missing = [c.heading for c in columns if c.required and c.key not in header]
    if missing:
        raise DomainError(
            _("第1行须是表头，并包含以下列：%(cols)s。") % {"cols": _("、").join(missing)},
            code="no_header",
            field="file",
        )
    out = []
    for line_no, row in enumerate(raw_rows[1:], start=2):
        if not any(row):
            continue
        out.append((line_no, {k: v for k, v in zip(header, row, strict=False) if k}))
    return out


def importer_for(kind: str, *, by: User) -> RowImporter:
    from crm.services import import_rows

    return import_rows.IMPORTERS[kind](by=by)


def import_row_safely(importer: RowImporter, row: dict[str, str]) -> RowResult:
    """One row in its own savepoint: a refused row leaves nothing behind."""
    try:
        with transaction.atomic():
            return importer.import_row(row)
    except DomainError as exc:
        return RowResult(RowOutcome.ERROR, str(exc.message))


# ---- the job ----------------------------------------------------------------------------------------


def import_job_start(*, by: User, kind: str, filename: str, content: bytes) -> ImportJob:
    """Check the file now (format, header, size), keep it, and queue the import."""
    if kind not in ImportKind.values or not policy.can_import(by, kind):
        raise DomainError(_("您不能导入该类数据。"), code="not_allowed", status=403)
    if len(content) > settings.CRM_IMPORT_MAX_BYTES:
        raise DomainError(
            _("文件不能超过%(mb)sMB。") % {"mb": settings.CRM_IMPORT_MAX_BYTES // (1024 * 1024)}, field="file"
        )
    importer = importer_for(kind, by=by)
    rows = read_rows(columns=importer.columns, filename=filename, content=content)
    if len(rows) > settings.CRM_IMPORT_MAX_ROWS:
        raise DomainError(
            _("一次最多导入 %(n)s 行，请拆分文件。") % {"n": settings.CRM_IMPORT_MAX_ROWS}, field="file"
        )
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind, requested_by=by, filename=filename[:200], total_rows=len(rows)
        )
        job.file.save(filename[-50:], ContentFile(content), save=True)
        from crm.tasks import import_job_run_task

        transaction.on_commit(lambda: import_job_run_task.delay(job.pk))
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Import the job's rows, batch by batch. Safe to run twice: a finished job is left alone, an
    interrupted one resumes after its last committed batch."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("requested_by").get(pk=job_id)
        if job.finished:
            return job
        job.status = ImportStatus.RUNNING
        job.save(update_fields=["status", "updated_at"])
    try:
        with job.file.open("rb") as fh:
            content = fh.read()
        importer = importer_for(job.kind, by=job.requested_by)
        rows = read_rows(columns=importer.columns, filename=job.filename, content=content)
    except (DomainError, OSError) as exc:
        message = str(exc.message) if isinstance(exc, DomainError) else _("上传的文件已不存在。")
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    size = settings.CRM_IMPORT_BATCH_ROWS
    start = job.processed_rows
    while start < len(rows):
        batch = rows[start : start + size]
        try:
            with transaction.atomic():
                # the job row stays locked for the batch: a second delivery of the task waits, then sees
                # the batch done and moves on — two workers never import the same rows
                locked = ImportJob.objects.select_for_update().get(pk=job.pk)
                if locked.processed_rows != start or locked.finished:
                    start = locked.processed_rows
                    if locked.finished:
                        return locked
                    continue
                results = []
                for line, row in batch:
                    result = import_row_safely(importer, row)
                    results.append({"line": line, **asdict(result)})
                _record_batch(locked, results)
        except Exception:  # an unexpected failure: this batch is rolled back whole, earlier ones stay
            logger.exception("import job %s failed in rows %s–%s", job.pk, batch[0][0], batch[-1][0])
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.FAILED,
                error=(
                    _("第 %(a)s–%(b)s 行出现系统错误，这一批未导入；之前的 %(n)s 行已导入。")
                    % {"a": batch[0][0], "b": batch[-1][0], "n": start}
                )[:500],
                finished_at=timezone.now(),
            )
            job.refresh_from_db()
            return job
        start += len(batch)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, total_rows=len(rows), finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _record_batch(locked: ImportJob, results: list[dict[str, Any]]) -> None:
    """Progress and report move in the same transaction as the rows they describe (job row locked)."""
    ImportJob.objects.filter(pk=locked.pk).update(
        processed_rows=F("processed_rows") + len(results),
        created_count=F("created_count") + sum(1 for r in results if r["object_id"] is not None),
        duplicate_count=F("duplicate_count")
        + sum(1 for r in results if r["outcome"] in (RowOutcome.COLLISION, RowOutcome.DUPLICATE)),
        error_count=F("error_count") + sum(1 for r in results if r["outcome"] == RowOutcome.ERROR),
        report=[*locked.report, *results],
        updated_at=timezone.now(),
    )


# ---- files for the user: the template and the report -----------------------------------------------


def _xlsx(rows: Iterable[Iterable[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])
    for row in rows:
        ws.append(spreadsheet_row(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_template_xlsx(*, kind: str, by: User) -> bytes:
    """The headings the importer reads (required ones marked *), one sheet, nothing else."""
    importer = importer_for(kind, by=by)
    return _xlsx([[c.heading for c in importer.columns]], title=str(ImportKind(kind).label))


def import_report_rows(job: ImportJob) -> list[dict[str, Any]]:
    labels = dict(RowOutcome.choices)
    return [{**r, "outcome_label": str(labels.get(r["outcome"], r["outcome"]))} for r in job.report]


def import_report_xlsx(job: ImportJob) -> bytes:
    head = [_("行号"), _("结果"), _("说明"), _("记录编号"), _("撞单编号")]
    body = (
        [r["line"], r["outcome_label"], r["message"], r["object_id"] or "", r["case_id"] or ""]
        for r in import_report_rows(job)
    )
    return _xlsx([head, *body], title=_("导入结果"))
