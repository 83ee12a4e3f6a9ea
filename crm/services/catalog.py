"""Issue 16/17: the product catalogue and the price book — the one place list price, floor price and unit
cost come from. Quotes and orders read `price_in_force`; nobody else decides a price.

Managed by sales managers, the sales-admin manager, finance and admins (`crm.policy.can_manage_price_book`);
every rep reads it when picking products.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.money import round_fen
from common.timeutil import local_today
from crm.models import Category, CostBasis, Product, ProductPrice, User

# The column headings of the Excel import/export (Chinese first; English accepted on import).
COLUMNS: list[tuple[str, str]] = [
    ("code", "产品编码"),
    ("name", "产品名称"),
    ("category", "类别"),
    ("unit", "单位"),
    ("cost_basis", "成本类型"),
    ("active", "在售"),
    ("effective_from", "生效日期"),
    ("list_price", "标准价"),
    ("floor_price", "最低价"),
    ("unit_cost", "单位成本"),
]
_HEADER_WORDS = {label: key for key, label in COLUMNS} | {key: key for key, _label in COLUMNS}
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_YES = {"是", "在售", "1", "true", "yes", "y", "启用"}
_NO = {"否", "停售", "0", "false", "no", "n", "停用"}


# ---- selectors -----------------------------------------------------------------------------------------


def categories_active() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


def category_codes() -> set[str]:
    return set(Category.objects.values_list("code", flat=True))


def category_labels() -> dict[str, str]:
    """Every category's code -> its name in the reader's language (one query), so no page shows a code."""
    return {c.code: c.label for c in Category.objects.only("code", "name", "name_en")}


def price_in_force(product: Product, on: dt.date | None = None) -> ProductPrice | None:
    """The price-book row in force on `on` (default today): the latest one that started on or before it."""
    on = on or local_today()
    return product.prices.filter(effective_from__lte=on).order_by("-effective_from").first()


def products_with_price(qs: QuerySet[Product], on: dt.date | None = None) -> list[tuple[Product, Any]]:
    """Each product of `qs` with its price in force on `on` (one query for the prices)."""
    on = on or local_today()
    products = list(qs.select_related("category"))
    prices: dict[int, ProductPrice] = {}
    rows = ProductPrice.objects.filter(product__in=[p.pk for p in products], effective_from__lte=on).order_by(
        "product_id", "-effective_from"
    )
    for row in rows:
        prices.setdefault(row.product_id, row)
    return [(p, prices.get(p.pk)) for p in products]


def product_search(*, q: str = "", category: str = "", active: str = "") -> QuerySet[Product]:
    """The catalogue list: search by code or name, filter by category code and on-sale flag."""
    qs = Product.objects.select_related("category")
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    if category:
        qs = qs.filter(category__code=category)
    if active in ("1", "0"):
        qs = qs.filter(active=active == "1")
    return qs.order_by("code")


def product_for_line(ref: Any, *, n: int) -> Product:
    """A quote/order line's product: its id or its code; refused if unknown or no longer on sale."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise DomainError(_("第%(n)d行：请选择产品。") % {"n": n}, code="no_product", field="lines")
    product = None
    if text.isdigit():
        product = Product.objects.select_related("category").filter(pk=int(text)).first()
    if product is None:
        product = Product.objects.select_related("category").filter(code=text).first()
    if product is None:
        raise DomainError(
            _("第%(n)d行：产品“%(p)s”不在产品目录中。") % {"n": n, "p": text[:40]},
            code="unknown_product",
            field="lines",
        )
    if not product.active:
        raise DomainError(
            _("第%(n)d行：产品“%(p)s”已停售。") % {"n": n, "p": product.name},
            code="inactive_product",
            field="lines",
        )
    return product


def price_for_line(product: Product, on: dt.date, *, n: int) -> ProductPrice:
    price = price_in_force(product, on)
    if price is None:
        raise DomainError(
            _("第%(n)d行：产品“%(p)s”在%(d)s没有有效的价格，请联系销售管理部维护价格表。")
            % {"n": n, "p": product.name, "d": on.isoformat()},
            code="no_price",
            field="lines",
        )
    return price


# ---- writing -------------------------------------------------------------------------------------------


