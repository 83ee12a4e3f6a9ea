"""A4 work reports (工作日报 / 周报 / 月报, 001 第五章; 002 第七条: the weekly report's 漏斗 and 工作 parts).

Only the reports app reads or writes them (nothing lower needs them), so the model lives here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class WorkReportKind(models.TextChoices):
    DAILY = "daily", _("日报")
    WEEKLY = "weekly", _("周报")
    MONTHLY = "monthly", _("月报")


class WorkReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class WorkReport(TimeStampedModel):
    """One person's report for one period (a day, a Monday-to-Sunday week, a calendar month).

    `figures` keeps what the period's records said when the report was last saved (the 漏斗 by stage,
    the 工作 counts), so a report reads the same later even if the records change."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填表人"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("报告类型"), max_length=10, choices=WorkReportKind.choices)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))  # inclusive: the period's last day
    status = models.CharField(
        _("状态"), max_length=10, choices=WorkReportStatus.choices, default=WorkReportStatus.DRAFT
    )
    summary = models.TextField(_("工作内容与成果"), max_length=4000, blank=True)
    problems = models.TextField(_("存在的问题"), max_length=2000, blank=True)
    plan = models.TextField(_("下期工作计划"), max_length=2000, blank=True)
    support = models.TextField(_("需要的支持与资源"), max_length=1000, blank=True)
    figures = models.JSONField(_("期间数据"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    late = models.BooleanField(_("逾期提交"), default=False)
    manager_comment = models.TextField(_("经理批注"), max_length=2000, blank=True)
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批注人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commented_at = models.DateTimeField(_("批注时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作报告")
        verbose_name_plural = _("工作报告")
        ordering = ["-period_start", "kind", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "kind", "period_start"], name="workreport_one_per_author_period"
            )
        ]
        indexes = [models.Index(fields=["kind", "period_start"], name="workreport_kind_period_idx")]

    def __str__(self) -> str:
        return f"{self.author} · {self.get_kind_display()} {self.period_start}"

    @property
    def is_submitted(self) -> bool:
        return self.status == WorkReportStatus.SUBMITTED
