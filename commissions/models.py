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


class PlanApproval(models.TextChoices):
    """K12 / 001 第4条: where a version stands on its way to publication (published_at set = approved)."""

    NONE = "", _("未提交")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准并公布")
    REJECTED = "rejected", _("已驳回")


class CommissionPlan(TimeStampedModel):
    code = models.CharField(_("方案代码"), max_length=50)
    name = models.CharField(_("方案名称"), max_length=100)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # K12: an effective date less than the notice period after publishing needs an admin's reason.
    notice_override_reason = models.CharField(_("提前生效原因"), max_length=300, blank=True)
    notice_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准提前生效"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # K12: publishing goes through the approval chain (crm ApprovalKind.COMMISSION_PLAN) first.
    approval_status = models.CharField(
        _("审批状态"), max_length=10, choices=PlanApproval.choices, default=PlanApproval.NONE, blank=True
    )
    approval_reason = models.CharField(_("驳回原因"), max_length=500, blank=True)
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
    # K6: the payee's grade (职级) under a grade-based plan.
    grade = models.CharField(_("职级"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("方案适用对象")
        verbose_name_plural = _("方案适用对象")

    def __str__(self) -> str:
        return f"{self.plan} → {self.user or self.role or self.partner_kind}"


class CommissionPolicy(models.Model):
    """SPEC defaults an admin can change without a deploy, effective-dated (the row in force on a day
    is the latest with effective_from ≤ that day; with no row, the SPEC defaults apply)."""

    effective_from = models.DateField(_("生效日期"), unique=True)
    plan_notice_days = models.PositiveIntegerField(_("方案变更提前公告天数"), default=30)  # K12
    clawback_min_amount = MoneyField(_("追回最小金额"), default=0)

    class Meta:
        verbose_name = _("提成规则设置")
        verbose_name_plural = _("提成规则设置")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}"


class SalesTarget(models.Model):
    """A payee's (a user's or a partner's) sales target for a month (monthly target bonus, the target
    gate, K6 floating, the leaver rule, the what-if estimator) or for a year (`annual`, period = 1 January:
    the K3 annual target bonus of 001 三.3 and the K5 year-end bonus), booked in the December run."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("合伙人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    period = models.DateField(_("月份"), help_text=_("月份的第一天；年度目标为 1 月 1 日"))
    annual = models.BooleanField(_("年度目标"), default=False)
    amount = MoneyField(_("目标金额"))

    class Meta:
        verbose_name = _("销售目标")
        verbose_name_plural = _("销售目标")
        constraints = [
            models.UniqueConstraint(fields=["user", "period", "annual"], name="salestarget_unique"),
            models.UniqueConstraint(
                fields=["partner", "period", "annual"],
                condition=Q(partner__isnull=False),
                name="salestarget_partner_unique",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False, partner__isnull=True)
                | Q(user__isnull=True, partner__isnull=False),
                name="salestarget_one_payee",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="salestarget_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.partner} {self.period:%Y-%m} {self.amount}"


class Departure(models.Model):
    """K11 (001 l.31, l.268): the day a payee left the company. The month it falls in is the month of
    leaving; what that month pays is the plan's `leaver` setting."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="+"
    )
    left_on = models.DateField(_("离职日期"))
    reason = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("离职登记")
        verbose_name_plural = _("离职登记")

    def __str__(self) -> str:
        return f"{self.user} {self.left_on:%Y-%m-%d}"


