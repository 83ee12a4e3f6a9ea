"""The reports app's own records: A4 work reports (工作日报 / 周报 / 月报, 001 第五章; 002 第七条: the weekly
report's 漏斗 and 工作 parts) and A3 partner consumption tracking (客户及其市场消费追踪, 000 form) with its
25th-of-month analysis (000 §4.2.2), submitted by the partner to the regional manager, who comments.

Only the reports app reads or writes them (nothing lower needs them), so the models live here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import ZERO, MoneyField


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


# --- rollups (issue 14, "fast at scale"): derived figures, recomputed from the raw rows -------------


class RollupSpan(models.TextChoices):
    MONTH = "month", _("月")
    QUARTER = "quarter", _("季度")
    YEAR = "year", _("年")


class PersonPeriodFigures(models.Model):
    """Derived data: one person's figures for one calendar month, quarter or year (local dates), as
    `reports.rollups.raw_person_figures` computes them from the raw rows. Rewritten whole per (period,
    person) by `rollup_refresh`; a person with a `RollupDirty` day in the period is read raw instead."""

    span = models.CharField(max_length=8, choices=RollupSpan.choices)
    start = models.DateField()
    person_id = models.IntegerField()
    new_customers = models.IntegerField(default=0)
    new_opportunities = models.IntegerField(default=0)
    followups = models.IntegerField(default=0)
    customers_followed = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    contract_count = models.IntegerField(default=0)
    contract_amount = MoneyField(default=ZERO)
    collections = MoneyField(default=ZERO)
    sales_lines = models.IntegerField(default=0)
    sales_amount = MoneyField(default=ZERO)
    booked_total = MoneyField(default=ZERO)  # booked orders' totals (sales against target)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["span", "start", "person_id"], name="rollup_person_period_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.span} {self.start}"


class OwnerGradeCount(models.Model):
    """Derived snapshot: how many customers each owner holds per grade (rebuilt whole by each refresh)."""

    owner_id = models.IntegerField()
    grade = models.CharField(max_length=1)
    customers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_id", "grade"], name="rollup_owner_grade_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.grade}: {self.customers}"


class ReceivableDue(models.Model):
    """Derived snapshot (Q6): open booked orders per owner, due date and booking date — count and open
    amount (total − cleared) — so the aging buckets are sums over a few thousand rows."""

    owner_id = models.IntegerField(db_index=True)
    due_on = models.DateField(null=True)
    booked_on = models.DateField(null=True)  # only for orders without a due date
    orders = models.IntegerField(default=0)
    open_amount = MoneyField(default=ZERO)

    def __str__(self) -> str:
        return f"{self.owner_id} {self.due_on or self.booked_on}: {self.open_amount}"


class PipelineCell(models.Model):
    """Derived snapshot (L2): opportunities per owner, stage, registration month and expected signing
    month — count and amount — for the funnel and the forecast."""

    owner_id = models.IntegerField(db_index=True)
    stage = models.CharField(max_length=32)
    registered_month = models.DateField()
    expected_month = models.DateField(null=True)
    opportunities = models.IntegerField(default=0)
    amount = MoneyField(default=ZERO)

    def __str__(self) -> str:
        return f"{self.owner_id} {self.stage} {self.registered_month}: {self.amount}"


class RollupDirty(models.Model):
    """A (person, local day) whose raw rows changed since the rollups were computed. Written by the
    source models' signals in the same transaction; `token` changes on every mark, so a refresh
    removes only the marks it has seen."""

    person_id = models.IntegerField()
    day = models.DateField()
    token = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person_id", "day"], name="rollup_dirty_unique")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day}"
