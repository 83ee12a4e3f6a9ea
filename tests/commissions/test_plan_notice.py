"""K12: plan changes reach the people they pay — my plan in words, announced changes with their effective
date, objections within the notice period (page and API)."""

from __future__ import annotations

import copy
import datetime as dt

from django.utils import timezone

from commissions.models import CommissionPlan, PlanObjection
from crm.models import Role
from tests.commissions.factories import install_plan, plan_definition


def announce(days_ago: int = 0, effective_in: int = 40) -> CommissionPlan:
    definition = copy.deepcopy(plan_definition("sales_progressive"))
    definition["components"][0]["bands"][0]["rate"] = "0.04"
    definition["components"][0]["bands"][0]["label"] = "10万元（含）以下的部分（调整后）"
    return CommissionPlan.objects.create(
        code="sales_progressive",
        name="销售部销售提成方案（调整）",
        effective_from=timezone.localdate() + dt.timedelta(days=effective_in),
        published_at=timezone.now() - dt.timedelta(days=days_ago),
        definition=definition,
    )


def test_rep_sees_current_plan_in_words_and_the_announced_change(org, client_for, api_for):
    install_plan("sales_progressive", role=Role.REP)
    new = announce()
    page = client_for(org.rep_a1).get("/commissions/my-plan/").content.decode()
    assert "基本提成（超额累进）：10万元（含）以下的部分 3%" in page
    assert "10万元（含）以下的部分（调整后） 4%" in page
    assert new.effective_from.strftime("%Y-%m-%d") in page
    assert "离职前未完成销售任务的，扣除未完成部分的提成" in page and "不计提成的类别：外包" in page
    body = api_for(org.rep_a1).get("/api/commissions/my-plan/").json()
    assert [x["code"] for x in body["current"]] == ["sales_progressive"]
    (announced,) = body["announced"]
    assert announced["effective_from"] == new.effective_from.isoformat()
    assert announced["objection_deadline"] == (timezone.localdate() + dt.timedelta(days=30)).isoformat()


def test_objection_within_the_notice_period_page_and_api(org, client_for, api_for):
    install_plan("sales_progressive", role=Role.REP)
    new = announce()
    empty = client_for(org.rep_a1).post("/commissions/my-plan/", {"plan": new.pk, "text": " "})
    assert "请填写异议内容" in empty.content.decode() and not PlanObjection.objects.exists()
    ok = client_for(org.rep_a1).post(
        "/commissions/my-plan/", {"plan": new.pk, "text": "第一档比例调整未与团队沟通"}
    )
    assert ok.status_code == 302
    r = api_for(org.rep_a2).post("/api/commissions/my-plan/objections/", {"plan": new.pk, "text": "异议"})
    assert r.status_code == 201
    assert PlanObjection.objects.filter(plan=new).count() == 2
    # a plan that does not pay you cannot be objected to
    other = api_for(org.finance).post("/api/commissions/my-plan/objections/", {"plan": new.pk, "text": "x"})
    assert other.status_code == 404


def test_objection_after_the_notice_period_is_refused(org, api_for):
    install_plan("sales_progressive", role=Role.REP)
    late = announce(days_ago=31, effective_in=5)
    r = api_for(org.rep_a1).post("/api/commissions/my-plan/objections/", {"plan": late.pk, "text": "太晚了"})
    assert r.status_code == 400 and "已过期限" in str(r.json())
    assert not PlanObjection.objects.exists()