class KeyAccountUplift(models.Model):
    """K5: the payee won this key account or raised its class this year → +uplift points on it."""

    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveIntegerField(_("年度"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("大客户新开发/升级")
        verbose_name_plural = _("大客户新开发/升级")
        constraints = [
            models.UniqueConstraint(fields=["customer", "user", "year"], name="kauplift_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.year}"


class CommissionPeriod(models.Model):
    """A month of the ledger. `closed` is set when the month's settlement is approved (settlements calls
    `commissions.services.periods.commission_period_close`); a closed month is never recomputed (K10, K12)."""

    period = models.DateField(_("月份"), unique=True)
    closed = models.BooleanField(_("已关闭"), default=False)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("最近计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("提成月份")
        verbose_name_plural = _("提成月份")
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}"


class PeriodCalculation(models.Model):
    """One payee's calculation for one period under one plan: the facts and the calculator's full
    explanation. Ledger lines point here (their explanation holds `calculation` = this id)."""

    key = models.CharField(max_length=120, unique=True)
    period = models.DateField(_("所属月份"), db_index=True)
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payee_partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, related_name="+")
    sales = MoneyField(_("本期业绩"), default=0)
    total = MoneyField(_("提成合计"), default=0)
    result = models.JSONField(_("计算说明"), default=dict)

    class Meta:
        verbose_name = _("提成计算")
        verbose_name_plural = _("提成计算")

    def __str__(self) -> str:
        return self.key


class CommissionForfeit(models.Model):
    """K11: confirmed fraud/violation forfeits the payee's unpaid commission — who, why, when, how much."""

    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payee_partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    lines = models.PositiveIntegerField(_("条数"), default=0)
    amount = MoneyField(_("金额"), default=0)

    class Meta:
        verbose_name = _("提成没收")
        verbose_name_plural = _("提成没收")

    def __str__(self) -> str:
        return f"{self.payee_user or self.payee_partner} {self.amount}"


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
    """One ledger line for one payee (a user or a partner). Lines are added, never rewritten once settled.

    A month's run writes one line per credit share and component (220,000 in the benchmark month), so
    every index here is one a query uses: no `created_at` index, no LIKE copies of `status` and
    `source_key`, and partial indexes on the two columns that are almost always empty."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)  # not indexed: never filtered on
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收款员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commission_lines",
        db_index=False,  # covered by the (payee_user, period) index; fewer indexes = faster month runs
        # Checked per statement by a trigger (commissions/db.py, LEDGER_KEYS_SQL), not per line by a key.
        db_constraint=False,
    )
    payee_partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("收款合伙人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commission_lines",
        db_index=False,  # partial index below: most lines are a user's
    )
    period = models.DateField(_("所属月份"), db_index=True, help_text=_("月份的第一天"))
    kind = models.CharField(_("类型"), max_length=20, choices=LineKind.choices, default=LineKind.EARNED)
    status = models.CharField(
        _("状态"), max_length=20, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    order = models.ForeignKey(
        "crm.Order",
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # covered by the (order, status) index
        # Checked by the composite (credit_share, order) key below, not by a key of its own.
        db_constraint=False,
    )
    credit_share = models.ForeignKey(
        "partners.CreditShare",
        verbose_name=_("业绩分配"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never looked up by share; the source_key says which share a line is for
        # On PostgreSQL one check (credit_share_id, order_id) → the share of *that* order stands for the two
        # single keys: the order exists because its share does, and a line can never name another order's
        # share. A composite foreign key since migration 0004; since 0010 a per-statement trigger
        # (commissions/db.py, LEDGER_KEYS_SQL) with the same guarantees (README: Performance).
        db_constraint=False,
    )
    plan = models.ForeignKey(
        CommissionPlan,
        verbose_name=_("方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,  # checked per statement by a trigger (commissions/db.py, LEDGER_KEYS_SQL)
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
        db_index=False,  # partial index below: only clawbacks and corrections set it
    )
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    # Idempotency: the same source fact always produces the same key, so recalculation never duplicates.
    source_key = models.CharField(max_length=200)  # unique: see Meta (a constraint, so no LIKE index)

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
            models.UniqueConstraint(fields=["source_key"], name="cline_source_key_unique"),
            # P4: a line about an order pays one of its credit shares (and the composite key checks both).
            models.CheckConstraint(
                condition=Q(order__isnull=True) | Q(credit_share__isnull=False),
                name="commissionline_order_has_share",
            ),
        ]
        indexes = [
            models.Index(fields=["payee_user", "period"], name="cline_user_period_idx"),
            models.Index(fields=["order", "status"], name="cline_order_status_idx"),
            models.Index(fields=["status"], name="cline_status_idx"),
            models.Index(
                fields=["payee_partner"], name="cline_partner_idx", condition=Q(payee_partner__isnull=False)
            ),
            models.Index(fields=["corrects"], name="cline_corrects_idx", condition=Q(corrects__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.payee_user or self.payee_partner} {self.amount}"

    # Issue 15: a line written with words in its explanation (the sales champions) reads in the reader's
    # language; any other line, or one written before, reads as stored.
    @property
    def reason_text(self) -> str:
        from common.deferred_text import words_text

        return words_text((self.explanation or {}).get("reason_words"), fallback=self.reason)

    @property
    def explanation_text(self) -> str:
        from common.deferred_text import words_text

        exp = self.explanation or {}
        return words_text(exp.get("text_words"), fallback=str(exp.get("text") or ""))


class PlanObjection(models.Model):
    """K12 (001 五.2: 对提成调整有异议的，可在调整方案公布后一个月内提出): a payee's objection
    to an announced plan version, raised within the notice period."""

    plan = models.ForeignKey(
        CommissionPlan, verbose_name=_("方案"), on_delete=models.CASCADE, related_name="objections"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField(_("异议内容"))
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("方案异议")
        verbose_name_plural = _("方案异议")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.plan} {self.user}"


# K14 partner perks (their own module; registered here so Django finds them).
from commissions.reward_models import (  # noqa: E402, F401
    PartnerPerk,
    PartnerPerkEvent,
    PerkAction,
    PerkKind,
    PerkStatus,
)
