"""Issue 17: files are served only through views that ask who may download them; names cannot be
guessed; uploads are checked by content (no stored XSS); exports expire; CSP on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.models import OpportunityAttachment
from settlements.export import export_files_purge
from settlements.models import ExportJob, ExportStatus
from tests.crm.pipeline_world import build_world

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(api, opp, name: str, content: bytes):  # type: ignore[no-untyped-def]
    f = SimpleUploadedFile(name, content)
    return api.post(f"/api/opportunities/{opp.pk}/attachments/", {"file": f}, format="multipart")


def test_attachment_is_downloaded_through_the_access_check_only(org, api_for, client):
    w = build_world(org)
    response = _upload(api_for(org.rep_a1), w.opportunity, "报价方案.pdf", PDF)
    assert response.status_code == 201, response.content
    att = OpportunityAttachment.objects.get()
    # the stored name says nothing and cannot be guessed; the user's own name is kept for the download
    assert "报价方案" not in att.file.name
    assert re.fullmatch(r"opportunities/[0-9a-f]{32}\.pdf", att.file.name)
    assert response.json()["name"] == "报价方案.pdf"
    download = response.json()["download"]

    # /media/ is not served at all, not even to the owner
    client.force_login(org.rep_a1)
    assert client.get(f"/media/{att.file.name}").status_code == 404
    # the owner downloads it as an attachment that the browser must not sniff
    ok = client.get(download)
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == PDF
    assert ok["Content-Disposition"].startswith("attachment")
    assert ok["X-Content-Type-Options"] == "nosniff"
    # another team's rep does not even learn it exists; an anonymous visitor is sent to log in
    client.force_login(org.rep_b1)
    assert client.get(download).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302


def test_behind_the_proxy_the_view_answers_with_x_accel_redirect(org, api_for, client, settings):
    settings.CRM_FILES_X_ACCEL_REDIRECT = "/protected/"
    w = build_world(org)
    _upload(api_for(org.rep_a1), w.opportunity, "a.pdf", PDF)
    att = OpportunityAttachment.objects.get()
    client.force_login(org.rep_a1)
    response = client.get(f"/opportunities/attachments/{att.pk}/")
    assert response["X-Accel-Redirect"] == f"/protected/{att.file.name}"
    assert response.content == b""


@pytest.mark.parametrize(
    "name,content",
    [
        ("x.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("renamed.pdf", b"<!DOCTYPE html><body onload=alert(1)>"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
    ],
)
def test_active_or_unknown_content_is_refused_whatever_the_extension(org, api_for, name, content):
    w = build_world(org)
    response = _upload(api_for(org.rep_a1), w.opportunity, name, content)
    assert response.status_code == 400
    assert "不支持的文件类型" in response.content.decode()
    assert not OpportunityAttachment.objects.exists()


@pytest.mark.parametrize(
    "name,content",
    [
        ("纪要.txt", "会议纪要：客户要求下周报价".encode()),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),
        ("合同.docx", b"PK\x03\x04" + b"\x00" * 20),
    ],
)
def test_allowed_types_are_accepted(org, api_for, name, content):
    w = build_world(org)
    assert _upload(api_for(org.rep_a1), w.opportunity, name, content).status_code == 201


def test_export_files_expire_and_are_deleted(org, client, settings):
    settings.CRM_EXPORT_FILE_TTL_HOURS = 24
    job = ExportJob.objects.create(month=dt.date(2026, 9, 1), requested_by=org.finance, status="done")
    job.file.save("anything.xlsx", ContentFile(b"PK\x03\x04 workbook"))
    assert re.fullmatch(r"settlement_exports/[0-9a-f]{32}\.xlsx", job.file.name)
    storage, name = job.file.storage, job.file.name
    client.force_login(org.finance)
    assert client.get(f"/settlements/exports/{job.pk}/download/").status_code == 200
    # a day later the link no longer works and the file is gone from disk
    ExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    response = client.get(f"/settlements/exports/{job.pk}/download/", follow=True)
    assert "导出文件已过期" in response.content.decode()
    assert export_files_purge() == 1
    assert not storage.exists(name)
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not job.file
    assert export_files_purge() == 0  # safe to run twice


def test_every_page_sends_a_content_security_policy_and_has_no_inline_script(org, client):
    client.force_login(org.rep_a1)
    for url in ["/", "/customers/", "/pool/", "/accounts/login/"]:
        response = client.get(url, follow=True)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", html), url
        assert not re.search(r"\son(click|submit|change|load)=", html), url
