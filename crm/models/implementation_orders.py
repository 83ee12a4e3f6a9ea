"""003 §9.5: the implementation order (实施单). Raised by business staff on an approved execution order, it
tells the implementation department (交付副总裁 and 实施人员 roles) to start implementing;
its items become tasks assigned to implementation staff, and business staff follow its progress and
the contract's payment milestones on it. One transitions table (crm.services.implementation_orders)
and a history row per step, as the other workflows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import TimeStampedModel


class ImplementationStatus(models.TextChoices):
    NOTIFIED = "notified", _("待实施")
    IN_PROGRESS = "in_progress", _("实施中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class ImplementationOrder(TimeStampedModel):
    number = models.CharField(_("实施单号"), max_length=40, unique=True)
    execution_order = models.ForeignKey(
        "crm.ExecutionOrder",
        verbose_name=_("执行单"),
        on_delete=models.PROTECT,
        related_name="implementation_orders",
    )
    # The execution order's contract, kept on the row so scoping and the customer page need no join chain.
    contract = models.ForeignKey(
        "crm.Contract", verbose_name=_("合同"), on_delete=models.PROTECT, related_name="implementation_orders"
    )
    scope = models.TextField(_("实施内容"), max_length=2000)
    site = models.CharField(_("实施地点"), max_length=200, blank=True)
    start_on = models.DateField(_("计划开始日期"))
    finish_on = models.DateField(_("计划完成日期"))
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("实施负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOTIFIED,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("实施单")
        verbose_name_plural = pgettext_lazy("menu", "实施单")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class ImplementationItem(models.Model):
    """One thing to implement; turned into a task (待办) of an implementation staff member."""

    order = models.ForeignKey(
        ImplementationOrder, verbose_name=_("实施单"), on_delete=models.CASCADE, related_name="items"
    )
    seq = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("实施事项"), max_length=200)
    task = models.OneToOneField(
        "crm.Task",
        verbose_name=_("待办"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="implementation_item",
    )

    class Meta:
        verbose_name = _("实施事项")
        verbose_name_plural = _("实施事项")
        ordering = ["order", "seq"]
        constraints = [models.UniqueConstraint(fields=["order", "seq"], name="impl_item_unique_seq")]

    def __str__(self) -> str:
        return self.title


class ImplementationChange(models.Model):
    """History row per step of an implementation order (who, when, from, to, comment)."""

    order = models.ForeignKey(
        ImplementationOrder, verbose_name=_("实施单"), on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("时间"))
    comment = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("实施单状态变更")
        verbose_name_plural = _("实施单状态变更")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
