"""K14 partner perks and upgrades (000 §4.3): what a partner earned, until when, and its trail.

Sales champions need no model of their own: a champion's award *is* a `reward` ledger line (source key
`k14:…`), paid through the settlement like any other line. Imported by `commissions.models`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


class PerkKind(models.TextChoices):
    MARKET_GUIDANCE = "market_guidance", _("免费市场指导")  # 000 §4.3.1
    PUBLIC_LECTURE = "public_lecture", _("免费公益讲座")  # 000 §4.3.2
    STRATEGIC_DISCOUNT = "strategic_discount", _("战略合伙人折扣待遇")  # 000 §4.3.4
    TRIAL_UPGRADE = "trial_upgrade", _("试用战略合伙人待遇")  # 000 §4.3.4
    BRANCH_TRAINING = "branch_training", _("分公司内部团队培训")  # 000 §4.3.5
    BRANCH_PRIORITY = "branch_priority", _("分公司设立优先权")  # 000 §4.3.5


class PerkStatus(models.TextChoices):
    GRANTED = "granted", _("可使用")
    REDEEMED = "redeemed", _("已使用")
    EXPIRED = "expired", _("已过期")
    MADE_PERMANENT = "made_permanent", _("已转为正式战略合伙人")


class PartnerPerk(TimeStampedModel):
    """One perk a partner earned: valid from/until (next month; 000 §4.3.2 次月生效，过期作废), why in
    words, and the figures it was earned on. Perks stack: each kind and month is its own row."""

    partner = models.ForeignKey(
        "partners.Partner", verbose_name=_("合伙人"), on_delete=models.PROTECT, related_name="perks"
    )
    kind = models.CharField(_("奖励类型"), max_length=30, choices=PerkKind.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=PerkStatus.choices, default=PerkStatus.GRANTED, db_index=True
    )
    earned_for = models.DateField(_("业绩期间"), help_text=_("月份的第一天；年度奖励为 1 月 1 日"))
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("失效日期"), db_index=True)
    reason = models.CharField(_("获得原因"), max_length=300)  # the Chinese wording (the admin, exports)
    # Issue 15: the same reason as message id + arguments, read in the reader's language (`reason_text`).
    reason_words = models.JSONField(_("获得原因（多语言）"), null=True, blank=True, editable=False)
    figures = models.JSONField(_("业绩数据"), default=dict, blank=True)
    # TRIAL_UPGRADE: the sales the trial months must reach to be made permanent.
    target = MoneyField(_("试用期目标"), null=True, blank=True)
    source_key = models.CharField(max_length=120, unique=True)

    class Meta:
        verbose_name = _("合伙人奖励")
        verbose_name_plural = _("合伙人奖励")
        ordering = ["-valid_from", "-id"]
        indexes = [models.Index(fields=["partner", "valid_from"], name="perk_partner_valid")]

    def __str__(self) -> str:
        return f"{self.partner} {self.get_kind_display()} {self.valid_from:%Y-%m}"

    @property
    def reason_text(self) -> str:
        """Why it was earned, in the reader's language; a perk granted before issue 15 reads as stored."""
        from common.deferred_text import words_text

        return words_text(self.reason_words, fallback=self.reason)


class PerkAction(models.TextChoices):
    GRANTED = "granted", _("授予")
    REDEEMED = "redeemed", _("使用")
    EXPIRED = "expired", _("过期作废")
    MADE_PERMANENT = "made_permanent", _("转为正式")


class PartnerPerkEvent(models.Model):
    """The trail: granted, redeemed, expired, made permanent — who (none for the job), when, note."""

    perk = models.ForeignKey(
        PartnerPerk, verbose_name=_("奖励"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=20, choices=PerkAction.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    note = models.CharField(_("说明"), max_length=300, blank=True)  # the Chinese wording, or as typed
    # Issue 15: the job's notes as words, read in the reader's language (`note_text`).
    note_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("合伙人奖励记录")
        verbose_name_plural = _("合伙人奖励记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.perk_id} {self.action}"

    @property
    def note_text(self) -> str:
        from common.deferred_text import words_text

        return words_text(self.note_words, fallback=self.note)
