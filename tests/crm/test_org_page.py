"""Issue 15: the org page (regions → departments → people) inside the product, for the system
administrator only: see the tree, add/edit departments and people, change roles, department, manager
and the active flag — every rule in crm.services.org, everyone else gets a 404."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Department, Region, Role, User
from tests.factories import NAV_QUERIES, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def _admin_client(client, org):  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    return client


def test_the_admin_sees_regions_departments_and_people_with_roles_in_words(client, org) -> None:  # type: ignore[no-untyped-def]
    # given the org of the factories; when the admin opens the org page
    resp = _admin_client(client, org).get(reverse("crm:org"))
    # then regions and departments are listed with their managers and head counts
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "华东大区" in html and "华北大区" in html
    assert "销售一部" in html and "销售二部" in html
    tree = html.split('id="org-tree"')[1].split("</div>\n  </div>")[0]
    # 销售一部: 经理甲, 销售甲一, 销售甲二 and 客户执行 are active members
    assert '销售一部 <span class="badge bg-secondary-lt" title="在职人数">4</span>' in tree
    # and people show their roles in Chinese, never the internal code
    people = html.split('id="people"')[1]
    assert "销售人员" in people and "销售部经理" in people
    assert ">rep<" not in people and "sales_manager" not in people


def test_roles_are_shown_in_english_on_the_english_page(client, org) -> None:  # type: ignore[no-untyped-def]
    client = _admin_client(client, org)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    resp = client.get(reverse("crm:org") + f"?department={org.dept_a.pk}")
    people = resp.content.decode().split('id="people"')[1]
    assert "Sales rep" in people
    assert "销售人员" not in people


def test_a_department_filter_shows_its_people_and_those_of_its_sub_departments(client, org) -> None:  # type: ignore[no-untyped-def]
    sub = DepartmentFactory(name="销售一部一组", region=org.region, parent=org.dept_a)
    UserFactory(username="sub_rep", display_name="组员丙", roles=[Role.REP], department=sub)
    resp = _admin_client(client, org).get(reverse("crm:org"), {"department": org.dept_a.pk})
    people = resp.content.decode().split('id="people"')[1]
    assert "组员丙" in people and "销售甲一" in people
    assert "销售乙一" not in people


def test_search_and_role_filter(client, org) -> None:  # type: ignore[no-untyped-def]
    client = _admin_client(client, org)
    people = client.get(reverse("crm:org"), {"q": "甲二"}).content.decode().split('id="people"')[1]
    assert "销售甲二" in people and "销售甲一" not in people
    people = client.get(reverse("crm:org"), {"role": Role.FINANCE}).content.decode().split('id="people"')[1]
    assert "财务" in people and "销售甲一" not in people


def test_the_org_page_costs_the_same_few_queries_with_many_people(client, org) -> None:  # type: ignore[no-untyped-def]
    client = _admin_client(client, org)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("crm:org")).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(30):
        dept = DepartmentFactory(name=f"新部门{i}", region=org.region_b)
        UserFactory(
            username=f"more{i}", roles=[Role.REP, Role.MARKETING], department=dept, manager=org.manager_b
        )
    many = queries()
    assert many == few
    assert many <= 8 + NAV_QUERIES


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "finance", "president", "vp"])
def test_everyone_but_the_admin_gets_a_404(client, org, who) -> None:  # type: ignore[no-untyped-def]
    client.force_login(getattr(org, who))
    assert client.get(reverse("crm:org")).status_code == 404
    assert client.get(reverse("crm:org_person_edit", args=[org.rep_a1.pk])).status_code == 404
    resp = client.post(
        reverse("crm:org_person_edit", args=[org.rep_a1.pk]),
        {"display_name": "改名", "username": "rep_a1", "roles": [Role.ADMIN], "is_active": "on"},
    )
    assert resp.status_code == 404
    org.rep_a1.refresh_from_db()
    assert org.rep_a1.display_name == "销售甲一"


def test_the_admin_adds_a_department_under_another(client, org) -> None:  # type: ignore[no-untyped-def]
    resp = _admin_client(client, org).post(
        reverse("crm:org_department_create"),
        {"name": "大客户组", "region": org.region.pk, "parent": org.dept_a.pk, "manager": org.rep_a2.pk},
    )
    assert resp.status_code == 302
    dept = Department.objects.get(name="大客户组")
    assert (dept.parent, dept.manager, dept.path) == (org.dept_a, org.rep_a2, f"/{org.dept_a.pk}/{dept.pk}/")


def test_a_department_cannot_sit_under_itself_or_in_another_region(client, org) -> None:  # type: ignore[no-untyped-def]
    client = _admin_client(client, org)
    sub = DepartmentFactory(name="一部一组", region=org.region, parent=org.dept_a)
    url = reverse("crm:org_department_edit", args=[org.dept_a.pk])
    resp = client.post(url, {"name": "销售一部", "region": org.region.pk, "parent": sub.pk})
    assert resp.status_code == 200
    assert "上级部门不能是本部门或它的下级部门。" in resp.content.decode()
    assert 'value="销售一部"' in resp.content.decode()  # the input is kept
    resp = client.post(url, {"name": "销售一部", "region": org.region_b.pk, "parent": org.dept_b.pk})
    assert "上级部门必须属于同一个大区。" in resp.content.decode()
    org.dept_a.refresh_from_db()
    assert org.dept_a.parent is None and org.dept_a.region == org.region


def test_moving_a_department_to_another_region_takes_its_sub_departments(client, org) -> None:  # type: ignore[no-untyped-def]
    sub = DepartmentFactory(name="一部一组", region=org.region, parent=org.dept_a)
    resp = _admin_client(client, org).post(
        reverse("crm:org_department_edit", args=[org.dept_a.pk]),
        {"name": "销售一部", "region": org.region_b.pk, "parent": ""},
    )
    assert resp.status_code == 302
    sub.refresh_from_db()
    assert sub.region == org.region_b


def test_the_admin_changes_a_persons_roles_department_manager_and_active_flag(client, org) -> None:  # type: ignore[no-untyped-def]
    resp = _admin_client(client, org).post(
        reverse("crm:org_person_edit", args=[org.rep_a1.pk]),
        {
            "display_name": "销售甲一",
            "username": "rep_a1",
            "department": org.dept_b.pk,
            "manager": org.manager_b.pk,
            "roles": [Role.REP, Role.ACCOUNT_EXECUTIVE],
        },
    )
    assert resp.status_code == 302
    person = User.objects.get(pk=org.rep_a1.pk)
    assert (person.department, person.manager, person.is_active) == (org.dept_b, org.manager_b, False)
    assert person.roles == {"rep", "account_executive"}


def test_the_admin_adds_a_person_who_can_sign_in_with_the_password_given(client, org) -> None:  # type: ignore[no-untyped-def]
    resp = _admin_client(client, org).post(
        reverse("crm:org_person_create"),
        {
            "display_name": "新人",
            "username": "newbie",
            "phone": "13900000000",
            "department": org.dept_a.pk,
            "manager": org.manager_a.pk,
            "roles": [Role.REP],
            "is_active": "on",
            "password": "Zq8!long-enough",
        },
    )
    assert resp.status_code == 302
    person = User.objects.get(username="newbie")
    assert person.check_password("Zq8!long-enough")
    assert person.roles == {"rep"} and person.department == org.dept_a


@pytest.mark.parametrize(
    ("change", "message", "field_value"),
    [
        ({"roles": []}, "请至少选择一个角色。", 'value="销售甲一"'),
        ({"username": "rep_a2"}, "登录名“rep_a2”已被使用。", 'value="rep_a2"'),
        ({"manager": "self"}, "直属上级不能是本人或本人的下属。", 'value="销售甲一"'),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_the_input(
    client, org, change, message, field_value
) -> None:  # type: ignore[no-untyped-def]
    data = {"display_name": "销售甲一", "username": "rep_a1", "roles": [Role.REP], "is_active": "on"}
    data.update(change)
    if data.get("manager") == "self":
        data["manager"] = org.rep_a1.pk
    resp = _admin_client(client, org).post(reverse("crm:org_person_edit", args=[org.rep_a1.pk]), data)
    html = resp.content.decode()
    assert resp.status_code == 200
    assert message in html and field_value in html
    assert User.objects.get(pk=org.rep_a1.pk).roles == {"rep"}


def test_a_manager_cannot_report_to_their_own_report(client, org) -> None:  # type: ignore[no-untyped-def]
    resp = _admin_client(client, org).post(
        reverse("crm:org_person_edit", args=[org.manager_a.pk]),
        {
            "display_name": "经理甲",
            "username": "mgr_a",
            "roles": [Role.SALES_MANAGER],
            "manager": org.rep_a1.pk,
            "is_active": "on",
        },
    )
    assert "直属上级不能是本人或本人的下属。" in resp.content.decode()


def test_an_admin_cannot_lock_themselves_out(client, org) -> None:  # type: ignore[no-untyped-def]
    admin = UserFactory(username="plain_admin", display_name="管理员乙", roles=[Role.ADMIN])
    client.force_login(admin)
    url = reverse("crm:org_person_edit", args=[admin.pk])
    base = {"display_name": "管理员乙", "username": "plain_admin"}
    html = client.post(url, {**base, "roles": [Role.ADMIN]}).content.decode()
    assert "不能停用自己的账号。" in html
    html = client.post(url, {**base, "roles": [Role.REP], "is_active": "on"}).content.decode()
    assert "不能取消自己的系统管理员角色。" in html
    admin.refresh_from_db()
    assert admin.is_active and admin.has_role(Role.ADMIN)


def test_the_admin_adds_a_region_and_a_duplicate_name_is_refused(client, org) -> None:  # type: ignore[no-untyped-def]
    client = _admin_client(client, org)
    assert client.post(reverse("crm:org_region_create"), {"name": "华南大区"}).status_code == 302
    assert Region.objects.filter(name="华南大区").exists()
    html = client.post(reverse("crm:org_region_create"), {"name": "华南大区"}).content.decode()
    assert "已有同名大区“华南大区”。" in html


def test_the_person_form_shows_the_current_roles_ticked(client, org) -> None:  # type: ignore[no-untyped-def]
    url = reverse("crm:org_person_edit", args=[org.manager_a.pk])
    html = _admin_client(client, org).get(url).content.decode()
    boxes = re.findall(r'<input[^>]*name="roles"[^>]*>', html)
    assert len(boxes) == len(Role.choices)
    ticked = [re.search(r'value="(\w+)"', box).group(1) for box in boxes if "checked" in box]  # type: ignore[union-attr]
    assert ticked == ["sales_manager"]
    assert 'value="经理甲"' in html
