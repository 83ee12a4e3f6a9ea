"""Issue 16/17: imports of leads, customers, contacts and opportunities run as background jobs — upload,
progress page (htmx), batches that are all or nothing, a redelivered job that resumes without doubles, the
row-by-row report (page, .xlsx, API), duplicates (C2) reported per row and never created twice, owners
limited to the importer and their team, a template per kind."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from crm.models import Contact, Customer, ImportJob, ImportStatus, Lead, Opportunity
from crm.services import import_rows
from crm.services.imports import import_job_run, import_job_start
from partners.models import CollisionCase
from tests.factories import NAV_QUERIES, CustomerFactory


def csv_file(text: str, name: str = "rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def start(org_user, kind: str, text: str, capture) -> ImportJob:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        job = import_job_start(by=org_user, kind=kind, filename="rows.csv", content=text.encode("utf-8"))
    job.refresh_from_db()
    return job


def outcomes(job: ImportJob) -> list[tuple[int, str]]:
    return [(r["line"], r["outcome"]) for r in job.report]


# ---- leads: the page is a job now -------------------------------------------------------------------


def test_lead_import_page_queues_a_job_and_shows_its_report(
    org, client_for, django_capture_on_commit_callbacks
):
    client = client_for(org.manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("crm:lead_import"),
            {"file": csv_file("公司名称,电话\n好公司,13900000001\n,13900000002\n乙公司,13900000003\n")},
        )
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("crm:import_job", args=[job.pk])
    assert job.status == ImportStatus.DONE and job.kind == "lead"
    assert (job.total_rows, job.created_count, job.error_count) == (3, 2, 1)
    assert Lead.objects.count() == 2
    body = client.get(resp["Location"]).content.decode()
    assert "已导入 2 行，重复 0 行，未导入 1 行。" in body
    assert '<td data-label="行号">3</td>' in body and "请填写公司名称。" in body
    assert "hx-trigger" not in body  # finished: the page stops polling


def test_a_running_job_is_polled_by_htmx(org, client_for):
    job = ImportJob.objects.create(kind="lead", requested_by=org.manager_a, filename="a.csv", total_rows=1000)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=500)
    client = client_for(org.manager_a)
    full = client.get(reverse("crm:import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in full and "已处理 500 / 1000 行" in full and 'value="50"' in full
    part = client.get(reverse("crm:import_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert part.startswith('<section class="card card-body" id="import-job"') and "<html" not in part
    # another person's job does not exist for them
    assert client_for(org.manager_b).get(reverse("crm:import_job", args=[job.pk])).status_code == 404


def test_batches_are_all_or_nothing_and_a_redelivered_job_resumes_without_doubles(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CRM_IMPORT_BATCH_ROWS = 2
    text = "公司名称,电话\n" + "".join(f"公司{i},1390000000{i}\n" for i in range(1, 6))  # lines 2–6
    real = import_rows.LeadRows.import_row

    def dies_on_line_5(self, row):  # type: ignore[no-untyped-def]
        if row["company"] == "公司4":
            raise RuntimeError("worker lost its database")
        return real(self, row)

    monkeypatch.setattr(import_rows.LeadRows, "import_row", dies_on_line_5)
    job = start(org.manager_a, "lead", text, django_capture_on_commit_callbacks)
    # the first batch (lines 2–3) stays; the second (lines 4–5) is rolled back whole, though line 4 was fine
    assert job.status == ImportStatus.FAILED and job.processed_rows == 2
    assert sorted(Lead.objects.values_list("company", flat=True)) == ["公司1", "公司2"]
    assert "第 4–5 行出现系统错误" in job.error
    # the worker comes back and the task is redelivered: it resumes after the committed batch
    monkeypatch.setattr(import_rows.LeadRows, "import_row", real)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, error="")
    job = import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE and job.created_count == 5
    assert outcomes(job) == [(2, "created"), (3, "created"), (4, "created"), (5, "created"), (6, "created")]
    assert Lead.objects.count() == 5
    # and running it once more changes nothing
    import_job_run(job_id=job.pk)
    assert Lead.objects.count() == 5


def test_a_bad_file_is_refused_on_the_form_and_nothing_is_queued(org, client_for):
    resp = client_for(org.manager_a).post(
        reverse("crm:import_start"), {"kind": "customer", "file": csv_file("名字,手机\n甲,1\n")}
    )
    body = resp.content.decode()
    assert (
        resp.status_code == 200
        and "第1行须是表头，并包含以下列：客户名称、联系人、联系人职务、联系电话。" in body
    )
    assert ImportJob.objects.count() == 0


# ---- customers: C2 duplicates per row, owners within the policy ---------------------------------------


def test_customer_import_reports_duplicates_and_collisions_and_never_creates_twice(
    org, django_capture_on_commit_callbacks
):
    theirs = CustomerFactory(owner=org.rep_b1, name="杭州他人客户有限公司", phone="13800000009")
    text = (
        "客户名称,联系人,联系人职务,联系电话,客户等级,负责人\n"
        "宁波新客户有限公司,王经理,采购,13800000001,B,\n"  # 2: created, the importer's
        "宁波新客户有限公司,王经理,采购,13800000002,,\n"  # 3: the same company again: duplicate
        "温州别名公司,李经理,总监,13800000009,,\n"  # 4: rep B1's phone: a collision case, no twin
        "台州公司,赵经理,采购,123,,\n"  # 5: bad phone
        "绍兴公司,钱经理,采购,13800000005,,rep_a1\n"  # 6: for a rep of my team
        "嘉兴公司,孙经理,采购,13800000006,,rep_b1\n"  # 7: not my team
    )
    job = start(org.manager_a, "customer", text, django_capture_on_commit_callbacks)
    assert outcomes(job) == [
        (2, "created"),
        (3, "duplicate"),
        (4, "collision"),
        (5, "error"),
        (6, "created"),
        (7, "error"),
    ]
    assert (job.created_count, job.duplicate_count, job.error_count) == (2, 2, 2)
    assert Customer.objects.filter(name="宁波新客户有限公司").get().owner == org.manager_a
    assert Customer.objects.get(name="绍兴公司").owner == org.rep_a1
    assert not Customer.objects.filter(name__in=["温州别名公司", "嘉兴公司", "台州公司"]).exists()
    case = CollisionCase.objects.get(customer=theirs)
    row4 = job.report[2]
    assert (
        row4["case_id"] == case.pk
        and "杭州他人客户" not in row4["message"]
        and "销售乙一" not in row4["message"]
    )
    assert "只能是您本人或您团队中的成员" in job.report[5]["message"]


def test_contacts_and_opportunities_import_against_visible_customers(org, django_capture_on_commit_callbacks):
    mine = CustomerFactory(owner=org.rep_a1, name="上海本人客户有限公司")
    CustomerFactory(owner=org.rep_b1, name="北京他人客户有限公司")
    contacts = (
        "客户名称,姓名,职务,电话\n"
        "上海本人客户有限公司,周总,总经理,13700000001\n"
        "上海本人客户有限公司,周总,总经理,13700000001\n"  # twice: duplicate
        "北京他人客户有限公司,吴总,总经理,13700000002\n"  # not visible to rep A1
    )
    job = start(org.rep_a1, "contact", contacts, django_capture_on_commit_callbacks)
    assert outcomes(job) == [(2, "created"), (3, "duplicate"), (4, "error")]
    assert Contact.objects.filter(customer=mine, name="周总").count() == 1
    opps = (
        "客户名称,商机名称,预计金额,预计签约日期\n"
        '上海本人客户有限公司,二期扩容,"¥13,460.50",2026-12-31\n'
        "上海本人客户有限公司,二期扩容,1,\n"  # same open opportunity: duplicate
        "上海本人客户有限公司,三期,12.345,\n"  # not exact to the fen
        "上海本人客户有限公司,四期,1,9999-12-31\n"  # a year outside the sane range
    )
    job = start(org.rep_a1, "opportunity", opps, django_capture_on_commit_callbacks)
    assert outcomes(job) == [(2, "created"), (3, "duplicate"), (4, "error"), (5, "error")]
    opp = Opportunity.objects.get(customer=mine)
    assert (opp.name, opp.amount, opp.owner) == ("二期扩容", Decimal("13460.50"), org.rep_a1)


# ---- files: template and report -----------------------------------------------------------------------


def _sheet(content: bytes) -> list[list[object]]:
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_template_per_kind_and_the_report_download(org, client_for, django_capture_on_commit_callbacks):
    client = client_for(org.manager_a)
    resp = client.get(reverse("crm:import_template") + "?kind=contact")
    assert resp.status_code == 200 and "attachment" in resp["Content-Disposition"]
    assert _sheet(resp.content)[0] == ["客户名称", "姓名", "职务", "电话", "邮箱", "备注"]
    assert client.get(reverse("crm:import_template") + "?kind=nonsense").status_code == 404
    job = start(
        org.manager_a,
        "lead",
        "公司名称,电话\n=HYPERLINK(1),13900000001\n,1\n",
        django_capture_on_commit_callbacks,
    )
    rows = _sheet(client.get(reverse("crm:import_report", args=[job.pk])).content)
    assert rows[0] == ["行号", "结果", "说明", "记录编号", "撞单编号"]
    assert rows[1][:2] == [2, "已导入"] and rows[2][:3] == [3, "未导入", "请填写公司名称。"]


# ---- API ----------------------------------------------------------------------------------------------


def test_api_starts_a_job_and_reports_it_to_its_owner_only(org, api_for, django_capture_on_commit_callbacks):
    api = api_for(org.rep_a1)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api.post(
            "/api/imports/",
            {
                "kind": "customer",
                "file": csv_file("客户名称,联系人,联系人职务,联系电话\n金华公司,冯经理,采购,13600000001\n"),
            },
            format="multipart",
        )
    assert resp.status_code == 202, resp.content
    job_id = resp.json()["id"]
    detail = api.get(f"/api/imports/{job_id}/").json()
    assert detail["status"] == "done" and detail["created_count"] == 1
    assert detail["report"][0] == {
        "line": 2,
        "outcome": "created",
        "outcome_label": "已导入",
        "message": "",
        "object_id": Customer.objects.get(name="金华公司").pk,
        "case_id": None,
    }
    assert api_for(org.rep_a2).get(f"/api/imports/{job_id}/").status_code == 404
    bad = api.post("/api/imports/", {"kind": "lead", "file": csv_file("x\n1\n", "a.txt")}, format="multipart")
    assert bad.status_code == 400 and ImportJob.objects.count() == 1


def test_lead_import_api_answers_with_the_job(org, api_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = api_for(org.manager_a).post(
            "/api/leads/import/",
            {"file": csv_file("公司名称,电话\n甲公司,13900000001\n乙公司,999\n")},
            format="multipart",
        )
    assert r.status_code == 202
    detail = api_for(org.manager_a).get(f"/api/imports/{r.json()['id']}/").json()
    assert [(x["line"], x["outcome"]) for x in detail["report"]] == [(2, "created"), (3, "error")]


@pytest.mark.parametrize("n", [3, 12])
def test_job_list_page_and_api_query_counts(org, client_for, api_for, django_assert_max_num_queries, n):
    for i in range(n):
        ImportJob.objects.create(kind="lead", requested_by=org.manager_a, filename=f"{i}.csv")
    client = client_for(org.manager_a)
    client.get(reverse("crm:import_start"))  # first request of the session warms its caches
    with django_assert_max_num_queries(4 + NAV_QUERIES):
        assert client.get(reverse("crm:import_start")).status_code == 200
    with django_assert_max_num_queries(4):
        assert len(api_for(org.manager_a).get("/api/imports/").json()["results"]) == n


def test_25000_rows_are_queued_not_imported_inside_the_request(org, client_for):
    # the request only checks the file and queues it (the worker's on_commit never runs here)
    text = "公司名称,电话\n" + "".join(f"公司{i},139{i:08d}\n" for i in range(25_000))
    resp = client_for(org.manager_a).post(reverse("crm:lead_import"), {"file": csv_file(text)})
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("crm:import_job", args=[job.pk])
    assert (job.status, job.total_rows, job.processed_rows) == (ImportStatus.QUEUED, 25_000, 0)
    assert Lead.objects.count() == 0
