"""SPEC §0: regions → departments/teams → people, each with a manager; industries; roles as groups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Each role is a Django group of the same name (created by `crm.roles.ensure_roles`)."""

    REP = "rep", _("销售人员")
    ACCOUNT_EXECUTIVE = "account_executive", _("客户执行")
    SALES_MANAGER = "sales_manager", _("销售部经理")
    REGIONAL_MANAGER = "regional_manager", _("大区经理")
    DIRECTOR = "director", _("销售总监")
    PRESIDENTS_ASSISTANT = "presidents_assistant", _("总裁助理")
    # 003 §4.2: reviews new customers of their own department (with the department manager).
    DEPARTMENT_ASSISTANT = "department_assistant", _("部门助理")
    VP = "vp", _("副总裁")
    PRESIDENT = "president", _("总裁")
    FINANCE = "finance", _("财务中心")
    ADMIN = "admin", _("系统管理员")
    PARTNER = "partner", _("合伙人")
    # Q2 approval chain roles (pipeline).
    SALES_ADMIN_MANAGER = "sales_admin_manager", _("销售管理部经理")
    RD_VP = "rd_vp", _("研发副总裁")
    DELIVERY_VP = "delivery_vp", _("交付副总裁")
    # 003 §9.5: implementation staff (实施部), notified of implementation orders and given their items.
    IMPLEMENTER = "implementer", _("实施人员")
    CUSTOMER_DIRECTOR = "customer_director", _("客户总监")
    # 002 §2: gives the final review of a changed customer agreement (after the customer director).
    CUSTOMER_SUPPORT_LEAD = "customer_support_lead", _("客户支持主管")
    MARKETING = "marketing", _("市场部")


class Region(models.Model):
    name = models.CharField(_("大区"), max_length=50, unique=True)
    manager = models.ForeignKey(
        "crm.User",
        verbose_name=_("大区经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_regions",
    )

    class Meta:
        verbose_name = _("大区")
        verbose_name_plural = _("大区")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A department or team. `path` is the materialised tree path ("/1/4/") for cheap subtree queries."""

    name = models.CharField(_("部门"), max_length=80)
    region = models.ForeignKey(
        Region, verbose_name=_("大区"), on_delete=models.PROTECT, related_name="departments"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    manager = models.ForeignKey(
        "crm.User",
        verbose_name=_("部门经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().save(*args, **kwargs)
        path = f"{self.parent.path if self.parent else '/'}{self.pk}/"
        if path != self.path:
            type(self).objects.filter(pk=self.pk).update(path=path)
            self.path = path
            for child in self.children.all():
                child.save()


class Industry(models.Model):
    name = models.CharField(_("行业"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("直属上级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    # 001 第八章: a rep sells within their own industry (empty: not restricted to any).
    industries = models.ManyToManyField(
        "crm.Industry", verbose_name=_("所属行业"), blank=True, related_name="members"
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def roles(self) -> set[str]:
        cached = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = set(self.groups.values_list("name", flat=True)) if self.pk else set()
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        """C11: president and admin see all (superusers too)."""
        return self.is_superuser or self.has_role(Role.PRESIDENT, Role.ADMIN, Role.VP)


class IndustryPermit(models.Model):
    """001 第八章: a manager allows a rep to sell in an industry other than their own."""

    user = models.ForeignKey(
        User, verbose_name=_("员工"), on_delete=models.CASCADE, related_name="industry_permits"
    )
    industry = models.ForeignKey(Industry, verbose_name=_("行业"), on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(
        User, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    granted_at = models.DateTimeField(_("批准时间"), auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("跨行业销售许可")
        verbose_name_plural = _("跨行业销售许可")
        constraints = [models.UniqueConstraint(fields=["user", "industry"], name="industry_permit_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.industry}"
