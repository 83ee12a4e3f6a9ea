"""The reports app's own records: A4 work reports (工作日报 / 周报 / 月报, 001 第五章; 002 第七条: the weekly
report's 漏斗 and 工作 parts) and A3 partner consumption tracking (客户及其市场消费追踪, 000 form) with its
25th-of-month analysis (000 §4.2.2), submitted by the partner to the regional manager, who comments.

Only the reports app reads or writes them (nothing lower needs them), so the models live here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


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


class AnalysisStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交，待大区经理批示")
    COMMENTED = "commented", _("大区经理已批示")


class PartnerMonthlyAnalysis(TimeStampedModel):
    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("合伙人"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("月份的第一天"))
    status = models.CharField(
        _("状态"), max_length=20, choices=AnalysisStatus.choices, default=AnalysisStatus.DRAFT, db_index=True
    )
    # Snapshot of the figures when submitted (the page shows live figures while in draft).
    target = MoneyField(_("本月目标"), null=True, blank=True)
    actual = MoneyField(_("本月实际"), null=True, blank=True)
    best_items = models.TextField(_("畅销项目"), max_length=2000, blank=True)
    analysis = models.TextField(_("本月分析"), max_length=4000, blank=True)
    next_month_target = MoneyField(_("下月目标"), null=True, blank=True)
    next_month_plan = models.TextField(_("下月业绩计划"), max_length=4000, blank=True)
    service_log = models.TextField(_("服务记录"), max_length=4000, blank=True)
    sales_log = models.TextField(_("销售记录"), max_length=4000, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    manager_comment = models.TextField(_("大区经理批示"), max_length=2000, blank=True)
    commented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批示人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    commented_at = models.DateTimeField(_("批示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("合伙人月度消费追踪分析")
        verbose_name_plural = _("合伙人月度消费追踪分析")
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="partner_analysis_one_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m}"
