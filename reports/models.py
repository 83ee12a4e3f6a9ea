"""A3 partner consumption tracking (客户及其市场消费追踪, 000 form) and its 25th-of-month analysis
(000 §4.2.2): one per partner and month, prefilled from the data, submitted by the partner to the
regional manager, who comments (批示下月业绩计划)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


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
