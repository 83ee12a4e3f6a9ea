"""K12 / 001 第4条: a plan sent for approval tells each approver when it is their turn (finance, then the
sales director, then the president), and its author learns the outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.services.plans import plan_save
from common.models import Notification
from crm.models import Role
from crm.services.approvals import approval_decide, authority_rules_seed_defaults, latest_request_for
from tests.commissions.factories import plan_definition
from tests.factories import UserFactory


@pytest.fixture
def director(db):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    return UserFactory(username="director", display_name="销售总监", roles=[Role.DIRECTOR])


def texts(user) -> list[str]:  # type: ignore[no-untyped-def]
    return list(Notification.objects.filter(user=user).order_by("id").values_list("text", flat=True))


def test_each_step_tells_the_next_approver_and_the_author_learns_the_outcome(
    org, director, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    start = timezone.localdate() + dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_save(
            definition=plan_definition("sales_bracket"), effective_from=start, publish=True, by=org.admin
        )
    request = latest_request_for(plan)
    assert request is not None
    title = f"发布提成方案“{plan.name}”（自 {start.isoformat()} 起生效）"
    turn = f"待您审批：{title}（{org.admin} 提交）"
    assert texts(org.finance) == [turn]
    assert texts(director) == [] and texts(org.president) == [] and texts(org.admin) == []
    link = Notification.objects.get(user=org.finance).link
    assert link == reverse("crm:approval_detail", args=[request.pk])

    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request=request, by=org.finance, approve=True)
    assert texts(director) == [turn] and texts(org.president) == []
    assert texts(org.admin) == [f"{org.finance} 已同意：{title}"]

    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request=request, by=director, approve=True)
    assert texts(org.president) == [turn]

    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request=request, by=org.president, approve=True)
    assert texts(org.admin)[-1] == f"审批通过：{title}（{org.president} 最终同意）"
    assert len(texts(org.admin)) == 3
    assert texts(org.finance) == [turn]  # nobody is asked twice


def test_a_rejection_tells_the_author_and_asks_no_one_further(
    org, director, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    start = timezone.localdate() + dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_save(
            definition=plan_definition("sales_bracket"), effective_from=start, publish=True, by=org.admin
        )
    request = latest_request_for(plan)
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(request=request, by=org.finance, approve=False, reason="比例过高")
    title = f"发布提成方案“{plan.name}”（自 {start.isoformat()} 起生效）"
    assert texts(org.admin) == [f"{org.finance} 已驳回：{title}"]
    assert texts(director) == [] and texts(org.president) == []
