"""003 §9.3/§9.5: the execution order (执行单). Once a contract is signed, its owner raises one to tell
the people concerned to start delivering, collecting and implementing; the 销售管理部商务经理 approves it
through the authority matrix before anyone acts on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


class ExecutionOrderStatus(models.TextChoices):
    PENDING = "pending", _("审批中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")


class ExecutionOrder(TimeStampedModel):
    number = models.CharField(_("执行单号"), max_length=40, unique=True)
    contract = models.ForeignKey(
        "crm.Contract", verbose_name=_("合同"), on_delete=models.PROTECT, related_name="execution_orders"
    )
    deliverables = models.TextField(_("交付内容"), max_length=2000)
    ship_on = models.DateField(_("计划发货日期"))
    implement_on = models.DateField(_("计划实施日期"), null=True, blank=True)
    collect_amount = MoneyField(_("应收金额"))
    collect_on = models.DateField(_("计划收款日期"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ExecutionOrderStatus.choices,
        default=ExecutionOrderStatus.PENDING,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("执行单")
        verbose_name_plural = _("执行单")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number
