"""Q4 / issue 16: the product catalogue and the price book.

Categories are admin-managed data whose `code` is what the commission plans' category rates are keyed by
(K4 / K7 / K13); products carry a category, a unit and a cost basis (K7); prices are effective-dated rows
(list price, floor price, unit cost), and the price in force on a day is the latest row that started on
or before it (`crm.catalog.price_in_force`). Reps never type list, floor or cost: they come from here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel
from common.money import MoneyField


class Category(models.Model):
    """A product category (产品类别). `code` is stable: plans key their rates by it."""

    code = models.SlugField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("中文名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("产品类别")
        verbose_name_plural = _("产品类别")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (Chinese unless the page is in English)."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class CostBasis(models.TextChoices):
    """K7: how the company acquires what it sells (margins are computed for sourced products)."""

    OWN = "own", _("自有产品")
    SOURCED = "sourced", _("外调")
    OUTSOURCED = "outsourced", _("外包")


class Product(TimeStampedModel):
    code = models.CharField(_("产品编码"), max_length=40, unique=True)
    name = models.CharField(_("产品名称"), max_length=200, db_index=True)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="products"
    )
    unit = models.CharField(_("单位"), max_length=20, default="件")
    cost_basis = models.CharField(
        _("成本类型"), max_length=12, choices=CostBasis.choices, default=CostBasis.OWN
    )
    active = models.BooleanField(_("在售"), default=True, db_index=True)

    class Meta:
        verbose_name = _("产品")
        verbose_name_plural = _("产品")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductPrice(TimeStampedModel):
    """One price-book row: from `effective_from` on (until the next row) the product sells at
    `list_price`; below `floor_price` a sale needs the below-floor approval (Q2/K9); `unit_cost` is
    the purchase cost of a sourced product (K7)."""

    product = models.ForeignKey(
        Product, verbose_name=_("产品"), on_delete=models.CASCADE, related_name="prices"
    )
    effective_from = models.DateField(_("生效日期"))
    list_price = MoneyField(_("标准价"))
    floor_price = MoneyField(_("最低价"))
    unit_cost = MoneyField(_("单位成本"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("价格表")
        verbose_name_plural = _("价格表")
        ordering = ["product_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["product", "effective_from"], name="productprice_one_per_day"),
            models.CheckConstraint(condition=Q(list_price__gt=0), name="productprice_list_positive"),
            models.CheckConstraint(
                condition=Q(floor_price__gte=0, floor_price__lte=models.F("list_price")),
                name="productprice_floor_within_list",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__isnull=True) | Q(unit_cost__gte=0),
                name="productprice_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} @ {self.effective_from}"
