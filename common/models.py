from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class Notification(models.Model):
    """An in-app message to one user (C9 warnings, releases; settlements and others use it too).
    Created through `common.notifications.notify` (or set-based by a job); never edited except `read_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # the (user, read_at) index serves every lookup by user
    )
    text = models.CharField(_("内容"), max_length=500)  # the Chinese wording (e-mail, the admin)
    # Issue 15: the same text as message id + arguments, read in the reader's language (`message`).
    words = models.JSONField(_("内容（多语言）"), null=True, blank=True, editable=False)
    link = models.CharField(_("链接"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True, editable=False)
    # Which job run wrote it (set-based writers use it to e-mail exactly their own rows afterwards).
    batch = models.CharField(max_length=36, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_unread_idx"),
            # only rows a job wrote carry a batch; keep the index small
            models.Index(fields=["batch"], name="notification_batch_idx", condition=~models.Q(batch="")),
        ]

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """The text in the reader's language; a notification stored before issue 15 reads as stored."""
        from common.deferred_text import words_text

        return words_text(self.words, fallback=self.text)

    @property
    def read(self) -> bool:
        return self.read_at is not None


class WorkCalendarYear(models.Model):
    """W1: a year's official 放假/调休 schedule entered by an admin. Once a year is here the app knows it:
    its days below override `chinesecalendar`, and its other days follow Mon–Fri."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("依据"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("工作日历年份")
        verbose_name_plural = _("工作日历年份")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """One day of a year's schedule: a public holiday (放假) or an adjusted working weekend day (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    calendar = models.ForeignKey(
        WorkCalendarYear, verbose_name=_("年份"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=50, blank=True, default="")

    class Meta:
        verbose_name = _("放假/调休日")
        verbose_name_plural = _("放假/调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class ExportLog(models.Model):
    """Every export of business data: who, when, what, how many rows (visible to admins, never edited)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="+"
    )
    # Other exports add their kind here (a value not listed still saves, and shows as stored).
    KINDS = [
        ("customer_list", _("客户名单")),
        ("report_chart", _("报表图表数据")),
        ("sales_report", _("月度销售报表")),
        ("list_contracts", _("合同列表")),
        ("list_orders", _("订单列表")),
        ("list_quotes", _("报价单列表")),
        ("list_leads", _("线索列表")),
        ("list_opportunities", _("商机列表")),
        ("list_contacts", _("联系人列表")),
    ]

    kind = models.CharField(_("导出内容"), max_length=50, choices=KINDS)
    rows = models.PositiveIntegerField(_("行数"))
    filters = models.CharField(_("筛选条件"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("导出时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.rows}"


class AuditAction(models.TextChoices):
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")
    TOKEN_ISSUED = "token_issued", _("签发API令牌")
    TOKEN_USED = "token_used", _("使用API令牌")
    CUSTOMER_CHANGED = "customer_changed", _("修改客户")
    EXPORT = "export", _("导出")
    ADMIN_CHANGE = "admin_change", _("后台修改")
    ADMIN_DELETE = "admin_delete", _("后台删除")


class AuditEvent(models.Model):
    """Issue 17: the audit trail — who did what, when, from where, with before/after values. Written
    only by `common.audit.audit_record`; read-only in the admin (filter by person, action and date)."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人（登录名）"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("修改前后"), default=dict, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["actor", "-at"], name="audit_actor_time_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"


class JobSuccess(models.Model):
    """Issue 17: when each nightly job last finished (a killed or skipped night is then visible)."""

    name = models.CharField(_("任务"), max_length=100, unique=True)
    finished_at = models.DateTimeField(_("最近成功完成时间"))

    class Meta:
        verbose_name = _("定时任务完成记录")
        verbose_name_plural = _("定时任务完成记录")

    def __str__(self) -> str:
        return f"{self.name} {self.finished_at:%Y-%m-%d %H:%M}"


class SavedListFilter(models.Model):
    """Issue 16: a saved filter (场景) of a list — the list's URL filters under a name; personal, or
    shared with everyone who opens that list (sharing is for whom the list's policy allows)."""

    list_key = models.CharField(_("列表"), max_length=40)
    name = models.CharField(_("名称"), max_length=50)
    query = models.CharField(_("筛选条件"), max_length=500, blank=True, default="")
    shared = models.BooleanField(_("共享"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("保存的筛选")
        verbose_name_plural = _("保存的筛选")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["list_key", "owner"], name="savedfilter_list_owner_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["list_key", "owner", "name"], name="savedfilter_one_name_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ListColumnChoice(models.Model):
    """Issue 16: the columns one user chose for one list (remembered across visits)."""

    list_key = models.CharField(_("列表"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="+"
    )
    columns = models.CharField(_("显示的列"), max_length=500)

    class Meta:
        verbose_name = _("列表列设置")
        verbose_name_plural = _("列表列设置")
        constraints = [models.UniqueConstraint(fields=["user", "list_key"], name="listcolumns_one_per_user")]

    def __str__(self) -> str:
        return f"{self.list_key}: {self.columns}"
