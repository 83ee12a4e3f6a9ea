"""Demo company for `make run`: 2 regions, 4 teams, a user for every role, ~500 customers with contacts
and follow-ups spread over the last 120 days (some 30+ and 60+ days without contact)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth.models import Group
from django.utils import timezone

from crm.models import (
    Contact,
    ContactRole,
    Customer,
    CustomerStatus,
    Department,
    FollowUp,
    FollowUpChannel,
    Grade,
    GradeChange,
    Industry,
    Outing,
    OwnershipChange,
    OwnershipReason,
    Region,
    ReviewStatus,
    Role,
    User,
)
from crm.roles import ensure_roles
from crm.selectors import normalize_name

DEMO_PASSWORD = "demo12345"
INDUSTRIES = ["制造业", "教育培训", "医疗健康", "零售", "金融", "互联网", "物流", "房地产"]
CITY = ["上海", "杭州", "南京", "苏州", "宁波", "北京", "天津", "济南", "青岛", "石家庄"]
WORDS = [
    "星河",
    "华信",
    "瑞丰",
    "启明",
    "恒通",
    "博远",
    "嘉禾",
    "东升",
    "万达",
    "新元",
    "中科",
    "远航",
    "聚能",
]
SUFFIX = [
    "科技有限公司",
    "贸易有限公司",
    "教育咨询有限公司",
    "实业有限公司",
    "医疗器械有限公司",
    "信息技术有限公司",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
TOPICS = ["电话了解需求", "上门介绍方案", "报价沟通", "合同条款确认", "售后问题处理", "回访使用情况"]


def _user(username: str, name: str, roles: list[str], **extra: Any) -> User:
    user, _ = User.objects.get_or_create(username=username, defaults={"display_name": name, **extra})
    user.set_password(DEMO_PASSWORD)
    for k, v in extra.items():
        setattr(user, k, v)
    user.save()
    user.groups.set([Group.objects.get(name=r) for r in roles])
    return user


def seed(ctx: dict[str, Any]) -> None:
    ensure_roles()
    rng: random.Random = ctx["rng"]
    now = timezone.now()
    admin = _user("admin", "系统管理员", [Role.ADMIN], is_staff=True, is_superuser=True)
    president = _user("president", "陈总裁", [Role.PRESIDENT])
    vp = _user("vp", "周副总", [Role.VP], manager=president)
    assistant = _user("assistant", "林助理", [Role.PRESIDENTS_ASSISTANT], manager=president)
    director = _user("director", "郑总监", [Role.DIRECTOR], manager=vp)
    finance = _user("finance", "钱会计", [Role.FINANCE])
    east = Region.objects.get_or_create(name="华东大区")[0]
    north = Region.objects.get_or_create(name="华北大区")[0]
    rm_east = _user("rm_east", "吴大区", [Role.REGIONAL_MANAGER], manager=director)
    rm_north = _user("rm_north", "冯大区", [Role.REGIONAL_MANAGER], manager=director)
    east.manager, north.manager = rm_east, rm_north
    east.save()
    north.save()
    industries = [Industry.objects.get_or_create(name=n)[0] for n in INDUSTRIES]
    reps: list[User] = []
    teams = [
        ("销售一部", east, rm_east, "mgr1"),
        ("销售二部", east, rm_east, "mgr2"),
        ("销售三部", north, rm_north, "mgr3"),
        ("销售四部", north, rm_north, "mgr4"),
    ]
    for i, (dept_name, region, rm, mgr_name) in enumerate(teams, start=1):
        dept, _ = Department.objects.get_or_create(name=dept_name, region=region)
        manager = _user(mgr_name, f"{SURNAMES[i]}经理", [Role.SALES_MANAGER], manager=rm, department=dept)
        dept.manager = manager
        dept.save()
        for j in range(1, 4):
            reps.append(
                _user(
                    f"rep{i}{j}",
                    f"{SURNAMES[i + j + 3]}{'一二三'[j - 1]}",
                    [Role.REP],
                    manager=manager,
                    department=dept,
                )
            )
    executive = _user(
        "exec1", "何执行", [Role.ACCOUNT_EXECUTIVE], manager=reps[0].manager, department=reps[0].department
    )
    # 003 §4.2: 销售一部's assistant reviews the department's new customers with its manager.
    _user("dept_assistant1", "苏助理", [Role.DEPARTMENT_ASSISTANT], department=reps[0].department)
    ctx.update(
        admin=admin,
        president=president,
        vp=vp,
        assistant=assistant,
        director=director,
        finance=finance,
        reps=reps,
        executive=executive,
        regions=[east, north],
        industries=industries,
    )

    if Customer.objects.exists():
        return
    customers: list[Customer] = []
    used: set[str] = set()
    n = 0
    while len(customers) < 500:
        n += 1
        name = f"{rng.choice(CITY)}{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(SUFFIX)}"
        if normalize_name(name) in used:
            name = f"{name[:-4]}{n}号{name[-4:]}"
        used.add(normalize_name(name))
        owner = reps[len(customers) % len(reps)]
        got = now - dt.timedelta(days=rng.randint(90, 400))
        customers.append(
            Customer(
                name=name,
                name_normalized=normalize_name(name),
                contact_person=f"{rng.choice(SURNAMES)}先生",
                contact_position=rng.choice(["总经理", "采购经理", "行政主管", "财务总监"]),
                phone=f"13{rng.randint(0, 9)}{len(customers):08d}",
                status=rng.choice(CustomerStatus.values),
                grade=rng.choice(Grade.values),
                region=owner.department.region if owner.department else east,
                industry=rng.choice(industries),
                owner=owner,
                owned_since=got,
                created_by=owner,
                first_contact_at=got,
                review_status=ReviewStatus.PENDING if len(customers) % 25 == 0 else ReviewStatus.APPROVED,
            )
        )
    Customer.objects.bulk_create(customers, batch_size=500)
    customers = list(Customer.objects.order_by("id"))
    contacts, followups, grades, owners = [], [], [], []
    for c in customers:
        contacts.append(
            Contact(
                customer=c,
                name=c.contact_person,
                position=c.contact_position,
                phone=c.phone,
                role=ContactRole.DECISION_MAKER,
            )
        )
        grades.append(GradeChange(customer=c, from_grade="", to_grade=c.grade, changed_by=c.owner))
        owners.append(
            OwnershipChange(
                customer=c,
                to_user=c.owner,
                reason=OwnershipReason.CREATED,
                changed_by=c.owner,
                changed_at=c.owned_since or now,
            )
        )
        # Spread the last contact over 0–120 days ago: ~1/4 are 30+ days, ~1/8 are 60+ days without contact.
        last_days = rng.choice([rng.randint(0, 29)] * 5 + [rng.randint(30, 59)] * 2 + [rng.randint(60, 120)])
        for k in range(rng.randint(1, 4)):
            at = now - dt.timedelta(days=last_days + k * rng.randint(3, 20), hours=rng.randint(0, 8))
            followups.append(
                FollowUp(
                    customer=c,
                    author=c.owner,
                    occurred_at=at,
                    channel=rng.choice(FollowUpChannel.values),
                    topic=rng.choice(TOPICS),
                    outcome="客户有意向，继续跟进",
                    next_step="发送资料",
                    next_date=(now + dt.timedelta(days=rng.randint(-3, 10))).date() if k == 0 else None,
                )
            )
    Contact.objects.bulk_create(contacts, batch_size=1000)
    GradeChange.objects.bulk_create(grades, batch_size=1000)
    OwnershipChange.objects.bulk_create(owners, batch_size=1000)
    FollowUp.objects.bulk_create(followups, batch_size=1000)
    from django.db.models import Max, OuterRef, Subquery

    latest = (
        FollowUp.objects.filter(customer=OuterRef("pk"))
        .values("customer")
        .annotate(m=Max("occurred_at"))
        .values("m")
    )
    Customer.objects.update(last_contacted_at=Subquery(latest))
    from crm.services.followups import customers_next_contact_fill

    customers_next_contact_fill()  # bulk_create sent no signals: C7's planned next contact, set once

    _seed_outings(rng, reps, now)


def _seed_outings(rng: random.Random, reps: list[User], now: dt.datetime) -> None:
    """C8: most recent on-site visits were registered beforehand (some were not, for the manager's list),
    and a few reps are out today."""
    from crm.models.customers import ONSITE_CHANNELS

    recent = FollowUp.objects.filter(
        channel__in=list(ONSITE_CHANNELS), occurred_at__gte=now - dt.timedelta(days=7)
    ).only("id", "author_id", "customer_id", "occurred_at")
    planned: list[tuple[Outing, dt.datetime]] = []
    for f in recent:
        if rng.random() < 0.7:
            outing = Outing(
                user_id=f.author_id, customer_id=f.customer_id, planned_at=f.occurred_at, purpose="拜访"
            )
            planned.append((outing, f.occurred_at - dt.timedelta(hours=2)))
    today = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0)
    for rep in reps[:6]:
        mine = list(Customer.objects.filter(owner=rep).order_by("id")[:30])
        if mine:
            customer = rng.choice(mine)
            outing = Outing(
                user=rep, customer=customer, planned_at=today + dt.timedelta(hours=rng.randint(0, 5))
            )
            outing.purpose = rng.choice(["产品演示", "合同洽谈", "回访", "送样品"])
            planned.append((outing, today - dt.timedelta(hours=2)))
    Outing.objects.bulk_create([o for o, _ in planned])
    for outing, registered_at in planned:  # auto_now_add stamps "now"; the demo wants the real moment
        Outing.objects.filter(pk=outing.pk).update(created_at=registered_at)
