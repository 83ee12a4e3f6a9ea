"""The role menu (common.menu): each role is offered the pages its policy opens, grouped, with badges that
cost a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from common.menu import GROUPS, MenuEntry, nav_for, register
from crm.models import ReviewStatus, Role
from tests.factories import NAV_QUERIES, CustomerFactory, UserFactory
from tests.settlements.factories import partner as make_partner


def _menu(user, path: str = "/") -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    request = RequestFactory().get(path)
    request.user = user
    return {group.key: [str(item.label) for item in group.items] for group in nav_for(request)}


def _items(user, path: str = "/"):  # type: ignore[no-untyped-def]
    request = RequestFactory().get(path)
    request.user = user
    return [item for group in nav_for(request) for item in group.items]


def test_an_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown menu group"):
        register(MenuEntry("nowhere", "x", "crm:my_day", "x", lambda user: True))


def test_anonymous_gets_no_menu() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert nav_for(request) == []


@pytest.mark.django_db
def test_a_rep_sees_their_daily_tools_grouped_in_order(org) -> None:  # type: ignore[no-untyped-def]
    menu = _menu(org.rep_a1)
    assert list(menu) == ["home", "customers", "sales", "approvals", "money", "reports"]
    assert menu["home"] == ["我的一天"]
    reports = [
        "销售漏斗与预测",
        "合同与回款趋势",
        "销售活动",
        "排行榜",
        "CRM 使用排名",
        "月度销售报表",
        "工作报告",
    ]
    assert menu["reports"] == reports
    assert menu["customers"] == ["客户", "联系人", "公海", "去向登记", "外出情况", "撞单"]
    assert menu["sales"] == ["线索", "商机", "报价", "产品与价格表", "合同", "订单回款"]
    assert menu["approvals"] == ["审批中心"]
    assert menu["money"] == ["我的提成", "我的提成方案", "提成试算", "结算", "结算单", "应收账龄"]


@pytest.mark.django_db
def test_a_manager_also_reviews_records_referrals_and_reads_the_collision_report(org) -> None:  # type: ignore[no-untyped-def]
    menu = _menu(org.manager_a)
    assert menu["approvals"] == ["审批中心"]  # new customers, settlements … are its tabs
    assert "登记推荐" in menu["customers"]
    assert menu["home"] == ["我的看板"]  # `/` is the team dashboard
    assert menu["reports"] == [
        "销售漏斗与预测",
        "合同与回款趋势",
        "销售活动",
        "排行榜",
        "CRM 使用排名",
        "撞单月报",
        "月度销售报表",
        "工作报告",
        "团队报告提交",
    ]
    assert "system" not in menu


@pytest.mark.django_db
def test_finance_sees_money_and_the_lists_it_may_open(org) -> None:  # type: ignore[no-untyped-def]
    menu = _menu(org.finance)
    assert menu == {
        "home": ["我的看板"],
        "sales": ["产品与价格表", "订单回款"],
        "approvals": ["审批中心"],
        "money": [
            "我的提成",
            "我的提成方案",
            "提成试算",
            "结算",
            "结算单",
            "门票登记",
            "应收账龄",
            "客户佣金支付",
            "提成方案管理",
            "提成没收",
        ],
        "reports": ["合同与回款趋势", "排行榜", "CRM 使用排名", "月度销售报表"],
    }


@pytest.mark.django_db
def test_a_partner_sees_only_the_partner_portal(org) -> None:  # type: ignore[no-untyped-def]
    login = UserFactory(username="partner_login", roles=[Role.PARTNER])
    make_partner(user=login, region=org.region)
    menu = _menu(login)
    assert menu == {
        "home": ["我的看板"],
        "partner": ["合伙人门户", "撞单", "我的返佣", "我的奖励", "月度消费追踪分析", "结算单", "待我确认"],
    }
    assert [str(label) for label, _icon in [GROUPS["partner"]]] == ["合作伙伴门户"]


@pytest.mark.django_db
def test_the_admin_sees_the_system_group(org) -> None:  # type: ignore[no-untyped-def]
    menu = _menu(org.admin)
    assert menu["system"] == ["组织架构", "权限矩阵", "合伙人", "后台管理"]


@pytest.mark.django_db
def test_the_current_page_is_marked_active_longest_match_wins(org) -> None:  # type: ignore[no-untyped-def]
    login = UserFactory(username="partner_active", roles=[Role.PARTNER])
    make_partner(user=login, region=org.region)
    active = [item.url for item in _items(login, "/settlements/inbox/") if item.active]
    assert active == ["/settlements/inbox/"]  # over the partner's "/settlements/"
    active = [item.url for item in _items(org.finance, "/settlements/12/") if item.active]
    assert active == ["/settlements/"]
    active = [item.url for item in _items(org.rep_a1, "/") if item.active]
    assert active == ["/"]


def _pending_customers(owner, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        CustomerFactory(owner=owner, review_status=ReviewStatus.PENDING)


@pytest.mark.django_db
def test_centre_badge_counts_new_customers_waiting_and_costs_the_same_queries_at_any_size(org) -> None:  # type: ignore[no-untyped-def]
    def badge_and_queries() -> tuple[int, int]:
        user = type(org.manager_a).objects.get(pk=org.manager_a.pk)  # a fresh request's user
        with CaptureQueriesContext(connection) as ctx:
            items = {str(item.label): item.badge for item in _items(user)}
        return items["审批中心"], len(ctx.captured_queries)

    assert badge_and_queries()[0] == 0
    _pending_customers(org.rep_a1, 2)
    few, few_queries = badge_and_queries()
    _pending_customers(org.rep_a2, 5)
    many, many_queries = badge_and_queries()
    assert (few, many) == (2, 7)
    assert many_queries == few_queries
    assert many_queries <= NAV_QUERIES


@pytest.mark.django_db
def test_every_page_renders_the_menu_from_the_policy(client, org) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    html = client.get("/settlements/").content.decode()
    assert 'href="/orders/"' in html
    assert 'href="/leads/"' not in html
    assert 'href="/customers/"' not in html


@pytest.mark.django_db
def test_the_whole_menu_costs_a_small_fixed_number_of_queries_for_every_role(org) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import NAV_QUERIES

    login = UserFactory(username="partner_q", roles=[Role.PARTNER])
    make_partner(user=login, region=org.region)
    _pending_customers(org.rep_a1, 3)
    for old in [*(u for u in vars(org).values() if hasattr(u, "roles")), login]:
        user = type(old).objects.get(pk=old.pk)  # a fresh request's user: nothing cached yet
        with CaptureQueriesContext(connection) as ctx:
            _items(user)
        assert len(ctx.captured_queries) <= NAV_QUERIES, (user.username, len(ctx.captured_queries))
