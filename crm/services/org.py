"""SPEC §0 / issue 15 "Administration inside the product": the org structure (regions → departments →
people) kept by the system administrator on the org page. Every rule about a change lives here; the
page only validates input and calls these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm.models import Department, Region, Role, User


def role_labels(values: Iterable[str]) -> list[str]:
    """Role codes in the business's words (销售人员, 财务中心…), in the order of `Role`; unknown codes
    (a group that is not a role) are left out."""
    wanted = set(values)
    return [str(label) for value, label in Role.choices if value in wanted]


# --------------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------------


@dataclass
class DepartmentNode:
    department: Department
    depth: int
    member_count: int
    children: list[DepartmentNode] = field(default_factory=list)


@dataclass
class RegionNode:
    region: Region
    departments: list[DepartmentNode] = field(default_factory=list)


def org_tree() -> tuple[list[RegionNode], int]:
    """Regions → departments (nested by parent) with their head counts, and the number of people in no
    department. Three queries whatever the size of the company."""
    regions = list(Region.objects.select_related("manager").order_by("name"))
    departments = list(
        Department.objects.select_related("manager")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("path", "name")
    )
    nodes = {d.pk: DepartmentNode(d, d.path.count("/") - 2, d.member_count) for d in departments}  # type: ignore[attr-defined]
    by_region: dict[int, RegionNode] = {r.pk: RegionNode(r) for r in regions}
    for d in departments:
        node = nodes[d.pk]
        if d.parent_id and d.parent_id in nodes:
            nodes[d.parent_id].children.append(node)
        else:
            by_region[d.region_id].departments.append(node)
    unassigned = User.objects.filter(department__isnull=True, is_active=True).count()
    return list(by_region.values()), unassigned


def flatten(nodes: list[DepartmentNode]) -> list[DepartmentNode]:
    """A region's departments in tree order (parent, then its children), for an indented list."""
    out: list[DepartmentNode] = []
    for node in nodes:
        out.append(node)
        out.extend(flatten(node.children))
    return out


def people_search(
    *, q: str = "", department: Department | None = None, role: str = "", active: str = ""
) -> QuerySet[User]:
    """The people list of the org page: search by name, user name or phone; a department means it and
    its sub-departments; `active` is "1" (active), "0" (left) or "" (everyone)."""
    qs = User.objects.select_related("department", "manager").prefetch_related("groups")
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(username__icontains=q) | Q(phone__icontains=q))
    if department is not None:
        qs = qs.filter(department__path__startswith=department.path)
    if role:
        qs = qs.filter(groups__name=role)
    if active in ("0", "1"):
        qs = qs.filter(is_active=active == "1")
    return qs


# --------------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------------


def _is_admin(user: User) -> bool:
    return bool(user.is_superuser or user.has_role(Role.ADMIN))


def _require_admin(by: User) -> None:
    if not _is_admin(by):
        raise DomainError(_("只有系统管理员可以修改组织架构。"), code="forbidden", status=403)


@transaction.atomic
def region_save(*, by: User, region: Region | None = None, name: str, manager: User | None) -> Region:
    _require_admin(by)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写大区名称。"), field="name")
    clash = Region.objects.filter(name=name)
    if region is not None:
        clash = clash.exclude(pk=region.pk)
    if clash.exists():
        raise DomainError(_("已有同名大区“%(name)s”。") % {"name": name}, field="name")
    region = region or Region()
    region.name = name
    region.manager = manager
    region.save()
    return region


@transaction.atomic
def department_save(
    *,
    by: User,
    department: Department | None = None,
    name: str,
    region: Region,
    parent: Department | None,
    manager: User | None,
) -> Department:
    """A department sits in one region; its parent (if any) is a department of the same region and not
    the department itself or one below it (the tree stays a tree)."""
    _require_admin(by)
    name = name.strip()
    if not name:
        raise DomainError(_("请填写部门名称。"), field="name")
    if parent is not None:
        if parent.region_id != region.pk:
            raise DomainError(_("上级部门必须属于同一个大区。"), field="parent")
        if department is not None and department.pk and parent.path.startswith(department.path):
            raise DomainError(_("上级部门不能是本部门或它的下级部门。"), field="parent")
    if department is not None and department.pk and department.region_id != region.pk:
        # Moving a department to another region moves its sub-departments with it.
        moved = Department.objects.filter(path__startswith=department.path).exclude(pk=department.pk)
        moved.update(region=region)
    department = department or Department()
    department.name = name
    department.region = region
    department.parent = parent
    department.manager = manager
    department.save()
    return department


def _check_manager(person: User | None, manager: User | None) -> None:
    if manager is None or person is None or not person.pk:
        return
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.pk not in seen:
        if current.pk == person.pk:
            raise DomainError(_("直属上级不能是本人或本人的下属。"), field="manager")
        seen.add(current.pk)
        current = current.manager if current.manager_id else None


@transaction.atomic
def person_save(
    *,
    by: User,
    person: User | None = None,
    username: str,
    display_name: str,
    phone: str = "",
    email: str = "",
    department: Department | None,
    manager: User | None,
    roles: Iterable[str],
    is_active: bool = True,
    password: str = "",
) -> User:
    """Create or change a person: name, contact, department, manager, roles and whether they may sign
    in. Roles are groups of the same name (crm.roles). An administrator may not take away their own
    administrator role or switch themselves off (nobody would be left to undo it)."""
    _require_admin(by)
    roles = [r for r in dict.fromkeys(roles) if r]
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise DomainError(_("未知的角色。"), field="roles")
    if not roles:
        raise DomainError(_("请至少选择一个角色。"), field="roles")
    username = username.strip()
    if not username:
        raise DomainError(_("请填写登录名。"), field="username")
    clash = User.objects.filter(username__iexact=username)
    if person is not None and person.pk:
        clash = clash.exclude(pk=person.pk)
    if clash.exists():
        raise DomainError(_("登录名“%(name)s”已被使用。") % {"name": username}, field="username")
    if not display_name.strip():
        raise DomainError(_("请填写姓名。"), field="display_name")
    _check_manager(person, manager)
    if person is not None and person.pk == by.pk:
        if not is_active:
            raise DomainError(_("不能停用自己的账号。"), field="is_active")
        if by.has_role(Role.ADMIN) and Role.ADMIN not in roles and not by.is_superuser:
            raise DomainError(_("不能取消自己的系统管理员角色。"), field="roles")
    creating = person is None
    person = person or User()
    person.username = username
    person.display_name = display_name.strip()
    person.phone = phone.strip()
    person.email = email.strip()
    person.department = department
    person.manager = manager
    person.is_active = is_active
    if password:
        try:
            validate_password(password, person)
        except ValidationError as exc:
            raise DomainError("；".join(exc.messages), field="password") from None
        person.set_password(password)
    elif creating:
        person.set_unusable_password()
    person.save()
    groups = [Group.objects.get_or_create(name=r)[0] for r in roles]
    person.groups.set(groups)
    person._roles_cache = set(roles)
    return person


def person_roles(person: Any) -> list[str]:
    """The role codes a person holds (from prefetched groups when there are some)."""
    return [g.name for g in person.groups.all() if g.name in Role.values]
