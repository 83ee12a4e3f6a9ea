"""SPEC §6: monthly settlements (S1–S8).

A Settlement is one payee's statement for one month, built from `payable` CommissionLine rows (the
commission ledger). Once approved it is locked (S3): the services refuse changes, the admin is read-only
and on PostgreSQL a trigger (settlements/db.py) refuses UPDATE/DELETE of locked rows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import ZERO, MoneyField
from common.stored_files import UnguessablePath


class SettlementPolicy(models.Model):
    """S1/S7/S8 defaults an admin can change; effective-dated (the row in force for a month is the
    latest one whose `effective_from` is on or before the month's first day)."""

    effective_from = models.DateField(_("生效月份"), unique=True, help_text=_("月份的第一天"))
    collect_day = models.PositiveSmallIntegerField(_("收集核对截止日"), default=5)
    approval_day = models.PositiveSmallIntegerField(_("审批完成截止日"), default=10)
    payout_confirm_day = models.PositiveSmallIntegerField(_("发放确认截止日"), default=15)
    payout_day = models.PositiveSmallIntegerField(_("发放日"), default=15)
    dispute_workdays = models.PositiveSmallIntegerField(_("异议截止（发放前工作日数）"), default=3)
    generate_day = models.PositiveSmallIntegerField(_("自动生成日"), default=1)
    auto_generate = models.BooleanField(_("自动生成上月结算"), default=True)

    class Meta:
        verbose_name = _("结算规则")
        verbose_name_plural = _("结算规则")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from:%Y-%m}"


class SettlementStatus(models.TextChoices):
    """S2: each status is the step the settlement waits at."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待核对")  # sent to the payee for reconciliation (000 §4.2.4)
    SALES_REVIEW = "sales_review", _("销售部审核")
    FINANCE_CONFIRMATION = "finance_confirmation", _("财务中心确认")
    PRESIDENT_APPROVAL = "president_approval", _("总裁办审批")
    APPROVED = "approved", _("已审批（锁定）")
    PAID = "paid", _("已发放")


LOCKED_STATUSES = (SettlementStatus.APPROVED, SettlementStatus.PAID)


class TaxMethod(models.TextChoices):
    """001 第8条 (扣减所得税后发放): how a settlement's income tax is withheld, by payee kind."""

    LABOUR = "labour", _("劳务报酬（按预扣预缴公式计算）")
    PAYROLL = "payroll", _("工资薪金（财务按工资表录入）")


