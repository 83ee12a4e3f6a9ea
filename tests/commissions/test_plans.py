"""Plans are data (K12): publishing notice, frozen versions, JSON import/export, commission_preview."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from commissions.models import CommissionLine, CommissionPlan, LineStatus
from commissions.services.periods import commission_period_close
from commissions.services.plans import plan_save
from common.errors import Conflict, DomainError
from crm.models import Role
from crm.services.approvals import approval_decide, latest_request_for
from tests.commissions.factories import PLANS, plan_definition
from tests.factories import UserFactory


def run_preview(*args: str) -> str:
    out = io.StringIO()
    call_command("commission_preview", *args, stdout=out)
    return out.getvalue()


def test_preview_json_spec_example():
    out = run_preview("--plan", str(PLANS / "sales_progressive.json"), "--sales", "600000", "--json")
    data = json.loads(out)  # exactly one JSON object
    assert data["total"] == "30000.00"
    assert [(x["base"], x["rate"], x["amount"]) for x in data["lines"]] == [
        ("100000.00", "0.03", "3000.00"),
        ("400000.00", "0.05", "20000.00"),
        ("100000.00", "0.07", "7000.00"),
    ]


def test_preview_with_target_and_table():
    data = json.loads(
        run_preview(
            "--plan",
            str(PLANS / "sales_progressive.json"),
            "--sales",
            "1100000",
            "--target",
            "1000000",
            "--year-end",
            "--json",
        )
    )
    # 001 三.3: the target bonus is annual — the year's 1,100,000 against the annual 1,000,000 (110%)
    assert data["total"] == "82500.00" and data["attainment"] == "1.1"
    assert data["lines"][-1]["type"] == "target_bonus" and data["lines"][-1]["rate"] == "0.015"
    table = run_preview("--plan", str(PLANS / "sales_bracket.json"), "--sales", "10000")
    assert "1万元以下（含1万元）" in table and "300.00" in table


def test_preview_table_shows_rates_through_the_one_rate_formatter():
    # given sales of 1,100,000 against a target of 1,000,000; when the table is printed
    table = run_preview(
        "--plan", str(PLANS / "sales_progressive.json"), "--sales", "1100000", "--target", "1000000"
    )
    # then the attainment and the band rates read like every other rate (common.fen.pct): no "110.00%"
    assert "目标完成率 Attainment: 110%\n" in table
    rates = [line.split()[-2] for line in table.splitlines() if line.endswith(("3,000.00", "20,000.00"))]
    assert rates == ["3%", "5%"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sales", "abc"], "--sales 必须是金额数字"),
        (["--sales", "-5"], "不能为负数"),
        (["--sales", "1.001"], "最多两位小数"),
        (["--sales", "100", "--target", "0"], "--target 必须大于 0"),
    ],
)
def test_preview_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(CommandError, match=message):
        run_preview("--plan", str(PLANS / "sales_progressive.json"), *args)


def test_preview_bad_plan_file(tmp_path):
    with pytest.raises(CommandError, match="找不到方案文件"):
        run_preview("--plan", str(tmp_path / "none.json"), "--sales", "1")
    bad = tmp_path / "bad.json"
    bad.write_text('{"code": "x", "name": "x", "components": [{"id": "a", "type": "bracket", "bands": []}]}')
    with pytest.raises(CommandError, match="bands：至少需要一个分段"):
        run_preview("--plan", str(bad), "--sales", "1")
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        run_preview("--plan", str(bad), "--sales", "1")


def test_k12_publish_needs_30_days_notice_or_an_admin_reason(org):
    soon = timezone.localdate() + dt.timedelta(days=10)
    with pytest.raises(DomainError, match="提前 30 天"):
        plan_save(
            definition=plan_definition("sales_bracket"), effective_from=soon, publish=True, by=org.admin
        )
    with pytest.raises(DomainError, match="只有系统管理员"):
        plan_save(
            definition=plan_definition("sales_bracket"),
            effective_from=soon,
            publish=True,
            override_reason="市场调整",
            by=org.finance,
        )
    plan = plan_save(
        definition=plan_definition("sales_bracket"),
        effective_from=soon,
        publish=True,
        override_reason="总经理批准，市场调整",
        by=org.admin,
    )
    # submitted to its approval chain (finance → sales director → president); the admin's early date holds
    assert plan.published_at is None and plan.approval_status == "pending"
    assert plan.notice_override_reason == "总经理批准，市场调整" and plan.notice_override_by == org.admin
    director = UserFactory(username="director", roles=[Role.DIRECTOR])
    request = latest_request_for(plan)
    for approver in (org.finance, director, org.president):
        approval_decide(request=request, by=approver, approve=True)
    plan.refresh_from_db()
    assert plan.published_at and plan.effective_from == soon
    later = timezone.localdate() + dt.timedelta(days=30)
    ok = plan_save(
        definition=plan_definition("sales_bracket"), effective_from=later, publish=True, by=org.finance
    )
    assert ok.approval_status == "pending" and ok.notice_override_reason == ""


def test_k12_a_version_in_force_or_used_by_a_closed_month_is_frozen(org):
    past = dt.date(2026, 1, 1)
    plan = CommissionPlan.objects.create(
        code="sales_bracket",
        name="x",
        effective_from=past,
        definition=plan_definition("sales_bracket"),
        published_at=timezone.now(),
    )
    changed = plan_definition("sales_bracket")
    changed["components"][0]["bands"][0]["rate"] = "0.04"
    with pytest.raises(Conflict):
        plan_save(definition=changed, effective_from=past)
    CommissionLine.objects.create(
        payee_user=org.rep_a1,
        period=past,
        amount=D("1"),
        plan=plan,
        status=LineStatus.SETTLED,
        source_key="x",
    )
    with pytest.raises(Conflict):
        plan_save(definition=changed, effective_from=past)


def test_plan_import_and_export_round_trip(org, tmp_path):
    out = io.StringIO()
    call_command(
        "plan_import",
        str(PLANS / "partner_rebate.json"),
        "--effective-from",
        "2030-01-01",
        "--publish",
        stdout=out,
    )
    assert "partner_rebate 2030-01-01 已发布" in out.getvalue()
    target = tmp_path / "exported.json"
    call_command("plan_export", "partner_rebate", "-o", str(target), stdout=io.StringIO())
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["effective_from"] == "2030-01-01"
    assert exported["components"] == plan_definition("partner_rebate")["components"]
    # importing the export again is the same version, unchanged
    call_command("plan_import", str(target), stdout=io.StringIO())
    assert CommissionPlan.objects.filter(code="partner_rebate").count() == 1


def test_plan_import_refuses_bad_files_and_short_notice(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**plan_definition("sales_bracket"), "payable": "never"}), encoding="utf-8")
    with pytest.raises(CommandError, match="payable"):
        call_command("plan_import", str(bad), "--effective-from", "2030-01-01")
    with pytest.raises(CommandError, match="提前 30 天"):
        call_command(
            "plan_import", str(PLANS / "sales_bracket.json"), "--effective-from", "2000-01-01", "--publish"
        )
    assert not CommissionPlan.objects.exists()


def test_admin_import_and_export(org, client):
    client.force_login(org.admin)
    with open(PLANS / "key_account.json", "rb") as fh:
        response = client.post(
            "/admin/commissions/commissionplan/import/",
            {"file": fh, "effective_from": "2030-02-01", "publish": "on"},
        )
    assert response.status_code == 302
    plan = CommissionPlan.objects.get(code="key_account")
    response = client.post(
        "/admin/commissions/commissionplan/", {"action": "export_json", "_selected_action": [plan.pk]}
    )
    assert response.status_code == 200
    assert json.loads(response.content)["components"][0]["rates"]["core"]["rate"] == "0.015"
    # an invalid definition is shown on the form, nothing saved
    response = client.post(
        "/admin/commissions/commissionplan/add/",
        {
            "effective_from": "2030-03-01",
            "definition": json.dumps({"code": "x", "name": "x", "components": []}),
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "至少需要一个方案组成" in response.content.decode()
    assert not CommissionPlan.objects.filter(code="x").exists()


def test_commission_run_command(org):
    from commissions.models import CommissionPlan, PlanAssignment
    from crm.models import ProductCategory, Role
    from tests.commissions.factories import booked, install_plan
    from tests.factories import make_order

    install_plan("sales_progressive", role=Role.REP)
    make_order(
        owner=org.rep_a1,
        lines=[(ProductCategory.REGULAR, D("1"), D("600000"))],
        booked_at=booked(dt.date(2026, 10, 5)),
    )
    out = io.StringIO()
    call_command("commission_run", "--period", "2026-10", stdout=out)
    assert "新增 1 条" in out.getvalue() and "¥30,000.00" in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("commission_run", "--period", "Oct")
    commission_period_close(period=dt.date(2026, 10, 1))
    with pytest.raises(CommandError, match="已结算关闭"):
        call_command("commission_run", "--period", "2026-10")
    assert CommissionPlan.objects.count() == 1 and PlanAssignment.objects.count() == 1
