"""C9/C10: the public pool (公海) — the policy admins tune; the warnings, releases and claims."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.models.customers import Grade

DAYS = [MinValueValidator(1), MaxValueValidator(3650)]


class PoolPolicy(models.Model):
    """C9/C10 settings, one row (pk=1), edited in the admin; the daily job reads it on every run."""

    warn_days = models.PositiveSmallIntegerField(
        _("提醒天数"), default=30, validators=DAYS, help_text=_("距上次联系满这么多天，提醒负责人。")
    )
    release_days = models.PositiveSmallIntegerField(
        _("释放天数"),
        default=60,
        validators=DAYS,
        help_text=_("距上次联系满这么多天，客户自动转入公海（必须大于提醒天数）。"),
    )
    exempt_contract_in_delivery = models.BooleanField(
        _("有执行中合同的客户不释放"), default=True, help_text=_("合同已签约或执行中的客户不提醒、不释放。")
    )
    exempt_final_stage_opportunity = models.BooleanField(_("有商务谈判阶段商机的客户不释放"), default=True)
    daily_claim_limit = models.PositiveSmallIntegerField(
        _("每人每天最多领取"), default=10, validators=[MinValueValidator(0), MaxValueValidator(10000)]
    )
    max_owned = models.PositiveIntegerField(
        _("每人最多拥有客户数"), default=300, validators=[MinValueValidator(0), MaxValueValidator(1000000)]
    )
    cooling_off_days = models.PositiveSmallIntegerField(
        _("原负责人冷却期（天）"),
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text=_("客户被释放后，原负责人在这么多天内不能重新领取。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("公海规则")
        verbose_name_plural = _("公海规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_days__lt=F("release_days")), name="poolpolicy_warn_lt_release"
            ),
            models.CheckConstraint(condition=Q(warn_days__gte=1), name="poolpolicy_warn_positive"),
        ]

    def __str__(self) -> str:
        return str(_("公海规则：%(w)s 天提醒，%(r)s 天释放") % {"w": self.warn_days, "r": self.release_days})

    def clean(self) -> None:
        super().clean()
        if self.warn_days and self.release_days and self.warn_days >= self.release_days:
            raise ValidationError(
                {"warn_days": _("提醒天数必须小于释放天数（至少提前 1 天提醒）。")}, code="warn_after_release"
            )

    @classmethod
    def load(cls) -> PoolPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def days_for(self, grade: str) -> tuple[int, int]:
        """(warn, release) days for a grade: its override when there is one, else the defaults."""
        if self.pk is None:
            return self.warn_days, self.release_days
        for rule in self.grade_rules.all():
            if rule.grade == grade:
                return rule.warn_days or self.warn_days, rule.release_days or self.release_days
        return self.warn_days, self.release_days


class PoolGradeRule(models.Model):
    """C9: optional per-grade days (as WukongCRM does): e.g. A customers are released later."""

    policy = models.ForeignKey(PoolPolicy, on_delete=models.CASCADE, related_name="grade_rules")
    grade = models.CharField(_("客户等级"), max_length=1, choices=Grade.choices)
    warn_days = models.PositiveSmallIntegerField(_("提醒天数"), validators=DAYS)
    release_days = models.PositiveSmallIntegerField(_("释放天数"), validators=DAYS)

    class Meta:
        verbose_name = _("按等级的天数")
        verbose_name_plural = _("按等级的天数")
        ordering = ["grade"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "grade"], name="poolgraderule_one_per_grade"),
            models.CheckConstraint(
                condition=Q(warn_days__lt=F("release_days")), name="poolgraderule_warn_lt_release"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade}: {self.warn_days}/{self.release_days}"

    def clean(self) -> None:
        super().clean()
        if self.warn_days and self.release_days and self.warn_days >= self.release_days:
            raise ValidationError(
                {"warn_days": _("提醒天数必须小于释放天数（至少提前 1 天提醒）。")}, code="warn_after_release"
            )


class PoolThreshold(models.TextChoices):
    WARN = "warn", _("未联系提醒")
    RELEASE = "release", _("释放到公海")


class PoolWarning(models.Model):
    """C9: a threshold reached during one ownership. Unique per (customer, ownership, threshold), so the
    job warns once per threshold per ownership however often it runs, even two runs at once."""

    # Indexed by the unique constraint (customer first); owner is not looked up by (users are deactivated,
    # never deleted). Few indexes: the nightly job inserts these by the tens of thousands.
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="pool_warnings",
        db_index=False,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # The ownership epoch: when this owner got the customer (customer.owned_since, or created_at).
    owned_since = models.DateTimeField(_("获得时间"))
    threshold = models.CharField(_("阈值"), max_length=10, choices=PoolThreshold.choices)
    days = models.PositiveSmallIntegerField(_("天数"))
    created_at = models.DateTimeField(_("时间"))
    batch = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("未联系提醒")
        verbose_name_plural = _("未联系提醒")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "owned_since", "threshold"], name="poolwarning_once_per_ownership"
            )
        ]
        indexes = [models.Index(fields=["batch"], name="poolwarning_batch_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.threshold} {self.days}"


class PoolRelease(models.Model):
    """C9: a customer released to the pool. Unique per ownership: released once."""

    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="pool_releases",
        db_index=False,  # the unique constraint and the index below start with customer
    )
    previous_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("原负责人"), on_delete=models.PROTECT, related_name="+"
    )
    owned_since = models.DateTimeField(_("获得时间"))
    released_at = models.DateTimeField(_("释放时间"))
    reason = models.CharField(_("原因"), max_length=200)
    batch = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("公海释放记录")
        verbose_name_plural = _("公海释放记录")
        ordering = ["-released_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "owned_since"], name="poolrelease_once_per_ownership")
        ]
        indexes = [
            models.Index(fields=["customer", "-released_at"], name="poolrelease_customer_idx"),
            models.Index(fields=["batch"], name="poolrelease_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} ← {self.previous_owner_id}"


class PoolClaim(models.Model):
    """C10: a pool customer taken by a rep (assigned_by empty) or given by a manager."""

    customer = models.ForeignKey(
        "crm.Customer", verbose_name=_("客户"), on_delete=models.CASCADE, related_name="pool_claims"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领取人"),
        on_delete=models.PROTECT,
        related_name="pool_claims",
    )
    claimed_at = models.DateTimeField(_("领取时间"), db_index=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分配人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("公海领取记录")
        verbose_name_plural = _("公海领取记录")
        ordering = ["-claimed_at", "-id"]
        indexes = [models.Index(fields=["user", "claimed_at"], name="poolclaim_user_day_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.user_id}"
