"""SPEC §3: partners (P2), ownership history (P1), credit shares on a sale (P4).

CreditShare is a shared contract: commissions read only these shares to know who is paid for an order.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import TimeStampedModel
from common.money import RateField


class PartnerKind(models.TextChoices):
    STRATEGIC = "strategic", _("战略合伙人")
    ORDINARY = "ordinary", _("普通合伙人")


class Partner(TimeStampedModel):
    name = models.CharField(_("合伙人姓名"), max_length=80)
    kind = models.CharField(_("合伙人类别"), max_length=20, choices=PartnerKind.choices)
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("合伙人区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    phone = models.CharField(_("合伙人电话"), max_length=20, blank=True)
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    bank_name = models.CharField(_("开户行名称"), max_length=100, blank=True)
    account_holder = models.CharField(_("户名"), max_length=80, blank=True)
    account_number = models.CharField(_("银行卡号"), max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partner",
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("合伙人")
        verbose_name_plural = _("合伙人")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CreditRole(models.TextChoices):
    OWNER = "owner", _("客户经理")
    EXECUTIVE = "executive", _("客户执行")
    COLLISION = "collision", _("撞单分成")
    REFERRAL = "referral", _("合伙人推荐")


class CreditShare(models.Model):
    """P4: who gets credit for an order and how much (`share` is a fraction; an order's shares sum to 1).

    Exactly one holder: a user or a partner. Fixed when the order is booked.
    """

    order = models.ForeignKey(
        "crm.Order", verbose_name=_("订单"), on_delete=models.CASCADE, related_name="credit_shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_shares",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("合伙人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_shares",
    )
    role = models.CharField(_("角色"), max_length=20, choices=CreditRole.choices)
    share = RateField(_("比例"))

    class Meta:
        verbose_name = _("业绩分配")
        verbose_name_plural = _("业绩分配")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, partner__isnull=True) | Q(user__isnull=True, partner__isnull=False)
                ),
                name="creditshare_one_holder",
            ),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="creditshare_share_range"),
            # The target of the ledger's (credit_share, order) foreign key: a commission line's share must
            # be a share *of that line's order* (commissions migration 0004). `id` alone is unique already.
            models.UniqueConstraint(fields=["id", "order"], name="creditshare_id_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.user or self.partner} {self.share}"


class PartnersPolicy(models.Model):
    """The numbers SPEC §3 calls defaults, editable by an admin; effective-dated (they affect money).

    The row in force on a date is the latest with effective_from <= that date.
    """

    effective_from = models.DateField(_("生效日期"), unique=True)
    same_day_tolerance_days = models.PositiveSmallIntegerField(
        _("撞单时间容差（天）"),
        default=0,
        help_text=_("两方登记日期相差不超过此天数时视为无法分辨先后（0 = 同一天），由成交人获得客户。"),
    )
    escalate_after_workdays = models.PositiveSmallIntegerField(
        _("协商期限（工作日）"), default=3, help_text=_("超过该工作日数仍未协商一致的撞单提交大区经理裁决。")
    )
    default_split = RateField(
        _("默认合作分成（第一方比例）"), default=Decimal("0.5"), help_text=_("0.5 即 50:50。")
    )
    executive_share = RateField(
        _("客户执行分成比例"), default=Decimal("0.3"), help_text=_("客户经理 : 客户执行 = 70 : 30 时填 0.3。")
    )
    referral_share = RateField(
        _("合伙人推荐默认比例"), default=Decimal("0.1"), help_text=_("新建推荐时的默认业绩比例。")
    )

    class Meta:
        verbose_name = _("归属与撞单规则")
        verbose_name_plural = _("归属与撞单规则")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_split__gt=0, default_split__lt=1), name="policy_default_split_range"
            ),
            models.CheckConstraint(
                condition=Q(executive_share__gte=0, executive_share__lt=1), name="policy_exec_share_range"
            ),
            models.CheckConstraint(
                condition=Q(referral_share__gte=0, referral_share__lt=1), name="policy_referral_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from}"


class Referral(TimeStampedModel):
    """P2/P4: a partner referred a customer (optionally one order); the partner's credit share on sales."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("合伙人"), on_delete=models.PROTECT, related_name="referrals"
    )
    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="referrals"
    )
    order = models.ForeignKey(
        "crm.Order",
        verbose_name=_("订单（空 = 该客户所有订单）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    share = RateField(_("推荐业绩比例"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("合伙人推荐")
        verbose_name_plural = _("合伙人推荐")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0, share__lt=1), name="referral_share_range"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} → {self.customer}"


class ExecutiveAttachment(models.Model):
    """P4 [002 §10]: once a customer executive is attached to a customer it cannot be ended."""

    customer = models.OneToOneField(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="executive_attachment"
    )
    executive = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户执行"), on_delete=models.PROTECT, related_name="+"
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(_("配合开始时间"))

    class Meta:
        verbose_name = _("客户执行配合")
        verbose_name_plural = _("客户执行配合")

    def __str__(self) -> str:
        return f"{self.customer} + {self.executive}"


class CollisionSource(models.TextChoices):
    CUSTOMER_CREATE = "customer_create", _("新建客户")
    LEAD_IMPORT = "lead_import", _("线索录入")
    POOL_CLAIM = "pool_claim", _("公海领取")
    OPPORTUNITY = "opportunity", _("商机报备")
    MANUAL = "manual", _("人工申报")


