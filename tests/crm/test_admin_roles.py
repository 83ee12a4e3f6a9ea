"""Issue 15: roles in Chinese in the Django admin too (groups are named by the role's code)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.models import Role

pytestmark = pytest.mark.django_db


def test_the_user_list_and_form_name_roles_in_chinese(client, org) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    html = client.get(reverse("admin:crm_user_changelist")).content.decode()
    assert 'class="field-roles_display">销售部经理</td>' in html
    # the role filter offers the roles by name
    assert "?role=finance" in html and "财务中心</a>" in html
    form = client.get(reverse("admin:crm_user_change", args=[org.rep_a1.pk])).content.decode()
    rep = Group.objects.get(name=Role.REP)
    assert f'<option value="{rep.pk}" selected>销售人员</option>' in form


def test_the_group_list_shows_role_names(client, org) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    html = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert "系统管理员" in html and "财务中心" in html


def test_the_authority_matrix_in_the_admin_names_the_chain_by_role(client, org) -> None:  # type: ignore[no-untyped-def]
    from crm.services.approvals import authority_rules_seed_defaults

    authority_rules_seed_defaults()
    client.force_login(org.admin)
    html = client.get(reverse("admin:crm_authorityrule_changelist")).content.decode()
    assert "销售管理部经理 → 研发副总裁 → 交付副总裁 → 总裁" in html
    assert "sales_admin_manager" not in html.split("<tbody>")[1]
