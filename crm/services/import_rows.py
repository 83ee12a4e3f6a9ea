"""Issue 16: the row importers behind crm.services.imports — one per kind, each reading one row of text
into the same service the form uses (so the rules are the form's rules), and telling the outcome:
created, a duplicate (C2: reported, never created twice; a collision case when someone else owns it),
or refused with the reason (DomainError). Owners: the importer, or someone the policy lets them assign."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from common.errors import DomainError
from common.timeutil import date_in_sane_range, sane_range_message
from crm import policy
from crm.models import (
    Contact,
    CustomerStatus,
    Grade,
    ImportKind,
    Industry,
    LeadSource,
    Opportunity,
    OpportunityStage,
    PipelineStage,
    Region,
    RowOutcome,
    User,
)
from crm.selectors import normalize_name
from crm.services import catalog
from crm.services.imports import Column, RowResult


class _Lookups:
    """Regions, industries and the importer's customers, read once per job."""

    def __init__(self, *, by: User) -> None:
        self.by = by
        self._regions: dict[str, Region] | None = None
        self._industries: dict[str, Industry] | None = None

    def region(self, name: str) -> Region | None:
        if not name:
            return None
        if self._regions is None:
            self._regions = {r.name: r for r in Region.objects.all()}
        if name not in self._regions:
            raise DomainError(_("大区“%(r)s”不存在") % {"r": name})
        return self._regions[name]

    def industry(self, name: str) -> Industry | None:
        if not name:
            return None
        if self._industries is None:
            self._industries = {i.name: i for i in Industry.objects.all()}
        if name not in self._industries:
            raise DomainError(_("行业“%(r)s”不存在") % {"r": name})
        return self._industries[name]

    def visible_customer(self, name: str) -> Any:
        """A customer the importer may see, by its name (C2 normalisation)."""
        customer = (
            policy.customers_visible_to(self.by).filter(name_normalized=normalize_name(name)).first()
            if normalize_name(name)
            else None
        )
        if customer is None:
            raise DomainError(_("客户“%(c)s”不存在或不是您可查看的客户。") % {"c": name})
        return customer

    def owner(self, text: str) -> User:
        """The 负责人 column: the importer (empty) or a user the policy lets them assign to."""
        if not text:
            return self.by
        users = list(User.objects.filter(Q(username=text) | Q(display_name=text), is_active=True)[:2])
        if len(users) != 1:
            raise DomainError(_("负责人“%(u)s”不存在或不唯一（请填登录名）。") % {"u": text})
        if not policy.can_import_for(self.by, users[0]):
            raise DomainError(_("不能把记录分给“%(u)s”：只能是您本人或您团队中的成员。") % {"u": text})
        return users[0]


def _choice(text: str, choices: Any, default: str, what: str) -> str:
    """A choice typed as its code or its label (潜在客户 / prospect)."""
    if not text:
        return default
    for value, label in choices:
        if text in (value, str(label)) or str(label).startswith(text + " "):
            return str(value)
    raise DomainError(_("%(what)s“%(v)s”无效") % {"what": what, "v": text})


def _date(text: str, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text[:10].replace("/", "-"))
    except ValueError as exc:
        raise DomainError(_("%(what)s“%(v)s”不是有效日期（YYYY-MM-DD）") % {"what": what, "v": text}) from exc
    if not date_in_sane_range(day):
        raise DomainError(sane_range_message())
    return day