class CollisionStatus(models.TextChoices):
    OPEN = "open", _("待协商（先录先得）")
    AWAITING_DEAL = "awaiting_deal", _("待成交（成交人得）")
    SPLIT_PROPOSED = "split_proposed", _("合作分成待确认")
    ESCALATED = "escalated", _("待大区经理裁决")
    RESOLVED = "resolved", _("已解决")


OPEN_COLLISION_STATUSES = (
    CollisionStatus.OPEN,
    CollisionStatus.AWAITING_DEAL,
    CollisionStatus.SPLIT_PROPOSED,
    CollisionStatus.ESCALATED,
)


class CollisionRule(models.TextChoices):
    FIRST_REGISTERED = "first_registered", _("先录先得")
    CLOSER = "closer", _("成交人得")
    COOPERATION = "cooperation", _("合作分成")
    MANAGER = "manager", _("大区经理裁决")


class CollisionCase(TimeStampedModel):
    """P3: two or more reps/partners contacted the same customer. Kept forever with its evidence."""

    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.PROTECT, related_name="collisions"
    )
    source = models.CharField(_("发现途径"), max_length=20, choices=CollisionSource.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=CollisionStatus.choices, default=CollisionStatus.OPEN, db_index=True
    )
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("大区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("发起时间"), db_index=True)
    deadline = models.DateField(_("协商截止日"), db_index=True)
    proposed_rule = models.CharField(_("规则建议"), max_length=20, choices=CollisionRule.choices)
    proposed_winner = models.ForeignKey(
        "partners.CollisionParty",
        verbose_name=_("建议归属"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.CharField(_("解决方式"), max_length=20, choices=CollisionRule.choices, blank=True)
    winner = models.ForeignKey(
        "partners.CollisionParty",
        verbose_name=_("最终归属"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁决人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField(_("裁决理由"), blank=True, max_length=2000)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    order = models.ForeignKey(
        "crm.Order",
        verbose_name=_("成交订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.JSONField(_("发现时记录"), default=dict, blank=True)

    class Meta:
        verbose_name = _("撞单")
        verbose_name_plural = pgettext_lazy("menu", "撞单")
        ordering = ["-id"]
        constraints = [
            # P3: at most one open case per customer; a third claimant joins it (no duplicate cases).
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=["open", "awaiting_deal", "split_proposed", "escalated"]),
                name="collision_one_open_case_per_customer",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="collision_status_deadline_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"

    def get_absolute_url(self) -> str:
        return reverse("partners:collision_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COLLISION_STATUSES


class PartyRole(models.TextChoices):
    HOLDER = "holder", _("原负责方")
    CLAIMANT = "claimant", _("申报方")


class CollisionParty(models.Model):
    """One side of a collision: a rep (user) or a partner, with the times the rules compare."""

    case = models.ForeignKey(
        CollisionCase, verbose_name=_("撞单"), on_delete=models.CASCADE, related_name="parties"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("员工"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collision_parties",
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("合伙人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="collision_parties",
    )
    role = models.CharField(_("身份"), max_length=20, choices=PartyRole.choices)
    registered_at = models.DateTimeField(_("登记时间"))
    first_contact_at = models.DateTimeField(_("首次接触时间"), null=True, blank=True)
    statement = models.TextField(_("陈述"), blank=True, max_length=2000)
    agreed_at = models.DateTimeField(_("同意当前方案时间"), null=True, blank=True)
    split_share = RateField(_("合作分成比例"), null=True, blank=True)

    class Meta:
        verbose_name = _("撞单当事方")
        verbose_name_plural = _("撞单当事方")
        ordering = ["registered_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, partner__isnull=True) | Q(user__isnull=True, partner__isnull=False)
                ),
                name="collisionparty_one_holder",
            ),
            models.UniqueConstraint(fields=["case", "user"], name="collisionparty_unique_user"),
            models.UniqueConstraint(fields=["case", "partner"], name="collisionparty_unique_partner"),
        ]

    def __str__(self) -> str:
        return str(self.user or self.partner)

    @property
    def acting_user_id(self) -> int | None:
        """The login that acts for this party (a rep, or a partner's linked login)."""
        if self.user_id:
            return self.user_id
        return self.partner.user_id if self.partner else None

    @property
    def label(self) -> str:
        return str(self.user) if self.user_id else f"{self.partner}（{_('合伙人')}）"


class CollisionAction(models.TextChoices):
    OPEN = "open", _("发起")
    JOIN = "join", _("新当事方加入")
    ACCEPT = "accept", _("同意建议结果")
    PROPOSE_SPLIT = "propose_split", _("提议合作分成")
    CONFIRM_SPLIT = "confirm_split", _("确认合作分成")
    REJECT_SPLIT = "reject_split", _("拒绝合作分成")
    ESCALATE = "escalate", _("提交大区经理")
    DECIDE = "decide", _("大区经理裁决")
    CLOSE_ON_ORDER = "close_on_order", _("成交确定归属")


class CollisionEvent(models.Model):
    """History: one row per step (who, when, from, to, what, why). Never edited."""

    case = models.ForeignKey(
        CollisionCase, verbose_name=_("撞单"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=CollisionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=20, choices=CollisionStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=CollisionStatus.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人（空 = 系统）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), db_index=True)
    comment = models.TextField(_("说明"), blank=True, max_length=2000)  # the Chinese wording, or as typed
    # Issue 15: a comment the system writes (the automatic escalation) as words, read in the reader's
    # language (`comment_text`); None for a comment as typed and for rows written before.
    comment_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("撞单处理记录")
        verbose_name_plural = _("撞单处理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.case_id} {self.action}"

    @property
    def comment_text(self) -> str:
        from common.deferred_text import words_text

        return words_text(self.comment_words, fallback=self.comment)