class Settlement(TimeStampedModel):
    payee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收款员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    payee_partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("收款合伙人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="settlements",
    )
    month = models.DateField(_("结算月份"), db_index=True, help_text=_("月份的第一天"))
    status = models.CharField(
        _("状态"), max_length=30, choices=SettlementStatus.choices, default=SettlementStatus.DRAFT
    )
    # Snapshot of the payee for the sheet (S4), taken when generated.
    payee_name = models.CharField(_("姓名"), max_length=80, blank=True)
    payee_phone = models.CharField(_("电话"), max_length=20, blank=True)
    payee_region = models.CharField(_("区域"), max_length=50, blank=True)
    payee_category = models.CharField(_("类别"), max_length=30, blank=True)
    bank_name = models.CharField(_("开户行名称"), max_length=100, blank=True)
    account_holder = models.CharField(_("户名"), max_length=80, blank=True)
    account_number = models.CharField(_("银行卡号"), max_length=40, blank=True)
    # Stored totals: sums of the rounded lines (K: totals are sums of rounded lines).
    signed_total = MoneyField(_("签约金额合计"), default=ZERO)
    sold_total = MoneyField(_("售出金额合计"), default=ZERO)
    commission_total = MoneyField(_("提成"), default=ZERO)
    rebate_total = MoneyField(_("返利"), default=ZERO)
    reward_total = MoneyField(_("奖励"), default=ZERO)
    adjustment_total = MoneyField(_("调整"), default=ZERO)
    deduction_total = MoneyField(_("扣减"), default=ZERO, help_text=_("追回及负数调整（负数）"))
    line_total = MoneyField(_("合计"), default=ZERO)
    prior_balance = MoneyField(_("上期结余"), default=ZERO)
    current_balance = MoneyField(_("本期结余"), default=ZERO)
    payout_amount = MoneyField(_("应发金额"), default=ZERO)
    # K13 (000 结算信息一览表): the partner's ticket account this month, snapshot taken by the service
    # settlements.services.tickets.ticket_statement_apply when the draft is (re)generated.
    ticket_signed_total = MoneyField(_("签约票款合计"), default=ZERO)
    ticket_sold_total = MoneyField(_("售出票款合计"), default=ZERO)
    ticket_deduction_total = MoneyField(_("票额抵扣合计"), default=ZERO)
    ticket_prior_balance = MoneyField(_("上期票额结余"), default=ZERO)
    ticket_current_balance = MoneyField(_("本期票额结余"), default=ZERO)
    # 001 第8条: gross (payout_amount) − income tax withheld = net paid to the bank account.
    tax_method = models.CharField(_("个税计算方式"), max_length=20, choices=TaxMethod.choices, blank=True)
    tax_withheld = MoneyField(_("代扣个税"), default=ZERO)
    net_payout = MoneyField(_("实发金额"), default=ZERO)
    tax_entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("个税录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    reject_reason = models.CharField(_("退回原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-month", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(payee_user__isnull=False, payee_partner__isnull=True)
                    | Q(payee_user__isnull=True, payee_partner__isnull=False)
                ),
                name="settlement_one_payee",
            ),
            models.UniqueConstraint(
                fields=["payee_user", "month"],
                condition=Q(payee_user__isnull=False),
                name="settlement_user_month_unique",
            ),
            models.UniqueConstraint(
                fields=["payee_partner", "month"],
                condition=Q(payee_partner__isnull=False),
                name="settlement_partner_month_unique",
            ),
        ]
        indexes = [models.Index(fields=["month", "status"], name="settlement_month_status_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.payee_name}"

    @property
    def net_amount(self) -> Decimal:
        """What the bank transfer pays: the net after income tax (settlements made before the tax was
        recorded, with no method, paid their gross)."""
        return self.net_payout if self.tax_method else self.payout_amount

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @property
    def payee(self) -> models.Model | None:
        return self.payee_user or self.payee_partner

    @property
    def masked_account(self) -> str:
        return mask_account(self.account_number)


def mask_account(number: str) -> str:
    """S4: a bank account shown as its first and last four digits."""
    digits = (number or "").replace(" ", "")
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_id_number(number: str) -> str:
    """身份证号 shown as its first six and last four characters (finance's export shows it whole)."""
    text = (number or "").replace(" ", "")
    if len(text) <= 10:
        return "*" * len(text)
    return f"{text[:6]}{'*' * (len(text) - 10)}{text[-4:]}"


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class PartnerTicketStock(models.Model):
    """K13: tickets a partner owns (bought or allotted): 票价 × 票数量. The partner's ticket balance is
    what is left of them; attendees the partner brings are deducted from it, oldest tickets first."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("所属合伙人"),
        on_delete=models.PROTECT,
        related_name="ticket_stock",
    )
    course_name = models.CharField(_("课程名称"), max_length=100)
    ticket_price = MoneyField(_("票价"))
    quantity = models.PositiveIntegerField(_("票数量"))
    acquired_on = models.DateField(_("取得日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("合伙人所属门票")
        verbose_name_plural = _("合伙人所属门票")
        ordering = ["partner", "acquired_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ticket_price__gte=0), name="ticketstock_price_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.course_name} {self.quantity}"


class TicketSale(models.Model):
    """K13: one row of the 结算信息一览表 — an attendee a partner brought to a course, with the signed and
    the sold ticket price; the deduction columns are filled by the ticket service (never by hand)."""

    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("所属合伙人"),
        on_delete=models.PROTECT,
        related_name="ticket_sales",
    )
    month = models.DateField(_("结算月份"), db_index=True, help_text=_("月份的第一天"))
    attendee_name = models.CharField(_("姓名"), max_length=80)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=20, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    attended_on = models.DateField(_("参会日期"))
    course_name = models.CharField(_("课程名称"), max_length=100)
    signed_price = MoneyField(_("签约票价"))
    sold_price = MoneyField(_("售出票价"))
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    deducted_price = MoneyField(_("所属合伙人票价抵扣"), null=True, blank=True)
    deducted_quantity = models.PositiveIntegerField(_("所属合伙人票数量抵扣"), default=0)
    deducted_amount = MoneyField(_("所属合伙人票额抵扣"), default=ZERO)

    class Meta:
        verbose_name = _("参会门票")
        verbose_name_plural = _("参会门票")
        ordering = ["partner", "month", "attended_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_price__gte=0, sold_price__gte=0), name="ticketsale_prices_not_negative"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="ticketsale_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.attendee_name} {self.course_name}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class SettlementLine(models.Model):
    """One line of a settlement: a commission-ledger line (never in two settlements: the FK is unique)."""

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("结算单"), on_delete=models.PROTECT, related_name="lines"
    )
    commission_line = models.OneToOneField(
        "commissions.CommissionLine",
        verbose_name=_("提成明细"),
        on_delete=models.PROTECT,
        related_name="settlement_line",
    )
    kind = models.CharField(_("类型"), max_length=20)
    category = models.CharField(_("类别"), max_length=30, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2, default=ZERO)
    unit_price = MoneyField(_("单价"), default=ZERO)
    amount = MoneyField(_("金额"), default=ZERO, help_text=_("售出金额（提成基数）"))
    signed_amount = MoneyField(_("签约金额"), default=ZERO)
    rebate = MoneyField(_("返利（提成）"), default=ZERO)
    description = models.CharField(_("说明"), max_length=300, blank=True)  # the Chinese wording (admin)
    # Issue 15: the same 说明 as message id + arguments (common.deferred_text), read in the reader's
    # language (`description_text`): the kind of money, a champion's award and its explanation.
    description_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("更正对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["settlement", "category", "id"]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.category} {self.rebate}"

    @property
    def description_text(self) -> str:
        """The 说明 in the reader's language; a line written before reads as stored."""
        from common.deferred_text import words_text

        return words_text(self.description_words, fallback=self.description)


class LineDeferral(models.Model):
    """S1: a ledger line held back from a month's draft (late for the payee's or staff's reasons, 000
    §4.2.8); generation skips it for that month, so the next month takes it."""

    commission_line = models.ForeignKey(
        "commissions.CommissionLine", verbose_name=_("提成明细"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("推迟出的月份"))
    reason = models.CharField(_("原因"), max_length=300)
    deferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("延期结算")
        verbose_name_plural = _("延期结算")
        constraints = [
            models.UniqueConstraint(fields=["commission_line", "month"], name="linedeferral_unique")
        ]

    def __str__(self) -> str:
        return f"{self.commission_line_id} → {self.month:%Y-%m}"


class SettlementStep(models.Model):
    """S2: one row per step — who, when, from, to, comment. Append-only."""

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("结算单"), on_delete=models.PROTECT, related_name="steps"
    )
    action = models.CharField(_("操作"), max_length=30)
    from_status = models.CharField(_("原状态"), max_length=30, choices=SettlementStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=30, choices=SettlementStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    acted_at = models.DateTimeField(_("时间"))
    comment = models.CharField(_("意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("审批记录")
        verbose_name_plural = _("审批记录")
        ordering = ["acted_at", "id"]

    def __str__(self) -> str:
        return f"{self.settlement_id}: {self.from_status} → {self.to_status}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    RESOLVED = "resolved", _("已处理")


class DisputeOutcome(models.TextChoices):
    KEPT = "kept", _("维持")
    ADJUSTED = "adjusted", _("调整")


class Dispute(TimeStampedModel):
    """S7: a payee questions one line; the manager answers; the outcome is kept or adjusted."""

    line = models.ForeignKey(
        SettlementLine, verbose_name=_("结算明细"), on_delete=models.PROTECT, related_name="disputes"
    )
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("结算单"), on_delete=models.PROTECT, related_name="disputes"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("异议理由"), max_length=1000)
    status = models.CharField(
        _("状态"), max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    answer = models.CharField(_("答复"), max_length=1000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=20, choices=DisputeOutcome.choices, blank=True)
    adjustment_amount = MoneyField(_("调整金额"), null=True, blank=True)
    adjustment_line = models.OneToOneField(
        "commissions.CommissionLine",
        verbose_name=_("调整明细"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dispute",
    )

    class Meta:
        verbose_name = _("提成异议")
        verbose_name_plural = _("提成异议")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.get_status_display()}"


class Payout(models.Model):
    """S8: the bank transfer that paid a settlement."""

    settlement = models.OneToOneField(
        Settlement, verbose_name=_("结算单"), on_delete=models.PROTECT, related_name="payout"
    )
    paid_on = models.DateField(_("发放日期"))
    bank_reference = models.CharField(_("银行流水号"), max_length=80)
    amount = MoneyField(_("发放金额"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("发放记录")
        verbose_name_plural = _("发放记录")

    def __str__(self) -> str:
        return f"{self.settlement_id} {self.paid_on} {self.bank_reference}"


class PayeeBankAccount(models.Model):
    """A staff payee's bank account (partners keep theirs on Partner)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        on_delete=models.CASCADE,
        related_name="bank_account",
    )
    bank_name = models.CharField(_("开户行名称"), max_length=100)
    account_holder = models.CharField(_("户名"), max_length=80)
    account_number = models.CharField(_("银行卡号"), max_length=40)

    class Meta:
        verbose_name = _("收款账户")
        verbose_name_plural = _("收款账户")

    def __str__(self) -> str:
        return f"{self.user} {mask_account(self.account_number)}"


class OverdueFlag(models.Model):
    """S1: an overdue step flagged to the person who must act (and to their manager). In-app, one row per
    (user, settlement, status) so the beat job is safe to run twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提醒对象"), on_delete=models.CASCADE, related_name="+"
    )
    settlement = models.ForeignKey(
        Settlement, verbose_name=_("结算单"), on_delete=models.CASCADE, related_name="overdue_flags"
    )
    status = models.CharField(_("逾期步骤"), max_length=30, choices=SettlementStatus.choices)
    due_on = models.DateField(_("截止日"))
    as_manager = models.BooleanField(_("作为上级"), default=False)
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("逾期提醒")
        verbose_name_plural = _("逾期提醒")
        constraints = [
            models.UniqueConstraint(fields=["user", "settlement", "status"], name="overdueflag_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.settlement_id} {self.status}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")  # issue 17: the file is deleted after CRM_EXPORT_FILE_TTL_HOURS


class ExportJob(TimeStampedModel):
    """S6: a month exported in the background; the page polls `progress`."""

    month = models.DateField(_("结算月份"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    unmasked = models.BooleanField(_("显示完整卡号"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=ExportStatus.choices, default="queued")
    progress = models.PositiveSmallIntegerField(_("进度%"), default=0)
    file = models.FileField(_("文件"), upload_to=UnguessablePath("settlement_exports"), blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status} {self.progress}%"


def month_label(month: dt.date) -> str:
    return f"{month:%Y-%m}"