class LeadRows(_Lookups):
    kind: str = ImportKind.LEAD
    columns: tuple[Column, ...] = (
        Column("company", "公司名称", True, ("company",)),
        Column("contact_person", "联系人", False, ("contact",)),
        Column("contact_position", "职务", False, ("联系人职务", "position")),
        Column("phone", "电话", False, ("联系电话", "phone")),
        Column("region", "大区", False, ("region",)),
        Column("industry", "行业", False, ("industry",)),
        Column("source", "来源", False, ("source",)),
        Column("notes", "备注", False, ("notes",)),
    )
    SOURCE_WORDS = {"来电": LeadSource.CALL, "网站": LeadSource.WEBSITE, "网站注册": LeadSource.WEBSITE}
    SOURCE_WORDS |= {"在线咨询": LeadSource.CHAT}

    def import_row(self, row: dict[str, str]) -> RowResult:
        from crm.services.leads import lead_create

        source_text = row.get("source", "")
        source = self.SOURCE_WORDS.get(
            source_text, source_text if source_text in LeadSource.values else LeadSource.IMPORT
        )
        lead = lead_create(
            by=self.by,
            company=row.get("company", ""),
            source=source,
            contact_person=row.get("contact_person", ""),
            contact_position=row.get("contact_position", ""),
            phone=row.get("phone", ""),
            region=self.region(row.get("region", "")),
            industry=self.industry(row.get("industry", "")),
            notes=row.get("notes", ""),
        )
        if lead.collision_case is not None:
            # P3: kept as a lead (not a customer twin); the case settles who gets the customer
            return RowResult(
                RowOutcome.COLLISION,
                _("与已有客户重复，已导入为线索并发起撞单处理（编号 #%(case)s）。")
                % {"case": lead.collision_case.pk},
                object_id=lead.pk,
                case_id=lead.collision_case.pk,
            )
        return RowResult(RowOutcome.CREATED, object_id=lead.pk)


class CustomerRows(_Lookups):
    kind: str = ImportKind.CUSTOMER
    columns: tuple[Column, ...] = (
        Column("name", "客户名称", True, ("name", "公司名称")),
        Column("contact_person", "联系人", True, ("contact",)),
        Column("contact_position", "联系人职务", True, ("职务", "position")),
        Column("phone", "联系电话", True, ("电话", "phone")),
        Column("status", "客户状态", False, ("status",)),
        Column("grade", "客户等级", False, ("grade",)),
        Column("credit_code", "统一社会信用代码", False, ("credit_code",)),
        Column("region", "大区", False, ("region",)),
        Column("industry", "行业", False, ("industry",)),
        Column("address", "地址", False, ("address",)),
        Column("source", "来源", False, ("source",)),
        Column("notes", "备注", False, ("notes",)),
        Column("owner", "负责人", False, ("owner",)),
    )

    def import_row(self, row: dict[str, str]) -> RowResult:
        from crm.services.customers import CollisionOpened, DuplicateCustomer, customer_create

        owner = self.owner(row.get("owner", ""))
        data = {
            "name": row.get("name", ""),
            "contact_person": row.get("contact_person", ""),
            "contact_position": row.get("contact_position", ""),
            "phone": row.get("phone", ""),
            "status": _choice(
                row.get("status", ""), CustomerStatus.choices, CustomerStatus.PROSPECT, _("客户状态")
            ),
            "grade": _choice(row.get("grade", ""), Grade.choices, Grade.C, _("客户等级")),
            "credit_code": row.get("credit_code", ""),
            "region": self.region(row.get("region", "")),
            "industry": self.industry(row.get("industry", "")),
            "address": row.get("address", "")[:200],
            "source": row.get("source", "")[:50],
            "notes": row.get("notes", ""),
        }
        try:
            customer = customer_create(by=self.by, owner=owner, **data)
        except CollisionOpened as exc:  # C2 + P3: exists under someone else; the case is kept
            return RowResult(RowOutcome.COLLISION, str(exc.message), case_id=exc.case.pk)
        except DuplicateCustomer as exc:  # C2: exists (one's own, or in the pool): never twice
            return RowResult(RowOutcome.DUPLICATE, str(exc.message))
        return RowResult(RowOutcome.CREATED, object_id=customer.pk)


