"""factory_boy factories and a small org used across the suite."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import (
    Customer,
    CustomerStatus,
    Department,
    FollowUp,
    FollowUpChannel,
    Grade,
    Industry,
    Order,
    OrderLine,
    ProductCategory,
    Region,
    ReviewStatus,
    Role,
    User,
)
from crm.selectors import normalize_name
from partners.models import CreditRole, CreditShare


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"大区{n}")


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"行业{n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"销售{n}部")
    region = factory.SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"员工{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass12345")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get_or_create(name=role)[0])
        if create:
            self.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"测试客户{n}有限公司")
    name_normalized = factory.LazyAttribute(lambda o: normalize_name(o.name))
    contact_person = "张经理"
    contact_position = "采购经理"
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    status = CustomerStatus.PROSPECT
    grade = Grade.C
    review_status = ReviewStatus.APPROVED
    owner = factory.SubFactory(UserFactory)
    owned_since = factory.LazyFunction(timezone.now)


class FollowUpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUp

    customer = factory.SubFactory(CustomerFactory)
    author = factory.LazyAttribute(lambda o: o.customer.owner)
    occurred_at = factory.LazyFunction(timezone.now)
    channel = FollowUpChannel.PHONE_REGULAR
    topic = "电话沟通需求"


def make_order(
    *,
    owner: User,
    customer: Customer | None = None,
    lines: list[tuple[str, Decimal, Decimal]] | None = None,
    booked_at: dt.datetime | None = None,
    shares: list[tuple[User, Decimal]] | None = None,
) -> Order:
    """An order with lines (category, quantity, unit price) and credit shares (default: owner 100%)."""
    customer = customer or CustomerFactory(owner=owner)
    order = Order.objects.create(
        number=f"SO{Order.objects.count() + 1:06d}",
        customer=customer,
        owner=owner,
        booked_at=booked_at or timezone.now(),
    )
    for category, qty, price in lines or [(ProductCategory.REGULAR, Decimal("1"), Decimal("10000.00"))]:
        OrderLine.objects.create(
            order=order,
            product=f"产品-{category}",
            category=category,
            quantity=qty,
            list_price=price,
            unit_price=price,
        )
    order.total = order.recompute_total()
    order.save(update_fields=["total"])
    for user, share in shares or [(owner, Decimal("1"))]:
        CreditShare.objects.create(order=order, user=user, role=CreditRole.OWNER, share=share)
    return order


@dataclass
class Org:
    region: Region
    region_b: Region
    dept_a: Department
    dept_b: Department
    regional_manager: User
    manager_a: User
    manager_b: User
    rep_a1: User
    rep_a2: User
    rep_b1: User
    executive: User
    assistant: User
    vp: User
    president: User
    finance: User
    admin: User


def build_org() -> Org:
    region = RegionFactory(name="华东大区")
    region_b = RegionFactory(name="华北大区")
    regional_manager = UserFactory(username="rm", display_name="区经理", roles=[Role.REGIONAL_MANAGER])
    region.manager = regional_manager
    region.save()
    manager_a = UserFactory(
        username="mgr_a", display_name="经理甲", roles=[Role.SALES_MANAGER], manager=regional_manager
    )
    manager_b = UserFactory(
        username="mgr_b", display_name="经理乙", roles=[Role.SALES_MANAGER], manager=regional_manager
    )
    dept_a = DepartmentFactory(name="销售一部", region=region, manager=manager_a)
    dept_b = DepartmentFactory(name="销售二部", region=region, manager=manager_b)
    for m, d in ((manager_a, dept_a), (manager_b, dept_b)):
        m.department = d
        m.save()
    rep_a1 = UserFactory(
        username="rep_a1", display_name="销售甲一", roles=[Role.REP], department=dept_a, manager=manager_a
    )
    rep_a2 = UserFactory(
        username="rep_a2", display_name="销售甲二", roles=[Role.REP], department=dept_a, manager=manager_a
    )
    rep_b1 = UserFactory(
        username="rep_b1", display_name="销售乙一", roles=[Role.REP], department=dept_b, manager=manager_b
    )
    executive = UserFactory(
        username="exec",
        display_name="客户执行",
        roles=[Role.ACCOUNT_EXECUTIVE],
        department=dept_a,
        manager=manager_a,
    )
    assistant = UserFactory(username="assistant", display_name="总裁助理", roles=[Role.PRESIDENTS_ASSISTANT])
    vp = UserFactory(username="vp", display_name="副总裁", roles=[Role.VP])
    president = UserFactory(username="president", display_name="总裁", roles=[Role.PRESIDENT])
    finance = UserFactory(username="finance", display_name="财务", roles=[Role.FINANCE])
    admin = UserFactory(
        username="admin", display_name="管理员", roles=[Role.ADMIN], is_staff=True, is_superuser=True
    )
    return Org(
        region,
        region_b,
        dept_a,
        dept_b,
        regional_manager,
        manager_a,
        manager_b,
        rep_a1,
        rep_a2,
        rep_b1,
        executive,
        assistant,
        vp,
        president,
        finance,
        admin,
    )


# The role menu on every page (common.menu: who sees which entry, and the badges) costs at most this many
# queries for any role; page query-count budgets include it.
NAV_QUERIES = 14
