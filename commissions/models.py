"""SPEC §5: plans (data), their components, who they apply to, and the commission ledger.

CommissionLine is a shared contract: settlements pull `payable` lines into a month's settlement.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


class CommissionPlan(TimeStampedModel):
    code = models.CharField(_("方案代码"), max_length=50)
    name = models.CharField(_("方案名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    # The whole plan as the calculator reads it (the same JSON as commissions/plans/*.json).
    definition = models.JSONField(_("方案定义"), default=dict)

    class Meta:
        verbose_name = _("提成方案")
        verbose_name_plural = _("提成方案")
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "effective_from"], name="plan_code_from_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from})"


class PlanAssignment(models.Model):
    """Who a plan applies to, with dates: a person, everyone with a role, or a partner kind."""

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    role = models.CharField(_("角色"), max_length=30, blank=True)
    partner_kind = models.CharField(_("合伙人类别"), max_length=20, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("方案适用对象")
        verbose_name_plural = _("方案适用对象")

    def __str__(self) -> str:
        return f"{self.plan} → {self.user or self.role or self.partner_kind}"


class LineStatus(models.TextChoices):
    PENDING = "pending", _("待回款")  # earned, waiting for collection (K8)
    PAYABLE = "payable", _("可发放")
    SETTLED = "settled", _("已结算")  # in an approved settlement
    PAID = "paid", _("已发放")
    FORFEITED = "forfeited", _("已没收")  # K11


class LineKind(models.TextChoices):
    EARNED = "earned", _("提成")
    CLAWBACK = "clawback", _("追回")  # K10: negative, in the next open period
    ADJUSTMENT = "adjustment", _("调整")
    REWARD = "reward", _("奖励")  # K14
    REBATE = "rebate", _("返利")  # K13


class CommissionLine(TimeStampedModel):
    """One ledger line for one payee (a user or a partner). Lines are added, never rewritten once settled."""

    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收款员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commission_lines",
    )
    payee_partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("收款合伙人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commission_lines",
    )
    period = models.DateField(_("所属月份"), db_index=True, help_text=_("月份的第一天"))
    kind = models.CharField(_("类型"), max_length=20, choices=LineKind.choices, default=LineKind.EARNED)
    status = models.CharField(
        _("状态"), max_length=20, choices=LineStatus.choices, default=LineStatus.PENDING, db_index=True
    )
    order = models.ForeignKey(
        "crm.Order", verbose_name=_("订单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credit_share = models.ForeignKey(
        "partners.CreditShare",
        verbose_name=_("业绩分配"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    plan = models.ForeignKey(
        CommissionPlan,
        verbose_name=_("方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    component = models.CharField(_("方案组成"), max_length=50, blank=True)
    category = models.CharField(_("类别"), max_length=30, blank=True)
    base = MoneyField(_("计提基数"), default=0)
    rate = models.DecimalField(_("比例"), max_digits=9, decimal_places=6, null=True, blank=True)
    amount = MoneyField(_("金额"))
    explanation = models.JSONField(_("计算说明"), default=dict, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # Idempotency: the same source fact always produces the same key, so recalculation never duplicates.
    source_key = models.CharField(max_length=200, unique=True)

    class Meta:
        verbose_name = _("提成明细")
        verbose_name_plural = _("提成明细")
        ordering = ["period", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(payee_user__isnull=False, payee_partner__isnull=True)
                    | Q(payee_user__isnull=True, payee_partner__isnull=False)
                ),
                name="commissionline_one_payee",
            ),
        ]
        indexes = [models.Index(fields=["payee_user", "period"], name="cline_user_period_idx")]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.payee_user or self.payee_partner} {self.amount}"
