"""SPEC §2 and §4: leads, the configurable funnel, quotes, contract history, invoices, concessions,
and the pipeline policy (every default an admin can change)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from common.models import TimeStampedModel
from common.money import ZERO, MoneyField, RateField, round_fen
from common.stored_files import UnguessablePath


class PipelinePolicy(models.Model):
    """Effective-dated defaults for L2 and Q6. The row with the latest effective_from ≤ day applies."""

    effective_from = models.DateField(_("生效日期"), unique=True)
    close_within_workdays = models.PositiveIntegerField(_("赢单/输单须在几个工作日内关闭"), default=1)
    payment_terms_days = models.PositiveIntegerField(_("账期（天）"), default=30)
    watch_months = models.PositiveIntegerField(_("逾期超过几个月进入关注名单"), default=2)
    meeting_months = models.PositiveIntegerField(_("逾期超过几个月列入周例会"), default=4)
    bad_debt_months = models.PositiveIntegerField(_("逾期超过几个月可申请坏账"), default=6)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("销售流程设置")
        verbose_name_plural = _("销售流程设置")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}"


class LeadSource(models.TextChoices):
    CALL = "call", _("来电")
    WEBSITE = "website", _("网站注册")
    CHAT = "chat", _("在线咨询")
    IMPORT = "import", _("导入")


class LeadStatus(models.TextChoices):
    NEW = "new", _("待分配")
    ASSIGNED = "assigned", _("已分配")
    CONVERTED = "converted", _("已转客户")
    INVALID = "invalid", _("无效")


class Lead(TimeStampedModel):
    """L1: a lead; `duplicate_of` flags an existing customer it matches (C2), never a silent twin."""

    company = models.CharField(_("公司名称"), max_length=200)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_position = models.CharField(_("联系人职务"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, db_index=True)
    source = models.CharField(_("来源"), max_length=10, choices=LeadSource.choices)
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("大区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    industry = models.ForeignKey(
        "crm.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("备注"), max_length=2000, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW, db_index=True
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分配给"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    assigned_at = models.DateTimeField(_("分配时间"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("疑似重复客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("转化客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    # Not stored: the P3 case lead entry opened or joined (set by crm.services.leads.lead_collision_open).
    collision_case: Any = None

    class Meta:
        verbose_name = _("线索")
        verbose_name_plural = pgettext_lazy("menu", "线索")
        ordering = ["-id"]
        # Issue 16: every lead sorted by company (crm/signals.py MODEL_INDEXES: CONCURRENTLY on PostgreSQL).
        indexes = [models.Index(fields=["company", "id"], name="lead_company_id_idx")]

    def __str__(self) -> str:
        return self.company


class LeadAssignmentRule(models.Model):
    """L1 assignment table: region (+ industry, blank = any) → account managers, round-robin."""

    region = models.ForeignKey(
        "crm.Region", verbose_name=_("大区"), on_delete=models.CASCADE, related_name="lead_rules"
    )
    industry = models.ForeignKey(
        "crm.Industry",
        verbose_name=_("行业（空=全部）"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), related_name="+")
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上次分配"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords(m2m_fields=[users], excluded_fields=["last_assigned"])

    class Meta:
        verbose_name = _("线索分配规则")
        verbose_name_plural = _("线索分配规则")
        constraints = [
            models.UniqueConstraint(fields=["region", "industry"], name="leadrule_region_industry_unique"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(industry__isnull=True), name="leadrule_region_any_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} / {self.industry or _('全部行业')}"


class PipelineStage(models.Model):
    """L2: the funnel, admin-editable. `code` is what Opportunity.stage stores."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("阶段名称"), max_length=50)
    position = models.PositiveIntegerField(_("顺序"), default=10)
    probability = models.PositiveIntegerField(_("赢率%"), default=0)
    is_won = models.BooleanField(_("赢单"), default=False)
    is_lost = models.BooleanField(_("输单"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("商机阶段")
        verbose_name_plural = _("商机阶段")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """Issue 15: the stage's name in the reader's language — the default funnel's names are in the
        translation files (OpportunityStage labels); a stage an admin named is shown as named."""
        from django.utils.translation import gettext

        return gettext(self.name) if self.name else self.code

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class OpportunityStageChange(models.Model):
    opportunity = models.ForeignKey(
        "crm.Opportunity", on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("商机")
    )
    from_stage = models.CharField(_("原阶段"), max_length=20, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=20)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("时间"))
    comment = models.CharField(_("说明"), max_length=300, blank=True)  # the Chinese wording, or as typed
    # Issue 15: a system comment ("报备") as words, read in the reader's language (`comment_text`).
    comment_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("商机阶段变更")
        verbose_name_plural = _("商机阶段变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"

    @property
    def comment_text(self) -> str:
        from common.deferred_text import words_text

        return words_text(self.comment_words, fallback=self.comment)


class OpportunityAttachment(TimeStampedModel):
    opportunity = models.ForeignKey(
        "crm.Opportunity", on_delete=models.CASCADE, related_name="attachments", verbose_name=_("商机")
    )
    # Issue 17: stored under a random name; the user's own name is kept for the download.
    file = models.FileField(_("附件"), upload_to=UnguessablePath("opportunities"))
    original_name = models.CharField(_("文件名"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("商机附件")
        verbose_name_plural = _("商机附件")

    @property
    def download_name(self) -> str:
        return self.original_name or self.file.name.rsplit("/", 1)[-1]


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    SENT = "sent", _("已发送")


class Quote(TimeStampedModel):
    """Q1: a quote to a customer visited on site at least once; below list price it needs approval."""

    number = models.CharField(_("报价单号"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="quotes"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="quotes"
    )
    title = models.CharField(_("报价名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT, db_index=True
    )
    list_total = MoneyField(_("标准价总额"), default=ZERO)
    quoted_total = MoneyField(_("报价总额"), default=ZERO)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报价单")
        verbose_name_plural = _("报价单")
        ordering = ["-id"]
        # Issue 16: every quote sorted by its total (crm/signals.py MODEL_INDEXES: CONCURRENTLY on PG).
        indexes = [models.Index(fields=["quoted_total", "id"], name="quote_total_id_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def price_ratio(self) -> Decimal:
        """Quoted ÷ list (0.45 = 4.5折), exact to 6 places, half-up."""
        return quote_price_ratio(self.list_total, self.quoted_total)

    @property
    def discount_ratio(self) -> Decimal:
        """The whole quote's discount off list as a fraction (0.1 = 10% off)."""
        return 1 - self.price_ratio


def quote_price_ratio(list_total: Decimal, quoted_total: Decimal) -> Decimal:
    """A quote's quoted ÷ list total, exact to 6 places (1 when it has no list total); also for rows read
    as plain values (the list's export)."""
    if not list_total:
        return Decimal("1")
    return (quoted_total / list_total).quantize(Decimal("0.000001"))


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines", verbose_name=_("报价单"))
    # The catalogue product (null only on quotes written before the price book existed); `product`
    # keeps its name as quoted. List and floor price are the price book's on the quote's day.
    catalog_product = models.ForeignKey(
        "crm.Product",
        verbose_name=_("目录产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quote_lines",
    )
    product = models.CharField(_("产品"), max_length=200)
    category = models.CharField(_("类别"), max_length=20, default="regular")
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=2)
    list_price = MoneyField(_("标准价"))
    floor_price = MoneyField(_("最低价"), default=ZERO)
    quoted_price = MoneyField(_("报价"))

    class Meta:
        verbose_name = _("报价明细")
        verbose_name_plural = _("报价明细")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quoteline_quantity_positive"),
            models.CheckConstraint(condition=Q(list_price__gt=0), name="quoteline_list_positive"),
            models.CheckConstraint(condition=Q(quoted_price__gte=0), name="quoteline_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def list_amount(self) -> Decimal:
        return round_fen(self.quantity * self.list_price)

    @property
    def quoted_amount(self) -> Decimal:
        return round_fen(self.quantity * self.quoted_price)

    @property
    def price_ratio(self) -> Decimal:
        """This line's quoted ÷ list price (0.9 = 9折), exact to 6 places."""
        return (self.quoted_price / self.list_price).quantize(Decimal("0.000001"))

    @property
    def discount_amount(self) -> Decimal:
        return self.list_amount - self.quoted_amount

    @property
    def discount_ratio(self) -> Decimal:
        """The discount off list as a fraction (0.1 = 10% off)."""
        return 1 - self.price_ratio


class StatusChange(models.Model):
    """History row per workflow step of quotes and contracts (who, when, from, to, comment)."""

    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="history")
    contract = models.ForeignKey(
        "crm.Contract", null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(_("原状态"), max_length=20, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("时间"))
    comment = models.CharField(_("说明"), max_length=500, blank=True)  # the Chinese wording, or as typed
    # Issue 15: a system comment ("审批通过，可以签约") as words, read in the reader's language
    # (`comment_text`).
    comment_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quote__isnull=False, contract__isnull=True)
                | Q(quote__isnull=True, contract__isnull=False),
                name="statuschange_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"

    @property
    def comment_text(self) -> str:
        from common.deferred_text import words_text

        return words_text(self.comment_words, fallback=self.comment)


class Invoice(TimeStampedModel):
    """Q5: invoices issued against an order (the order page shows invoiced / received / outstanding)."""

    order = models.ForeignKey(
        "crm.Order", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("订单")
    )
    number = models.CharField(_("发票号"), max_length=40, blank=True)
    amount = MoneyField(_("开票金额"))
    issued_on = models.DateField(_("开票日期"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("发票")
        verbose_name_plural = _("发票")
        ordering = ["-issued_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive")]


class ConcessionKind(models.TextChoices):
    CUSTOMER_REBATE = "customer_rebate", _("客户佣金")
    MAKE_GOOD_PLATFORM = "make_good_platform", _("补量（平台）")
    MAKE_GOOD_DATABASE = "make_good_database", _("补量（数据库）")


class Concession(TimeStampedModel):
    """Q2: a customer rebate (客户佣金, % of money received) or a make-good volume (补量, % of the
    month's volume) asked for a customer; the matrix decides who approves it."""

    kind = models.CharField(_("类型"), max_length=30, choices=ConcessionKind.choices)
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="concessions"
    )
    ratio = RateField(_("比例"))
    base_amount = MoneyField(_("基数（回款或月用量）"), default=ZERO)
    reason = models.CharField(_("原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=12, default="pending", db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # 002 §6.4–6.5: each payment is backed by a 劳务费申请单 and goes to the customer in full.
    paid_amount = MoneyField(_("已支付金额"), null=True, blank=True)
    paid_on = models.DateField(_("支付日期"), null=True, blank=True)
    payment_form_no = models.CharField(_("劳务费申请单号"), max_length=50, blank=True, default="")
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("客户佣金/补量申请")
        verbose_name_plural = _("客户佣金/补量申请")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.customer} {self.ratio}"
