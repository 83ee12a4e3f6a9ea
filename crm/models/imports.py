"""Issue 16/17: an Excel/CSV import (leads, customers, contacts, opportunities) runs as a background job:
the upload is stored, a worker imports it in batches (each batch one transaction, all or nothing), the
page polls the progress, and the row-by-row report is kept on the job (and downloadable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.stored_files import UnguessablePath


class ImportKind(models.TextChoices):
    LEAD = "lead", _("线索")
    CUSTOMER = "customer", _("客户")
    CONTACT = "contact", _("联系人")
    OPPORTUNITY = "opportunity", _("商机")
    PRODUCT = "product", _("产品与价格")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class RowOutcome(models.TextChoices):
    CREATED = "created", _("已导入")
    UPDATED = "updated", _("已更新")
    COLLISION = "collision", _("重复，已发起撞单")
    DUPLICATE = "duplicate", _("重复，未导入")
    ERROR = "error", _("未导入")


class ImportJob(TimeStampedModel):
    kind = models.CharField(_("导入内容"), max_length=20, choices=ImportKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("文件名"), max_length=200)
    file = models.FileField(_("文件"), upload_to=UnguessablePath("imports"), blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    # rows whose batch has committed: a redelivered job resumes after them (nothing imported twice)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    created_count = models.PositiveIntegerField(_("已导入"), default=0)
    duplicate_count = models.PositiveIntegerField(_("重复"), default=0)
    error_count = models.PositiveIntegerField(_("未导入"), default=0)
    # [{"line": 2, "outcome": "created", "message": "…", "object_id": 5, "case_id": null}, …]
    report = models.JSONField(_("逐行结果"), default=list, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-id"]
        indexes = [models.Index(fields=["requested_by", "-id"], name="importjob_requester_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
