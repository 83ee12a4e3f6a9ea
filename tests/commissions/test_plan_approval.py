"""K12 / 001 第4条: a plan version passes its approval chain (finance → sales director → president) before
it is published; a rejection leaves it unpublished with the reason shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import CommissionPlan, PlanApproval
from commissions.services.plans import plan_save
from common.errors import DomainError
from crm.models import ApprovalKind, ApprovalStatus, Role
from crm.services.approvals import approval_decide, authority_rules_seed_defaults, latest_request_for
from tests.commissions.factories import plan_definition
from tests.factories import UserFactory


@pytest.fixture
def director(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    return UserFactory(username="director", display_name="销售总监", roles=[Role.DIRECTOR])


def submit(org, days: int = 40) -> CommissionPlan:  # type: ignore[no-untyped-def]
    start = timezone.localdate() + dt.timedelta(days=days)
    return plan_save(
        definition=plan_definition("sales_bracket"), effective_from=start, publish=True, by=org.admin
    )


def test_publishing_waits_for_the_whole_chain_then_announces_with_its_effective_date(org, director):
    plan = submit(org)
    assert plan.published_at is None and plan.approval_status == PlanApproval.PENDING
    request = latest_request_for(plan)
    assert request is not None and request.kind == ApprovalKind.COMMISSION_PLAN
    assert [s.roles for s in request.steps.order_by("order")] == [",finance,", ",director,", ",president,"]

    approval_decide(request=request, by=org.finance, approve=True)
    approval_decide(request=request, by=director, approve=True)
    plan.refresh_from_db()
    assert plan.published_at is None and plan.get_approval_status_display() == "待审批"

    approval_decide(request=request, by=org.president, approve=True)
    plan.refresh_from_db()
    assert plan.approval_status == PlanApproval.APPROVED
    assert plan.published_at is not None and plan.published_by == org.admin
    assert plan.effective_from == timezone.localdate() + dt.timedelta(days=40)
    # asking again does not open a second request
    plan_save(definition=plan.definition, effective_from=plan.effective_from, publish=True, by=org.admin)
    assert plan.__class__.objects.get(pk=plan.pk).published_at == plan.published_at


def test_a_rejection_leaves_it_unpublished_with_the_reason_on_the_editor(client, org, director):
    plan = submit(org)
    request = latest_request_for(plan)
    approval_decide(request=request, by=org.finance, approve=True)
    approval_decide(request=request, by=director, approve=False, reason="第二档比例过高，请与财务重新测算")
    plan.refresh_from_db()
    assert plan.published_at is None
    assert plan.approval_status == PlanApproval.REJECTED
    assert plan.approval_reason == "第二档比例过高，请与财务重新测算"
    client.force_login(org.finance)
    html = client.get(reverse("commissions:plan_edit", args=[plan.pk])).content.decode()
    assert "发布审批：已驳回" in html and "驳回原因：第二档比例过高，请与财务重新测算" in html
    listing = client.get(reverse("commissions:plan_list"), {"state": "rejected"}).content.decode()
    assert plan.name in listing and "已驳回" in listing


def test_a_non_approver_cannot_approve_and_the_order_is_kept(org, director):
    plan = submit(org)
    request = latest_request_for(plan)
    with pytest.raises(DomainError, match="超出您的审批权限：此步骤应由 财务中心 审批"):
        approval_decide(request=request, by=org.rep_a1, approve=True)
    with pytest.raises(DomainError, match="尚未轮到您审批"):
        approval_decide(request=request, by=org.president, approve=True)
    with pytest.raises(DomainError, match="不能审批自己提交的申请"):
        approval_decide(request=request, by=org.admin, approve=True)
    request.refresh_from_db()
    plan.refresh_from_db()
    assert request.status == ApprovalStatus.PENDING and request.current_order == 1
    assert plan.published_at is None


def test_a_version_waiting_for_approval_cannot_be_edited(org, director):
    plan = submit(org)
    changed = plan_definition("sales_bracket")
    changed["components"][0]["bands"][0]["rate"] = "0.04"
    with pytest.raises(DomainError, match="正在审批中"):
        plan_save(definition=changed, effective_from=plan.effective_from, by=org.admin)


def test_the_editor_says_it_was_submitted_not_published(client, org, director):
    plan = CommissionPlan.objects.create(
        code="sales_bracket",
        name="销售提成",
        effective_from=timezone.localdate() + dt.timedelta(days=40),
        definition=plan_definition("sales_bracket"),
    )
    client.force_login(org.admin)
    html = client.get(reverse("commissions:plan_edit", args=[plan.pk])).content.decode()
    assert "发布审批" not in html
    plan_save(definition=plan.definition, effective_from=plan.effective_from, publish=True, by=org.admin)
    html = client.get(reverse("commissions:plan_edit", args=[plan.pk])).content.decode()
    assert "发布审批：待审批" in html and "财务中心审核 → 销售总监审核 → 总裁审批" in html


def test_api_publish_submits_then_shows_the_state_and_the_reason(client, org, director):
    plan = CommissionPlan.objects.create(
        code="sales_bracket",
        name="销售提成",
        effective_from=timezone.localdate() + dt.timedelta(days=40),
        definition=plan_definition("sales_bracket"),
    )
    client.force_login(org.rep_a1)
    assert client.post(reverse("commissions_api:plan_publish", args=[plan.pk])).status_code in (403, 404)
    client.force_login(org.admin)
    resp = client.post(reverse("commissions_api:plan_publish", args=[plan.pk]))
    assert resp.status_code == 202
    assert resp.json()["approval_status"] == "pending" and resp.json()["state"] == "待审批"
    assert resp.json()["published_at"] is None
    request = latest_request_for(plan)
    approval_decide(request=request, by=org.finance, approve=False, reason="未会同人力资源部审核")
    row = client.get(reverse("commissions_api:plans")).json()["results"][0]
    assert (row["id"], row["state"], row["approval_reason"], row["published_at"]) == (
        plan.pk,
        "已驳回",
        "未会同人力资源部审核",
        None,
    )


def test_api_early_date_is_a_clear_error_not_a_500(client, org, director):
    plan = CommissionPlan.objects.create(
        code="sales_bracket",
        name="销售提成",
        effective_from=timezone.localdate() + dt.timedelta(days=5),
        definition=plan_definition("sales_bracket"),
    )
    client.force_login(org.finance)
    resp = client.post(reverse("commissions_api:plan_publish", args=[plan.pk]))
    assert resp.status_code == 400 and "方案须提前 30 天公布" in resp.content.decode()
    plan.refresh_from_db()
    assert plan.approval_status == "" and latest_request_for(plan) is None


def test_api_plan_list_costs_the_same_queries_for_one_or_many_plans(client, org, director):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def make(n: int) -> None:
        for i in range(n):
            CommissionPlan.objects.create(
                code=f"p{CommissionPlan.objects.count()}",
                name="方案",
                effective_from=timezone.localdate() + dt.timedelta(days=40 + i),
                definition=plan_definition("sales_bracket"),
            )

    client.force_login(org.finance)
    make(1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(reverse("commissions_api:plans")).json()["results"]) == 1
    make(5)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("commissions_api:plans")).json()["results"]) == 6
    assert len(many) == len(one) <= 4