def _money(value: Any, label: str, *, field_name: str, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise DomainError(_("请填写%(label)s。") % {"label": label}, code="required", field=field_name)
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "").lstrip("¥"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("%(label)s不是有效的金额。") % {"label": label}, field=field_name) from exc
    if not d.is_finite() or d < 0 or d >= Decimal("1e13"):
        raise DomainError(_("%(label)s不是有效的金额。") % {"label": label}, field=field_name)
    if d != round_fen(d):
        raise DomainError(_("%(label)s须精确到分。") % {"label": label}, field=field_name)
    return d


def _category(value: Any) -> Category:
    if isinstance(value, Category):
        return value
    text = str(value or "").strip()
    cat = (
        Category.objects.filter(Q(code=text) | Q(name=text) | Q(name_en__iexact=text)).first()
        if text
        else None
    )
    if cat is None:
        raise DomainError(_("类别“%(c)s”不存在。") % {"c": text}, code="unknown_category", field="category")
    return cat


def _cost_basis(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return CostBasis.OWN
    for code, label in CostBasis.choices:
        if text in (code, str(label)):
            return code
    raise DomainError(_("成本类型“%(c)s”无效（自有产品、外调或外包）。") % {"c": text}, field="cost_basis")


@transaction.atomic
def product_save(
    *,
    by: User,
    code: str,
    name: str,
    category: Any,
    unit: str = "件",
    cost_basis: str = CostBasis.OWN,
    active: bool = True,
    product: Product | None = None,
) -> Product:
    """Create a product, or update `product`. The code is unique and, once used, kept."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise DomainError(_("请填写产品编码。"), code="required", field="code")
    if not name:
        raise DomainError(_("请填写产品名称。"), code="required", field="name")
    clash = Product.objects.filter(code=code)
    if product is not None:
        clash = clash.exclude(pk=product.pk)
    if clash.exists():
        raise DomainError(_("产品编码“%(c)s”已存在。") % {"c": code}, code="duplicate", field="code")
    obj = product or Product()
    obj.code = code[:40]
    obj.name = name[:200]
    obj.category = _category(category)
    obj.unit = (unit or "件").strip()[:20] or "件"
    obj.cost_basis = _cost_basis(cost_basis)
    obj.active = bool(active)
    obj.save()
    return obj


@transaction.atomic
def product_price_set(
    *,
    by: User,
    product: Product,
    effective_from: dt.date,
    list_price: Any,
    floor_price: Any,
    unit_cost: Any = None,
) -> ProductPrice:
    """Add (or correct, for the same start day) a price-book row. Floor ≤ list; a sourced or
    outsourced product needs its unit cost (K7)."""
    lp = _money(list_price, _("标准价"), field_name="list_price")
    fp = _money(floor_price, _("最低价"), field_name="floor_price")
    cost = _money(unit_cost, _("单位成本"), field_name="unit_cost", required=False)
    assert lp is not None and fp is not None
    if lp <= 0:
        raise DomainError(_("标准价必须大于0。"), field="list_price")
    if fp > lp:
        raise DomainError(_("最低价不能高于标准价。"), code="floor_above_list", field="floor_price")
    if cost is None and product.cost_basis in (CostBasis.SOURCED, CostBasis.OUTSOURCED):
        raise DomainError(_("外调、外包产品须填写单位成本。"), code="cost_required", field="unit_cost")
    if effective_from is None or effective_from.year < 2000 or effective_from.year > 2100:
        raise DomainError(_("生效日期无效。"), field="effective_from")
    row, _created = ProductPrice.objects.update_or_create(
        product=product,
        effective_from=effective_from,
        defaults={"list_price": lp, "floor_price": fp, "unit_cost": cost, "created_by": by},
    )
    return row


@transaction.atomic
def product_create_or_update(
    *,
    by: User,
    product: Product | None,
    price: dict[str, Any] | None = None,
    **fields: Any,
) -> Product:
    """The product form (page and API): the product, and for a new one its first price row; all or nothing."""
    saved = product_save(by=by, product=product, **fields)
    if price is not None:
        product_price_set(by=by, product=saved, **price)
    return saved


# ---- Excel import / export -----------------------------------------------------------------------------


@dataclass
class ProductImportResult:
    created: list[Product] = field(default_factory=list)
    updated: list[Product] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number in the file, reason)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return local_today()
    try:
        return dt.date.fromisoformat(text.replace("/", "-")[:10])
    except ValueError as exc:
        raise DomainError(_("生效日期“%(d)s”无效（格式：2026-01-31）。") % {"d": text}) from exc


def _rows_from_xlsx(content: bytes) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise DomainError(
            _("无法读取Excel文件，请确认是 .xlsx 格式。"), code="invalid_file", field="file"
        ) from exc
    rows = list(wb.active.iter_rows(values_only=True))
    if not rows:
        raise DomainError(_("文件是空的。"), code="empty_file", field="file")
    header = [_HEADER_WORDS.get(str(h or "").strip(), "") for h in rows[0]]
    if "code" not in header or "name" not in header:
        raise DomainError(
            _("第1行须是表头，并包含“产品编码”和“产品名称”列。"), code="no_header", field="file"
        )
    out = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(c not in (None, "") for c in row):
            continue
        out.append((line_no, {k: v for k, v in zip(header, row, strict=False) if k}))
    return out


def product_import(*, by: User, filename: str, content: bytes) -> ProductImportResult:
    """Import products with their price from Excel: a known code updates the product (and adds or
    corrects the price row of that start day); every bad row is reported with its line number and the
    reason, and nothing of it is saved (each row in its own savepoint)."""
    if not filename.lower().endswith((".xlsx", ".xlsm")):
        raise DomainError(_("只支持 .xlsx 文件。"), code="invalid_file", field="file")
    if len(content) > MAX_IMPORT_BYTES:
        raise DomainError(_("文件不能超过5MB。"), code="too_large", field="file")
    rows = _rows_from_xlsx(content)
    result = ProductImportResult()
    for line_no, row in rows:
        try:
            with transaction.atomic():
                product, created = product_import_row(by=by, row=row)
        except DomainError as exc:
            result.errors.append((line_no, str(exc.message)))
        else:
            (result.created if created else result.updated).append(product)
    return result


def product_import_row(*, by: User, row: dict[str, Any]) -> tuple[Product, bool]:
    """One row of the import ({column key: cell}): the product (created, or updated when its code is
    known) and the price row of its start day. Raises DomainError with the reason; the caller holds the
    savepoint, so a refused row leaves nothing behind. Also the row importer of the background import
    (crm.services.import_rows.ProductRows)."""
    code = str(row.get("code") or "").strip()
    existing = Product.objects.filter(code=code).first() if code else None
    active_text = str(row.get("active") if row.get("active") is not None else "").strip().lower()
    if active_text and active_text not in _YES | _NO:
        raise DomainError(_("“在售”须填“是”或“否”。"))
    try:
        product = product_save(
            by=by,
            code=code,
            name=str(row.get("name") or ""),
            category=row.get("category") or (existing.category if existing else ""),
            unit=str(row.get("unit") or (existing.unit if existing else "件")),
            cost_basis=str(row.get("cost_basis") or (existing.cost_basis if existing else "")),
            active=active_text not in _NO,
            product=existing,
        )
        if row.get("list_price") not in (None, ""):
            product_price_set(
                by=by,
                product=product,
                effective_from=_date(row.get("effective_from")),
                list_price=row.get("list_price"),
                floor_price=row.get("floor_price") if row.get("floor_price") not in (None, "") else "0",
                unit_cost=row.get("unit_cost") if row.get("unit_cost") not in (None, "") else None,
            )
        elif existing is None:
            raise DomainError(_("新产品须填写标准价。"))
    except IntegrityError as exc:
        raise DomainError(_("数据冲突，请检查后重试。")) from exc
    return product, existing is None


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula (= + - @) is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def product_export(qs: QuerySet[Product], *, on: dt.date | None = None) -> bytes:
    """The catalogue as .xlsx with the price in force on `on` — the same columns the import reads."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("价格表"))
    ws.append([label for _key, label in COLUMNS])
    for product, price in products_with_price(qs, on):
        ws.append(
            [
                _cell(product.code),
                _cell(product.name),
                _cell(product.category.name),
                _cell(product.unit),
                str(product.get_cost_basis_display()),
                "是" if product.active else "否",
                price.effective_from if price else None,
                price.list_price if price else None,
                price.floor_price if price else None,
                price.unit_cost if price and price.unit_cost is not None else None,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
