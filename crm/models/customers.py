"""SPEC §1: customers, contacts, follow-ups (C7), outings (C8), grade history (C3)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.models import TimeStampedModel
from common.stored_files import UnguessablePath
from crm.contact_clock import clock_expression


class Grade(models.TextChoices):
    """C3"""

    A = "A", _("A 明确需求，1个月内购买")
    B = "B", _("B 明确需求，2-3个月")
    C = "C", _("C 潜在，3-6个月")
    D = "D", _("D 培育中，有计划")


class KeyAccountClass(models.TextChoices):
    """C4"""

    NONE = "", _("非大客户")
    STRATEGIC = "strategic", _("战略")
    CORE = "core", _("核心")
    IMPORTANT = "important", _("重要")


class CustomerStatus(models.TextChoices):
    """C1 status of the relationship."""

    PROSPECT = "prospect", _("潜在客户")
    INTENT = "intent", _("意向客户")
    CUSTOMER = "customer", _("成交客户")
    DORMANT = "dormant", _("沉睡客户")


class ReviewStatus(models.TextChoices):
    """C5"""

    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


class Customer(TimeStampedModel):
    """C1. `owner` is null while the customer is in the public pool (C9/C10)."""

    name = models.CharField(_("客户名称（工商注册名称）"), max_length=200)
    # C2: normalised name; unique so two reps can never create twins, even at the same moment.
    name_normalized = models.CharField(max_length=200, editable=False)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, default="")
    contact_person = models.CharField(_("联系人"), max_length=50)
    contact_position = models.CharField(_("联系人职务"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, db_index=True)
    status = models.CharField(_("客户状态"), max_length=20, choices=CustomerStatus.choices)
    grade = models.CharField(_("客户等级"), max_length=1, choices=Grade.choices, default=Grade.D)
    key_account_class = models.CharField(
        _("大客户分类"), max_length=20, choices=KeyAccountClass.choices, blank=True, default=""
    )
    region = models.ForeignKey(
        "crm.Region",
        verbose_name=_("大区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    industry = models.ForeignKey(
        "crm.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    website = models.URLField(_("网站"), blank=True)
    source = models.CharField(_("来源"), max_length=50, blank=True)
    notes = models.TextField(_("备注"), blank=True, max_length=2000)
    tags = models.CharField(_("标签"), max_length=200, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    # When the current owner got the customer: C9 counts from here when there is no follow-up.
    owned_since = models.DateTimeField(_("获得时间"), null=True, blank=True)
    account_executive = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户执行"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="executive_customers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_contact_at = models.DateTimeField(_("首次接触时间"), null=True, blank=True)
    # 003 §4.3: entered more than a week after first contact (10 days at most) only with a reason.
    late_entry_reason = models.CharField(_("逾期录入原因"), max_length=200, blank=True, default="")
    last_contacted_at = models.DateTimeField(_("最近联系时间"), null=True, blank=True, db_index=True)
    # C7: the next contact planned by the latest follow-up (its 下次联系日期), kept by
    # crm.services.followups from the follow-ups themselves, so "due for contact" is an index read.
    next_contact_on = models.DateField(_("下次联系日期"), null=True, blank=True)

    review_status = models.CharField(
        _("审核状态"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING,
        db_index=True,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = pgettext_lazy("menu", "客户")
        constraints = [
            models.UniqueConstraint(fields=["name_normalized"], name="customer_unique_normalized_name"),
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="customer_unique_credit_code"
            ),
        ]
        indexes = [
            # Issue 16: the whole book sorted by name (the president, admins) reads this index in order.
            models.Index(fields=["name", "id"], name="customer_name_id_idx"),
            models.Index(fields=["owner", "-id"], name="customer_owner_id_idx"),
            models.Index(fields=["owner", "last_contacted_at"], name="customer_owner_contact_idx"),
            # The review queue and its menu badge (C5), oldest first: without these the badge reads and
            # sorts every pending customer of the company (1M bench: 0.9 s for the president). A team's
            # queue starts from its owners; a top role's walks the queue in order and stops at the cap.
            models.Index(
                fields=["owner", "created_at"],
                condition=Q(review_status="pending"),
                name="customer_pending_review_idx",
            ),
            models.Index(
                fields=["created_at", "id", "owner"],
                condition=Q(review_status="pending"),
                name="customer_pending_queue_idx",
            ),
            # C9 by owner on the release clock itself (crm.contact_clock): customers near release (count
            # and first rows) and "my day"'s longest silent are index-only range scans on PostgreSQL.
            models.Index(
                models.F("owner"),
                clock_expression(),
                include=["id", "last_contacted_at", "owned_since", "created_at"],
                name="customer_owner_clock_idx",
            ),
            # Issue 14: the raw reads of people with unrefreshed rollups (customers by grade, new
            # customers entered in a period) are index-only scans.
            models.Index(fields=["owner", "grade"], name="customer_owner_grade_idx"),
            models.Index(fields=["created_by", "created_at"], name="customer_creator_time_idx"),
            # The manager's home counts the team's customers entered this month (owner × creation time).
            models.Index(fields=["owner", "created_at"], name="customer_owner_created_idx"),
            # C7 "due for contact" ("my day", the rep's home): my planned customers by date, in order.
            models.Index(
                fields=["owner", "next_contact_on", "id"],
                condition=Q(next_contact_on__isnull=False),
                name="customer_owner_next_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def contact_clock_start(self) -> dt.datetime | None:
        """C9: when the release clock started (crm.contact_clock, the one definition)."""
        from crm.contact_clock import clock_start

        return clock_start(self)

    @property
    def clock_from_followup(self) -> bool:
        """C9: the clock runs from the last follow-up (else from when the owner took the customer over)."""
        from crm.contact_clock import started_by_followup

        return started_by_followup(self)

    def days_without_contact(self, today: dt.date | None = None) -> int | None:
        """C9: whole Asia/Shanghai days on the release clock (None: no clock yet)."""
        from crm.contact_clock import days_on_clock

        return days_on_clock(self, today)


class ContactRole(models.TextChoices):
    """C6: role in the deal."""

    DECISION_MAKER = "decision_maker", _("决策人")
    INFLUENCER = "influencer", _("影响者")
    USER = "user", _("使用者")
    PURCHASING = "purchasing", _("采购")
    FINANCE = "finance", _("财务")
    OTHER = "other", _("其他")


class Contact(TimeStampedModel):
    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    position = models.CharField(_("职务"), max_length=50)
    role = models.CharField(_("角色"), max_length=20, choices=ContactRole.choices, default=ContactRole.OTHER)
    phone = models.CharField(_("电话"), max_length=20, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    notes = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        ordering = ["id"]
        # Issue 16: the contacts list sorted by a column (or opened from a saved filter that sorts) walks
        # one of these in order and stops after a page, instead of joining and sorting a team's whole list
        # (1M bench: 1.6 s for a rep's 10,000 contacts by creation time, bench/pipeline_lists.py).
        indexes = [
            models.Index(fields=["name", "id"], name="contact_name_id_idx"),
            models.Index(fields=["created_at", "id"], name="contact_created_id_idx"),
            # The list's exact total (a rep's 10,000 contacts, often with a role: a saved filter) from the
            # index alone, not a scan of every contact. Built CONCURRENTLY on PostgreSQL (crm/signals.py).
            models.Index(fields=["customer", "role"], name="contact_customer_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）"


class FollowUpChannel(models.TextChoices):
    """C7 channels, from the 客户沟通记录表 form [000 §5]."""

    PHONE_FIRST = "phone_first", _("电话·首次")
    PHONE_REGULAR = "phone_regular", _("电话·常规")
    VISIT_CORE = "visit_core", _("现场·核心")
    VISIT_NEW = "visit_new", _("现场·新顾客")
    VISIT_OLD = "visit_old", _("现场·老顾客")
    VISIT_PROBLEM = "visit_problem", _("现场·问题处理")


ONSITE_CHANNELS = frozenset(
    {
        FollowUpChannel.VISIT_CORE,
        FollowUpChannel.VISIT_NEW,
        FollowUpChannel.VISIT_OLD,
        FollowUpChannel.VISIT_PROBLEM,
    }
)


class FollowUp(TimeStampedModel):
    """C7: saving one sets the customer's last-contacted time."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="followups"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="followups"
    )
    occurred_at = models.DateTimeField(_("沟通时间"), db_index=True)
    channel = models.CharField(_("沟通方式"), max_length=20, choices=FollowUpChannel.choices)
    purpose = models.CharField(_("沟通目的"), max_length=200, blank=True)
    topic = models.CharField(_("主题"), max_length=200)
    outcome = models.TextField(_("完成情况"), max_length=2000, blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_date = models.DateField(_("下次联系日期"), null=True, blank=True)
    contact = models.ForeignKey(
        Contact, verbose_name=_("联系人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opportunity = models.ForeignKey(
        "crm.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
    )
    attachment = models.FileField(_("附件"), upload_to=UnguessablePath("followups"), blank=True)

    class Meta:
        verbose_name = _("沟通记录")
        verbose_name_plural = _("沟通记录")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="followup_customer_time_idx"),
            # Per-person activity of a period (homes, rankings, A2): an index-only scan on PostgreSQL.
            # The id makes it the list order too (newest first, then id), so a person's latest few
            # (C8 visits without an outing, per author) are read in order, however many share a time.
            models.Index(
                fields=["author", "occurred_at", "id"],
                include=["customer", "channel"],
                name="followup_author_time_id_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.topic}"

    @property
    def is_onsite(self) -> bool:
        return self.channel in ONSITE_CHANNELS


class Outing(TimeStampedModel):
    """C8: before leaving, a rep registers the customer they will visit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("外出人"), on_delete=models.PROTECT, related_name="outings"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("拜访客户"), on_delete=models.PROTECT, related_name="outings"
    )
    planned_at = models.DateTimeField(_("计划时间"))
    purpose = models.CharField(_("事由"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("返回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("去向登记")
        verbose_name_plural = _("去向登记")
        ordering = ["-planned_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.customer}"


class KeyAccountClassChange(models.Model):
    """C4 / issue 17: a key-account class change (it raises the owner's commission, K5) is asked for,
    approved through the authority matrix, and kept here as the class's history."""

    class Status(models.TextChoices):
        PENDING = "pending", _("审批中")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="key_account_changes"
    )
    from_class = models.CharField(
        _("原分类"), max_length=20, choices=KeyAccountClass.choices, blank=True, default=""
    )
    to_class = models.CharField(_("新分类"), max_length=20, choices=KeyAccountClass.choices, blank=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("大客户分类变更")
        verbose_name_plural = _("大客户分类变更")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.get_from_class_display()} → {self.get_to_class_display()}"


class GradeChange(models.Model):
    """C3: every grade change with who and when."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="grade_changes"
    )
    from_grade = models.CharField(_("原等级"), max_length=1, choices=Grade.choices, blank=True)
    to_grade = models.CharField(_("新等级"), max_length=1, choices=Grade.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("等级变更")
        verbose_name_plural = _("等级变更")
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.customer}: {self.from_grade or '—'} → {self.to_grade}"
