"""Q2: one authority matrix for every "needs someone senior" decision, and the requests it routes."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import TimeStampedModel
from common.money import MoneyField, RateField


class ApprovalKind(models.TextChoices):
    QUOTE_DISCOUNT = "quote_discount", _("报价折扣")
    CONTRACT = "contract", _("合同")
    CUSTOMER_REBATE = "customer_rebate", _("客户佣金")
    MAKE_GOOD_PLATFORM = "make_good_platform", _("补量（平台）")
    MAKE_GOOD_DATABASE = "make_good_database", _("补量（数据库）")
    BELOW_FLOOR = "below_floor", _("低于最低价销售")
    WRITE_OFF = "write_off", _("坏账核销")
    AGREEMENT_CHANGE = "agreement_change", _("协议变更")
    KEY_ACCOUNT_CLASS = "key_account_class", _("大客户分类变更")
    ORDER_OVER_CONTRACT = "order_over_contract", _("订单超出合同余额")
    EXECUTION_ORDER = "execution_order", _("执行单")
    COMMISSION_PLAN = "commission_plan", _("提成方案发布")


class AuthorityRule(models.Model):
    """One row of the authority matrix. A request matches the first active row of its kind (by
    `priority`) whose ranges all contain the request's measures; that row's chain must approve.

    `ratio` is the measure of the kind: price ÷ list price for quotes and contracts, rebate ÷ money
    received for customer rebates, make-good ÷ monthly volume for make-goods. `amount` is in yuan.
    `chain` is a list of steps, each a list of role codes any one of whom may decide that step,
    e.g. [["sales_admin_manager"], ["rd_vp"], ["delivery_vp"], ["president"]].
    """

    kind = models.CharField(_("审批类型"), max_length=30, choices=ApprovalKind.choices, db_index=True)
    name = models.CharField(_("规则说明"), max_length=200)
    priority = models.PositiveIntegerField(_("匹配顺序"), default=10)
    ratio_min = RateField(_("比例下限"), null=True, blank=True)
    ratio_min_inclusive = models.BooleanField(_("含下限"), default=True)
    ratio_max = RateField(_("比例上限"), null=True, blank=True)
    ratio_max_inclusive = models.BooleanField(_("含上限"), default=False)
    amount_min = MoneyField(_("金额下限"), null=True, blank=True)
    amount_min_inclusive = models.BooleanField(_("含金额下限"), default=True)
    amount_max = MoneyField(_("金额上限"), null=True, blank=True)
    amount_max_inclusive = models.BooleanField(_("含金额上限"), default=True)
    requires_standard_template = models.BooleanField(_("须为标准模板"), default=False)
    chain = models.JSONField(_("审批链（角色，按顺序）"), default=list)
    # Rows whose decider is the account manager: the customer's account manager decides alone.
    requester_may_decide = models.BooleanField(_("申请人权限内自行决定"), default=False)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    history = HistoricalRecords()  # SPEC §9: who changed the matrix, when, before/after

    class Meta:
        verbose_name = _("权限矩阵")
        verbose_name_plural = _("权限矩阵")
        ordering = ["kind", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.label}"

    @property
    def label(self) -> str:
        """Issue 15: the rule's description in the reader's language — the seeded rules' descriptions are
        in the translation files; a rule an admin wrote is shown as written."""
        from django.utils.translation import gettext

        return gettext(self.name) if self.name else ""

    def clean(self) -> None:
        """Admin edits: the chain must name known roles, ranges must not be upside down."""
        from django.core.exceptions import ValidationError

        from crm.models.org import Role

        chain = self.chain
        if not isinstance(chain, list) or not chain:
            raise ValidationError({"chain": _('审批链须为非空列表，例如 [["sales_manager"]]。')})
        for step in chain:
            roles = step if isinstance(step, list) else [step]
            unknown = [r for r in roles if r not in Role.values]
            if not roles or unknown:
                raise ValidationError(
                    {
                        "chain": _("未知的角色：%(r)s。可用角色：%(all)s")
                        % {"r": unknown, "all": ", ".join(Role.values)}
                    }
                )
        if self.ratio_min is not None and self.ratio_max is not None and self.ratio_min > self.ratio_max:
            raise ValidationError({"ratio_max": _("比例上限不能小于下限。")})
        if self.amount_min is not None and self.amount_max is not None and self.amount_min > self.amount_max:
            raise ValidationError({"amount_max": _("金额上限不能小于下限。")})
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("失效日期不能早于生效日期。")})

    @staticmethod
    def _in_range(
        value: Decimal | None,
        low: Decimal | None,
        low_inc: bool,
        high: Decimal | None,
        high_inc: bool,
    ) -> bool:
        if low is None and high is None:
            return True
        if value is None:
            return False
        if low is not None and (value < low or (value == low and not low_inc)):
            return False
        return not (high is not None and (value > high or (value == high and not high_inc)))

    def matches(self, *, ratio: Decimal | None, amount: Decimal | None, standard_template: bool) -> bool:
        if self.requires_standard_template and not standard_template:
            return False
        return self._in_range(
            ratio, self.ratio_min, self.ratio_min_inclusive, self.ratio_max, self.ratio_max_inclusive
        ) and self._in_range(
            amount, self.amount_min, self.amount_min_inclusive, self.amount_max, self.amount_max_inclusive
        )


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤回")


class ApprovalRequest(TimeStampedModel):
    kind = models.CharField(_("审批类型"), max_length=30, choices=ApprovalKind.choices, db_index=True)
    title = models.CharField(_("事项"), max_length=200)  # the Chinese wording (search, the admin)
    # Issue 15: the same title as message id + arguments, read in the reader's language (`heading`).
    title_words = models.JSONField(_("事项（多语言）"), null=True, blank=True, editable=False)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    rule = models.ForeignKey(
        AuthorityRule, verbose_name=_("适用规则"), on_delete=models.PROTECT, related_name="requests"
    )
    ratio = RateField(_("比例"), null=True, blank=True)
    amount = MoneyField(_("金额"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="approval_requests",
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
        db_index=True,
    )
    current_order = models.PositiveIntegerField(_("当前步骤"), default=1)
    decided_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批")
        verbose_name_plural = _("审批")
        ordering = ["-id"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="approval_subject_idx")]

    def __str__(self) -> str:
        return self.heading

    @property
    def heading(self) -> str:
        """The title in the reader's language; a request stored before issue 15 reads as stored."""
        from common.deferred_text import words_text

        return words_text(self.title_words, fallback=self.title)


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("等待中")
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("驳回")
    SKIPPED = "skipped", _("未执行")


class ApprovalStep(models.Model):
    """One link of the chain. `roles` is ",role_a,role_b," (any one decides); `assignee` is set when
    the role is scoped to the requester (their department manager, their regional manager, the
    customer's account manager)."""

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("审批"), on_delete=models.CASCADE, related_name="steps"
    )
    order = models.PositiveIntegerField(_("顺序"))
    roles = models.CharField(_("审批角色"), max_length=200, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指定审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("意见"), max_length=500, blank=True)
    # Issue 15: an automatic reason is kept as words too, read in the reader's language (reason_text).
    reason_words = models.JSONField(_("意见（多语言）"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("审批步骤")
        verbose_name_plural = _("审批步骤")
        ordering = ["request", "order"]
        constraints = [models.UniqueConstraint(fields=["request", "order"], name="approvalstep_unique_order")]

    def __str__(self) -> str:
        return f"{self.request} #{self.order}"

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language; one a person typed (or stored before) reads as typed."""
        from common.deferred_text import words_text

        return words_text(self.reason_words, fallback=self.reason)

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]
