"""SPEC §2 and §4: the money-in records that commissions and settlements are computed from.

These are the shared contracts of the back office: commissions read Order/OrderLine/Payment/WriteOff
and the credit shares in `partners`; keep their meaning stable.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import ZERO, MoneyField, round_fen


class OpportunityStage(models.TextChoices):
    """L2 default funnel."""

    LEAD = "lead", _("信息开发")
    QUALIFIED = "qualified", _("立项")
    PROPOSAL = "proposal", _("方案/报价")
    NEGOTIATION = "negotiation", _("商务谈判")
    WON = "won", _("签约")
    LOST = "lost", _("失败")


class Opportunity(TimeStampedModel):
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="opportunities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="opportunities",
    )
    name = models.CharField(_("商机名称"), max_length=200)
    stage = models.CharField(
        _("阶段"),
        max_length=20,
        choices=OpportunityStage.choices,
        default=OpportunityStage.LEAD,
        db_index=True,
    )
    amount = MoneyField(_("预计金额"), default=ZERO)
    expected_sign_date = models.DateField(_("预计签约日期"), null=True, blank=True)
    competitors = models.CharField(_("竞争对手"), max_length=200, blank=True)
    # L3: registration time is the evidence in a collision.
    registered_at = models.DateTimeField(_("报备时间"), db_index=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # L2: the day the deal was won or lost; closing must follow within N working days.
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    close_reason = models.CharField(_("赢单/输单原因"), max_length=300, blank=True)
    close_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_confirmed_at = models.DateTimeField(_("关闭确认时间"), null=True, blank=True)
    # L2: a close after the deadline is recorded truthfully (real outcome date) and confirmed as late by
    # the manager with a reason.
    closed_late = models.BooleanField(_("逾期关闭"), default=False)
    late_confirm_reason = models.CharField(_("逾期确认原因"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["-id"]
        indexes = [
            # Issue 14: a person's opportunities registered in a period (raw read of unrefreshed rollups).
            models.Index(fields=["owner", "registered_at"], name="opportunity_owner_reg_idx"),
            # Issue 16: the list sorted by amount or registration (a saved filter) walks one of these in
            # order and stops after a page, a team's many owners included; the total of a person's
            # opportunities in a stage is read from (owner, stage) alone. Built CONCURRENTLY on
            # PostgreSQL (crm/signals.py).
            models.Index(fields=["amount", "id"], name="opportunity_amount_id_idx"),
            models.Index(fields=["registered_at", "id"], name="opportunity_registered_id_idx"),
            models.Index(fields=["owner", "stage"], name="opportunity_owner_stage_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    """Q3"""

    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审批中")
    SIGNED = "signed", _("已签约")
    IN_DELIVERY = "in_delivery", _("执行中")
    COMPLETED = "completed", _("已完成")
    TERMINATED = "terminated", _("已终止")


class Contract(TimeStampedModel):
    number = models.CharField(_("合同编号"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="contracts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="contracts"
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
    )
    title = models.CharField(_("合同名称"), max_length=200)
    amount = MoneyField(_("合同金额"))
    standard_template = models.BooleanField(_("标准模板"), default=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT, db_index=True
    )
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    quote = models.ForeignKey(
        "crm.Quote",
        verbose_name=_("报价单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    # Q2/Q3: the list-price value of what is sold; amount ÷ list_amount is the price ratio.
    list_amount = MoneyField(_("标准价总额"), null=True, blank=True)

    class Meta:
        verbose_name = _("合同")
        verbose_name_plural = _("合同")
        ordering = ["-id"]
        # Issue 16: whoever sees every contract sorts them by amount from this index (built CONCURRENTLY
        # on PostgreSQL, crm/signals.py MODEL_INDEXES).
        indexes = [models.Index(fields=["amount", "id"], name="contract_amount_id_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ProductCategory(models.TextChoices):
    """Q4 categories; K4/K7/K13 rates are keyed by these codes."""

    REGULAR = "regular", _("常规产品")
    HIGH_END = "high_end", _("高端产品")
    NEW_PRODUCT = "new_product", _("新产品")
    PARTNER_REFERRAL = "partner_referral", _("合伙人推荐")
    SOURCED = "sourced", _("外调产品")
    OUTSOURCED = "outsourced", _("外包")


class PartnerCategory(models.TextChoices):
    """K13: the five categories of the partner forms (000 结算表审批表), sold through the normal order page
    and API. The codes are the rate keys of commissions/plans/partner_rebate.json."""

    FAMILY_EDU_TICKET = "family_edu_ticket", _("家庭教育门票")
    STUDENT_CAMP = "student_camp", _("学生特训营")
    MICRO_COURSE = "micro_course", _("微课程")
    PARTNER_DEVELOPMENT = "partner_development", _("合伙人发展")
    BOOKS = "books", _("书籍")


# The one place that says which categories an order line may carry (Q4 products and K13 partner
# categories); the order service, form and API read it.
ORDER_CATEGORY_CHOICES = [*ProductCategory.choices, *PartnerCategory.choices]


def order_category_valid(code: str) -> bool:
    return code in {c for c, _label in ORDER_CATEGORY_CHOICES}


class OrderStatus(models.TextChoices):
    """Q4: an order with below-floor lines waits for the below-floor approval before it is booked.
    Only BOOKED orders count as sales (commissions and settlements read only those)."""

    PENDING_APPROVAL = "pending_approval", _("待低价审批")
    BOOKED = "booked", _("已下单")
    REJECTED = "rejected", _("已驳回")


class Order(TimeStampedModel):
    """Q4. `booked_at` fixes the period the sale counts in and freezes its credit shares (P4)."""

    number = models.CharField(_("订单编号"), max_length=40, unique=True)
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="orders"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="orders"
    )
    booked_at = models.DateTimeField(_("下单时间"), db_index=True)
    # K9: a below-floor sale carries the rate its approver set (null: the plan's rate).
    below_floor_rate = models.DecimalField(
        _("低价销售提成比例"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    total = MoneyField(_("订单金额"), default=ZERO)
    status = models.CharField(
        _("订单状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.BOOKED, db_index=True
    )
    # Q6: payment due date (booked date + payment terms at booking); null: booked date + policy terms.
    due_on = models.DateField(_("应收到期日"), null=True, blank=True, db_index=True)
    # Q5/Q6: received net of refunds + approved write-offs, kept by the payment, refund and write-off
    # services (`crm.services.receivables.order_cleared_refresh`), so that the open amount
    # (total − cleared) is a column expression the reports can sum over a million orders.
    cleared_amount = MoneyField(_("已回款及核销金额"), default=ZERO)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-id"]
        indexes = [
            # The receivables-by-age panels read only the open orders.
            models.Index(
                fields=["due_on", "booked_at"],
                name="order_open_due_idx",
                condition=models.Q(status="booked", total__gt=models.F("cleared_amount")),
            ),
            # Issue 14: a person's orders booked in a period, index-only (the raw read of unrefreshed
            # rollups: booked totals, and the way in to their lines and payments).
            models.Index(
                fields=["owner", "booked_at"],
                include=["id", "status", "total"],
                name="order_owner_booked_idx",
            ),
            # Issue 14: the open orders of people with unrefreshed rollups by age (aging_for), index-only.
            models.Index(
                fields=["owner", "due_on"],
                include=["id", "booked_at", "total", "cleared_amount"],
                name="order_open_owner_idx",
                condition=models.Q(status="booked", total__gt=models.F("cleared_amount")),
            ),
            # Issue 16: every order sorted by amount (finance, the president) reads this index in order.
            models.Index(fields=["total", "id"], name="order_total_id_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    def recompute_total(self) -> Decimal:
        return round_fen(sum((line.amount for line in self.lines.all()), ZERO))

    @property
    def received(self) -> Decimal:
        """Money in net of refunds (refunds are negative payments, Q5)."""
        return self.payments.aggregate(s=Sum("amount"))["s"] or ZERO

    @property
    def invoiced(self) -> Decimal:
        return self.invoices.aggregate(s=Sum("amount"))["s"] or ZERO  # type: ignore[attr-defined]

    @property
    def written_off(self) -> Decimal:
        return self.writeoffs.filter(status=WriteOffStatus.APPROVED).aggregate(s=Sum("amount"))["s"] or ZERO

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.received - self.written_off


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("订单"), on_delete=models.CASCADE, related_name="lines")
    # The catalogue product; list price, floor and unit cost are the price book's on the booking day.
    catalog_product = models.ForeignKey(
        "crm.Product",
        verbose_name=_("目录产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order_lines",
    )
    product = models.CharField(_("产品"), max_length=200)
    # A `crm.Category` code (the admin-managed categories; commission plans key their rates by it).
    category = models.CharField(_("类别"), max_length=20)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    list_price = MoneyField(_("标准价"))
    unit_price = MoneyField(_("成交单价"))
    floor_price = MoneyField(_("最低价"), default=ZERO)
    unit_cost = MoneyField(_("单位成本"), default=ZERO)
    # K7: tax and logistics for sourced products, per line.
    tax = MoneyField(_("税费"), default=ZERO)
    logistics = MoneyField(_("物流费"), default=ZERO)
    amount = MoneyField(_("金额"))

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_not_negative"),
        ]
        # Issue 14: the lines of a person's booked orders summed index-only (raw read of unrefreshed rollups).
        indexes = [models.Index(fields=["order"], include=["amount"], name="orderline_order_amount_idx")]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.amount = round_fen(self.quantity * self.unit_price)
        super().save(*args, **kwargs)

    @property
    def is_below_floor(self) -> bool:
        return self.floor_price > 0 and self.unit_price < self.floor_price


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("回款")
    REFUND = "refund", _("退款")


class Payment(TimeStampedModel):
    """Q5: money received against an order; a refund is a negative amount with a reason."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(
        _("类型"), max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT
    )
    amount = MoneyField(_("金额"))
    received_on = models.DateField(_("到账日期"), db_index=True)
    reference = models.CharField(_("流水号"), max_length=80, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    # Issue 17: the API client's Idempotency-Key: a retried request returns the payment it made.
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("回款")
        verbose_name_plural = _("回款")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="payment", amount__gt=0) | Q(kind="refund", amount__lt=0)),
                name="payment_sign_matches_kind",
            ),
            # Issue 17: one payment per bank reference per order (a double submit cannot book it twice).
            models.UniqueConstraint(
                fields=["order", "reference"],
                condition=Q(kind="payment") & ~Q(reference=""),
                name="payment_one_per_bank_reference",
            ),
            models.UniqueConstraint(
                fields=["recorded_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_idempotency_key_unique",
            ),
        ]
        # Issue 14: the payments of a person's orders in a period, index-only (raw read of unrefreshed
        # rollups: collections by order owner).
        indexes = [
            models.Index(
                fields=["order", "received_on"], include=["amount"], name="payment_order_received_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.amount}"


class WriteOffStatus(models.TextChoices):
    PROPOSED = "proposed", _("已提议")
    APPROVED = "approved", _("已核销")
    REJECTED = "rejected", _("已驳回")


class WriteOff(TimeStampedModel):
    """Q6: bad debt written off; once approved it counts as negative sales in the current year."""

    order = models.ForeignKey(
        Order, verbose_name=_("订单"), on_delete=models.PROTECT, related_name="writeoffs"
    )
    amount = MoneyField(_("核销金额"))
    reason = models.CharField(_("原因"), max_length=200)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=WriteOffStatus.choices,
        default=WriteOffStatus.PROPOSED,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提议人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_on = models.DateField(_("核销日期"), null=True, blank=True)
    # 002 §8.3: the board decides what is bad debt; finance records its resolution before approving.
    board_resolution_no = models.CharField(_("董事会决议编号"), max_length=50, blank=True, default="")
    board_resolution_on = models.DateField(_("董事会决议日期"), null=True, blank=True)
    board_resolution_file = models.FileField(
        _("董事会决议附件"), upload_to="board_resolutions/%Y/", blank=True
    )
    board_resolution_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决议登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    @property
    def has_board_resolution(self) -> bool:
        return bool(self.board_resolution_no and self.board_resolution_on and self.board_resolution_file)

    class Meta:
        verbose_name = _("坏账核销")
        verbose_name_plural = _("坏账核销")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="writeoff_amount_positive")]

    def __str__(self) -> str:
        return f"{self.order} −{self.amount}"
