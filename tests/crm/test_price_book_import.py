"""Issue 16: the price book's Excel import runs on the background import jobs the lead import uses
(crm.services.imports, kind product) — the page and the API start a job; its progress and row-by-row
report (新增 / 已更新 / 未导入 with the reason) follow; a batch is all or nothing and a redelivered job
resumes without importing a row twice."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from crm.models import ImportJob, ImportKind, ImportStatus, Product, ProductPrice
from crm.services import catalog

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = [heading for _key, heading in catalog.COLUMNS]


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(rows: list[list[object]]) -> io.BytesIO:
    upload = io.BytesIO(_xlsx(rows))
    upload.name = "products.xlsx"
    return upload


def test_import_page_and_api_run_as_a_background_job_with_the_row_report(  # type: ignore[no-untyped-def]
    org, client_for, api_for, django_capture_on_commit_callbacks
):
    rows = [
        HEADER,
        ["NEW-1", "新品", "新产品", "套", "", "是", "2026-01-01", "6800.00", "5000.00", None],
        ["NEW-2", "", "新产品"],
    ]
    client = client_for(org.manager_a)
    # Given the page's upload: a job is queued and the page goes to its progress
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("crm:product_import"), {"file": _upload(rows)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("crm:import_job", args=[job.pk])
    job.refresh_from_db()
    assert (job.kind, job.status, job.total_rows, job.created_count, job.error_count) == (
        ImportKind.PRODUCT,
        ImportStatus.DONE,
        2,
        1,
        1,
    )
    body = client.get(response["Location"]).content.decode()
    assert "已导入 1 行，重复 0 行，未导入 1 行。" in body
    assert '<td data-label="行号">3</td>' in body and "请填写产品名称。" in body
    assert catalog.price_in_force(Product.objects.get(code="NEW-1"), dt.date(2026, 1, 1)).list_price == D(  # type: ignore[union-attr]
        "6800.00"
    )
    # The API takes the same file as a job too: now NEW-1 is known, so it is updated
    with django_capture_on_commit_callbacks(execute=True):
        r = api_for(org.finance).post("/api/products/import/", {"file": _upload(rows)}, format="multipart")
    assert r.status_code == 202 and r.data["kind"] == "product"
    again = ImportJob.objects.get(pk=r.data["id"])
    assert [(x["line"], x["outcome"], x["message"]) for x in again.report] == [
        (2, "updated", "已更新产品 NEW-1。"),
        (3, "error", "请填写产品名称。"),
    ]
    assert Product.objects.filter(code__startswith="NEW-").count() == 1


def test_a_bad_product_file_is_refused_on_the_form_and_nothing_is_queued(org, client_for):  # type: ignore[no-untyped-def]
    response = client_for(org.finance).post(
        reverse("crm:product_import"), {"file": _upload([["编码", "名称"], ["X", "Y"]])}
    )
    assert response.status_code == 200 and "产品编码" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert client_for(org.rep_a1).post(reverse("crm:product_import")).status_code == 404


def test_a_product_batch_is_all_or_nothing_and_a_redelivered_job_resumes(  # type: ignore[no-untyped-def]
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from crm.services import import_rows
    from crm.services.imports import import_job_run, import_job_start

    settings.CRM_IMPORT_BATCH_ROWS = 2
    rows = [HEADER] + [
        [f"P-{i}", f"产品{i}", "新产品", "件", "", "是", "2026-01-01", "100.00", "80.00", None]
        for i in range(1, 6)
    ]
    real = import_rows.ProductRows.import_row

    def dies_on_p4(self, row):  # type: ignore[no-untyped-def]
        if row["code"] == "P-4":
            raise RuntimeError("worker lost its database")
        return real(self, row)

    monkeypatch.setattr(import_rows.ProductRows, "import_row", dies_on_p4)
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_start(by=org.finance, kind="product", filename="p.xlsx", content=_xlsx(rows))
    job.refresh_from_db()
    # lines 2–3 stay; the batch of lines 4–5 is rolled back whole (P-3 with it), nothing half-imported
    assert job.status == ImportStatus.FAILED and job.processed_rows == 2
    assert sorted(Product.objects.filter(code__startswith="P-").values_list("code", flat=True)) == [
        "P-1",
        "P-2",
    ]
    assert not ProductPrice.objects.filter(product__code="P-3").exists()
    monkeypatch.setattr(import_rows.ProductRows, "import_row", real)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, error="")
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE and job.created_count == 5
    assert Product.objects.filter(code__startswith="P-").count() == 5
