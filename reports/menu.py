"""The reports app's entries in the role menu (common.menu), each asking reports.policy.

`/` opens each role's own home. crm's "我的一天" entry is registered again here under the same key
(group "home", crm:my_day) so that it shows only to those whose home *is* "my day" (reps); everyone
else gets "我的看板" for the same URL — one home link per person, never two."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from common.menu import MenuEntry, register
from reports import policy


def _staff_a3(user: Any) -> bool:
    return policy.can_open_a3(user) and not policy.can_fill_a3(user)


def register_menu() -> None:
    sales, money = policy.can_open_sales_reports, policy.can_open_money_reports
    ranks = policy.can_open_rankings
    worklogs = policy.can_open_work_reports
    register(
        MenuEntry("home", _("我的一天"), "crm:my_day", "sun", policy.can_open_my_day, order=10),
        MenuEntry("home", _("我的看板"), "home", "layout-dashboard", policy.can_open_dashboard, order=10),
        MenuEntry("reports", _("销售漏斗与预测"), "reports:funnel", "filter", sales, order=10),
        MenuEntry("reports", _("合同与回款趋势"), "reports:trend", "chart-line", money, order=20),
        MenuEntry("reports", _("销售活动"), "reports:activity", "activity", sales, order=30),
        MenuEntry("reports", _("排行榜"), "reports:rankings", "trophy", ranks, order=40),
        MenuEntry("reports", _("CRM 使用排名"), "reports:usage", "medal", ranks, order=45),
        MenuEntry("reports", _("月度销售报表"), "reports:sales", "table", money, order=55),
        MenuEntry("reports", _("工作报告"), "reports:worklogs", "notebook", worklogs, order=60),
        MenuEntry(
            "reports",
            _("团队报告提交"),
            "reports:worklog_team",
            "checkup-list",
            policy.can_open_team_work_reports,
            order=65,
        ),
        MenuEntry("reports", _("合伙人消费追踪"), "reports:a3_list", "clipboard-data", _staff_a3, order=62),
        MenuEntry(
            "partner",
            _("月度消费追踪分析"),
            "reports:a3_mine",
            "clipboard-data",
            policy.can_fill_a3,
            order=40,
        ),
    )
