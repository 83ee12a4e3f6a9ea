"""Issue 16: tasks (待办) — a due date, an optional reminder, made by hand or from a follow-up's next
step; overdue ones are flagged once to the owner's manager."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class Task(TimeStampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.CASCADE, related_name="tasks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("待办事项"), max_length=200)
    due_on = models.DateField(_("截止日期"))
    remind_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("客户"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    followup = models.OneToOneField(
        "crm.FollowUp",
        verbose_name=_("来自沟通记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="task",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("待办")
        verbose_name_plural = _("待办")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["owner", "due_on"], name="task_owner_due_idx", condition=Q(done_at__isnull=True)
            ),
            models.Index(fields=["remind_at"], name="task_remind_idx", condition=Q(reminded_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
