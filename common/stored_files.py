"""Issue 17: every stored file (attachments, exports) is named unguessably, checked by content when
uploaded, and handed out only through a view that has asked the owning app's rule first.

`file_response` serves it as an attachment with `nosniff`; with ``CRM_FILES_X_ACCEL_REDIRECT`` set
(e.g. "/protected/"), the view only answers with an ``X-Accel-Redirect`` header and the proxy streams
the file from an internal location (nginx: ``location /protected/ { internal; alias <MEDIA_ROOT>/; }``).
"""

from __future__ import annotations

import os
import uuid
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from common.errors import DomainError


@deconstructible
class UnguessablePath:
    """upload_to: ``<prefix>/<32 random hex>.<ext>`` — the name tells nothing and cannot be guessed."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        ext = os.path.splitext(filename)[1].lower()[:10]
        return f"{self.prefix}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnguessablePath) and other.prefix == self.prefix


# Content signatures of the file types users may upload (the extension is never trusted).
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "office"),  # docx/xlsx/pptx (and zip archives)
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "office"),  # doc/xls/ppt
]
# Text that a browser would run if it ever rendered it.
_ACTIVE_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body", b"<head")


def _looks_like_plain_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError:
            continue
        lowered = head.lower()
        return not any(marker in lowered for marker in _ACTIVE_MARKERS)
    return False


def upload_kind(file: Any) -> str:
    """The type of an uploaded file judged by its first bytes, or "" when it is not allowed."""
    pos = file.tell() if hasattr(file, "tell") else 0
    head = file.read(2048)
    file.seek(pos)
    if isinstance(head, str):
        head = head.encode()
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head and _looks_like_plain_text(head):
        return "text"
    return ""


def check_upload(file: Any) -> str:
    """Refuse (with a message the user understands) any upload whose content is not an allowed type."""
    if file is None:
        raise DomainError(_("请选择要上传的文件。"), code="required", field="file")
    max_bytes = settings.CRM_UPLOAD_MAX_BYTES
    if getattr(file, "size", 0) and file.size > max_bytes:
        raise DomainError(
            _("文件太大：最大 %(mb)s MB。") % {"mb": max_bytes // (1024 * 1024)},
            code="too_large",
            field="file",
        )
    kind = upload_kind(file)
    if not kind:
        raise DomainError(
            _("不支持的文件类型：只能上传 PDF、图片（PNG/JPEG/GIF）、Office 文档或纯文本。"),
            code="file_type",
            field="file",
        )
    return kind


def file_response(fieldfile: Any, *, filename: str) -> HttpResponseBase:
    """Hand out a stored file as a download (never rendered inline, never sniffed)."""
    accel = getattr(settings, "CRM_FILES_X_ACCEL_REDIRECT", "")
    response: HttpResponseBase
    if accel:
        response = HttpResponse()
        response["X-Accel-Redirect"] = accel.rstrip("/") + "/" + quote(fieldfile.name)
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    else:
        response = FileResponse(fieldfile.open("rb"), as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
