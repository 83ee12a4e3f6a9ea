"""Issue 16: payment plans (回款计划) — a contract's instalments, each with a due date and an amount;
together they add up to the contract amount."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


class PaymentInstalment(TimeStampedModel):
    contract = models.ForeignKey(
        "crm.Contract", verbose_name=_("合同"), on_delete=models.CASCADE, related_name="instalments"
    )
    seq = models.PositiveIntegerField(_("期次"))
    due_on = models.DateField(_("计划回款日期"), db_index=True)
    amount = MoneyField(_("计划回款金额"))
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    # Each reminder goes out once (the job is safe to run any number of times).
    reminded_before_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_after_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("回款计划")
        verbose_name_plural = _("回款计划")
        ordering = ["contract", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "seq"], name="instalment_unique_seq"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="instalment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} #{self.seq}"
