"""SPEC §3: partners (P2), ownership history (P1), credit shares on a sale (P4).

CreditShare is a shared contract: commissions read only these shares to know who is paid for an order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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


class OwnershipReason(models.TextChoices):
    CREATED = "created", _("新建")
    ASSIGNED = "assigned", _("分配")
    CLAIMED = "claimed", _("从公海领取")
    RELEASED = "released", _("未联系释放到公海")
    COLLISION = "collision", _("撞单裁决")
    TRANSFERRED = "transferred", _("转移")
    LEAD = "lead", _("线索分配")


class OwnershipChange(models.Model):
    """P1: every change of owner — from, to, why, by whom, when. Never edited."""

    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="ownership_changes"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("原负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("新负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=20, choices=OwnershipReason.choices)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("归属变更")
        verbose_name_plural = _("归属变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_user} → {self.to_user}"


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
        ]

    def __str__(self) -> str:
        return f"{self.order} {self.user or self.partner} {self.share}"
