"""Q2 / issue 15: the authority matrix in a form — ranges in percent and yuan, chains by role name in
Chinese, no JSON; the next request is routed by the edited row; only the administrator may open it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import ApprovalKind, AuthorityRule, Role
from crm.services.approvals import authority_rule_for, authority_rules_seed_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrix(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults(on=dt.date(2026, 1, 1))
    return AuthorityRule.objects


def _quote_rule(name: str) -> AuthorityRule:
    return AuthorityRule.objects.get(kind=ApprovalKind.QUOTE_DISCOUNT, name=name)


def test_the_matrix_reads_in_words_percentages_yuan_and_chinese_role_names(client, org, matrix) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    html = client.get(reverse("crm:authority_matrix")).content.decode()
    table = html.split('id="matrix"')[1]
    assert "报价折扣" in table and "quote_discount" not in table
    assert "≥ 45%且&lt; 50%" in table  # the 4.5折 row, not 0.450000
    assert "≤ ¥200,000.00" in table  # the standard contract row
    assert "销售管理部经理 → 研发副总裁 → 交付副总裁 → 总裁" in table
    assert "副总裁 或 总裁" in table
    assert "sales_admin_manager" not in table and "0.45" not in table


def test_the_matrix_in_english_names_kinds_and_roles_in_english(client, org, matrix) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    table = client.get(reverse("crm:authority_matrix")).content.decode().split('id="matrix"')[1]
    assert "Sales admin manager" in table or "President" in table
    assert "报价折扣" not in table and "总裁" not in table.split("<td")[6]


def test_the_kind_filter(client, org, matrix) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    table = client.get(reverse("crm:authority_matrix"), {"kind": "contract"}).content.decode()
    table = table.split('id="matrix"')[1]
    assert "其他合同" in table and "报价<45%" not in table


def test_editing_a_row_in_percent_changes_who_approves_the_next_quote(client, org, matrix) -> None:  # type: ignore[no-untyped-def]
    # given the default: a quote at 48% of list price goes to the president's assistant
    assert authority_rule_for(kind="quote_discount", ratio=Decimal("0.48")).chain == [
        [Role.PRESIDENTS_ASSISTANT]
    ]
    rule = _quote_rule("报价≥标准价50%（5折）：部门/渠道经理")
    client.force_login(org.admin)
    form = client.get(reverse("crm:authority_rule_edit", args=[rule.pk])).content.decode()
    assert 'name="ratio_min" value="50"' in form  # shown in percent
    # when the admin lowers the manager's limit to 48% and adds the regional manager as a second step
    resp = client.post(
        reverse("crm:authority_rule_edit", args=[rule.pk]),
        {
            "kind": "quote_discount",
            "name": "报价≥标准价48%：部门经理→大区经理",
            "priority": "10",
            "ratio_min": "48",
            "ratio_min_inclusive": "on",
            "effective_from": "2026-01-01",
            "chain-TOTAL_FORMS": "3",
            "chain-INITIAL_FORMS": "1",
            "chain-0-roles": [Role.SALES_MANAGER],
            "chain-1-roles": [Role.REGIONAL_MANAGER],
        },
    )
    assert resp.status_code == 302
    # then a quote at 48% goes to the department manager, then the regional manager
    found = authority_rule_for(kind="quote_discount", ratio=Decimal("0.48"))
    assert found.pk == rule.pk
    assert found.ratio_min == Decimal("0.48")
    assert found.chain == [[Role.SALES_MANAGER], [Role.REGIONAL_MANAGER]]
    assert found.history.first().history_user == org.admin


def test_a_rule_without_a_chain_or_with_ranges_upside_down_is_refused_with_the_input_kept(
    client, org, matrix
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.admin)
    base = {
        "kind": "customer_rebate",
        "name": "新返佣规则",
        "priority": "5",
        "ratio_min": "10",
        "ratio_max": "5",
        "effective_from": "2026-12-01",
        "chain-TOTAL_FORMS": "2",
        "chain-INITIAL_FORMS": "0",
        "chain-0-roles": [Role.CUSTOMER_DIRECTOR],
    }
    html = client.post(reverse("crm:authority_rule_create"), base).content.decode()
    assert "比例上限不能小于下限。" in html and 'value="新返佣规则"' in html
    no_chain = {**base, "ratio_max": "", "chain-0-roles": []}
    html = client.post(reverse("crm:authority_rule_create"), no_chain).content.decode()
    assert "审批链至少需要一步。" in html
    html = client.post(reverse("crm:authority_rule_create"), {**base, "ratio_min": "abc"}).content.decode()
    assert "输入一个数字。" in html
    assert not AuthorityRule.objects.filter(name="新返佣规则").exists()


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "finance", "president"])
def test_only_the_admin_opens_or_changes_the_matrix(client, org, matrix, who) -> None:  # type: ignore[no-untyped-def]
    rule = _quote_rule("报价<45%：副总裁或总裁")
    client.force_login(getattr(org, who))
    assert client.get(reverse("crm:authority_matrix")).status_code == 404
    url = reverse("crm:authority_rule_edit", args=[rule.pk])
    assert client.post(url, {"name": "x", "kind": "quote_discount"}).status_code == 404
    rule.refresh_from_db()
    assert rule.name == "报价<45%：副总裁或总裁"
