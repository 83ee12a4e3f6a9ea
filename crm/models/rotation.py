"""003 §12.4: the CRM-usage ranking's consequences for the lead rotation. The reports app ranks a closed
month (A2) and publishes its top and bottom sellers here; the rotation (crm.services.leads) reads them.
crm owns these facts so it never has to ask the reports app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RotationMonth(models.Model):
    """A month whose A2 standings were published (published again: the same row, its standings replaced).
    A published month with nobody at the bottom still breaks a bottom streak (连续)."""

    month = models.DateField(_("月份"), unique=True)  # the month's first day
    published_at = models.DateTimeField(_("公布时间"), auto_now=True)

    class Meta:
        verbose_name = _("轮转排名月份")
        verbose_name_plural = _("轮转排名月份")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class StandingKind(models.TextChoices):
    TOP = "top", _("前列")
    BOTTOM = "bottom", _("末位")


class RotationStanding(models.Model):
    """One seller at the top or the bottom of a published month (position 1 = first / last)."""

    month = models.ForeignKey(
        RotationMonth, verbose_name=_("月份"), on_delete=models.CASCADE, related_name="standings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("销售人员"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("位置"), max_length=6, choices=StandingKind.choices)
    position = models.PositiveSmallIntegerField(_("名次"))

    class Meta:
        verbose_name = _("轮转排名")
        verbose_name_plural = _("轮转排名")
        ordering = ["month", "kind", "position"]
        constraints = [
            models.UniqueConstraint(fields=["month", "user"], name="rotation_standing_month_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.kind} {self.position}"