class ContactRows(_Lookups):
    kind: str = ImportKind.CONTACT
    columns: tuple[Column, ...] = (
        Column("customer", "客户名称", True, ("customer",)),
        Column("name", "姓名", True, ("联系人", "name")),
        Column("position", "职务", True, ("position",)),
        Column("phone", "电话", False, ("联系电话", "phone")),
        Column("email", "邮箱", False, ("email",)),
        Column("notes", "备注", False, ("notes",)),
    )

    def import_row(self, row: dict[str, str]) -> RowResult:
        from crm.services.customers import contact_create, validate_phone

        customer = self.visible_customer(row.get("customer", ""))
        name = row.get("name", "").strip()
        phone = validate_phone(row["phone"]) if row.get("phone") else ""
        same = Q(name=name) | Q(phone=phone) if phone else Q(name=name)
        if name and Contact.objects.filter(same, customer=customer).exists():
            return RowResult(RowOutcome.DUPLICATE, _("该客户已有此联系人（姓名或电话相同），未重复导入。"))
        contact = contact_create(
            customer=customer,
            by=self.by,
            name=name,
            position=row.get("position", ""),
            phone=phone,
            email=row.get("email", ""),
            notes=row.get("notes", "")[:500],
        )
        return RowResult(RowOutcome.CREATED, object_id=contact.pk)


class OpportunityRows(_Lookups):
    kind: str = ImportKind.OPPORTUNITY
    columns: tuple[Column, ...] = (
        Column("customer", "客户名称", True, ("customer",)),
        Column("name", "商机名称", True, ("name",)),
        Column("amount", "预计金额", False, ("金额", "amount")),
        Column("expected_sign_date", "预计签约日期", False, ("expected_sign_date",)),
        Column("stage", "阶段", False, ("stage",)),
        Column("competitors", "竞争对手", False, ("competitors",)),
    )

    def import_row(self, row: dict[str, str]) -> RowResult:
        from crm.services.opportunities import opportunity_create

        customer = self.visible_customer(row.get("customer", ""))
        name = row.get("name", "").strip()
        if name and Opportunity.objects.filter(customer=customer, name=name, closed_at__isnull=True).exists():
            return RowResult(RowOutcome.DUPLICATE, _("该客户已有同名的进行中商机，未重复导入。"))
        stage_text = row.get("stage", "")
        stage = str(OpportunityStage.LEAD)
        if stage_text:
            found = PipelineStage.objects.filter(Q(code=stage_text) | Q(name=stage_text), active=True).first()
            if found is None:
                raise DomainError(_("阶段“%(s)s”不存在") % {"s": stage_text})
            stage = found.code
        opp = opportunity_create(
            by=self.by,
            customer=customer,
            name=name,
            amount=row.get("amount", "").replace(",", "").lstrip("¥") or "0",
            expected_sign_date=_date(row.get("expected_sign_date", ""), _("预计签约日期")),
            competitors=row.get("competitors", ""),
            stage=stage,
        )
        return RowResult(RowOutcome.CREATED, object_id=opp.pk)


class ProductRows:
    """The price book (issue 16): a product with its price; a known code updates the product (and adds
    or corrects the price row of that start day) — catalog.product_import_row, as the page's import."""

    kind: str = ImportKind.PRODUCT
    columns: tuple[Column, ...] = tuple(
        Column(key, heading, key in ("code", "name"), (key,)) for key, heading in catalog.COLUMNS
    )

    def __init__(self, *, by: User) -> None:
        self.by = by

    def import_row(self, row: dict[str, str]) -> RowResult:
        product, created = catalog.product_import_row(by=self.by, row=row)
        if created:
            return RowResult(RowOutcome.CREATED, object_id=product.pk)
        return RowResult(RowOutcome.UPDATED, _("已更新产品 %(code)s。") % {"code": product.code})


IMPORTERS: dict[str, Any] = {
    ImportKind.LEAD: LeadRows,
    ImportKind.CUSTOMER: CustomerRows,
    ImportKind.CONTACT: ContactRows,
    ImportKind.OPPORTUNITY: OpportunityRows,
    ImportKind.PRODUCT: ProductRows,
}
