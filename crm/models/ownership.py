"""SPEC P1: the ownership history of a customer — a CRM fact, kept by crm.

The table keeps its original name (`partners_ownershipchange`): the model moved here from `partners`
without copying a row (see crm migration 0002 and partners migration 0003).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OwnershipReason(models.TextChoices):
    CREATED = "created", _("新建")
    ASSIGNED = "assigned", _("分配")
    CLAIMED = "claimed", _("从公海领取")
    RELEASED = "released", _("未联系释放到公海")
    RELEASED_BY_HAND = "released_by_hand", _("主管释放到公海")
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
    note = models.CharField(_("说明"), max_length=500, blank=True)  # the Chinese wording, or as typed
    # Issue 15: a note the system writes ("45 天未联系，已转入公海") as words, read in the reader's
    # language (`note_text`); None for a note as typed and for rows written before.
    note_words = models.JSONField(_("说明（多语言）"), null=True, blank=True, editable=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("时间"), db_index=True)
    # P3: an owner change decided by a collision case records that case's id. The case itself belongs
    # to `partners` (a higher layer), so crm holds only the id; the database keeps the original foreign
    # key constraint to partners_collisioncase (the move changed Django's state only).
    collision_id = models.BigIntegerField(_("撞单"), null=True, blank=True, db_index=True)

    class Meta:
        db_table = "partners_ownershipchange"
        verbose_name = _("归属变更")
        verbose_name_plural = _("归属变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_user} → {self.to_user}"

    @property
    def note_text(self) -> str:
        from common.deferred_text import words_text

        return words_text(self.note_words, fallback=self.note)
