"""Tasks (待办, issue 16): made by hand or from a follow-up's next step, on "my day", done and undone,
reminded once at the reminder time, flagged once to the manager when overdue; scoped like the rest
of the CRM (another rep's task is a 404), in the pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from common.models import Notification
from common.timeutil import local_today
from crm.models import Task
from crm.services import tasks as services
from crm.services.customers import followup_create
from crm.tasks import task_reminders
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TODAY = local_today()


def _task(owner, title="回访报价", due=TODAY, **kw):  # type: ignore[no-untyped-def]
    return services.task_create(by=owner, title=title, due_on=due, **kw)


def test_next_step_of_a_followup_becomes_a_task_once(org):  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1, name="宁波海天机械有限公司")
    followup = followup_create(
        customer=customer,
        by=org.rep_a1,
        channel="phone_regular",
        topic="报价跟进",
        next_step="发送修改后的报价",
        next_date=TODAY + dt.timedelta(days=2),
    )
    task = Task.objects.get(followup=followup)
    assert (task.title, task.due_on, task.owner, task.customer) == (
        "发送修改后的报价",
        TODAY + dt.timedelta(days=2),
        org.rep_a1,
        customer,
    )
    assert services.task_from_followup(followup=followup, by=org.rep_a1) == task
    assert Task.objects.count() == 1
    followup_create(customer=customer, by=org.rep_a1, channel="phone_regular", topic="寒暄")  # no next step
    assert Task.objects.count() == 1


def test_create_by_hand_in_the_page_keeps_input_on_error(org, client_for):  # type: ignore[no-untyped-def]
    client = client_for(org.rep_a1)
    customer = CustomerFactory(owner=org.rep_a1, name="宁波海天机械有限公司")
    bad = client.post(
        reverse("crm:task_create"),
        {
            "title": "准备方案",
            "due_on": "2026-12-01",
            "remind_at": "2026-12-03T09:00",
            "customer": customer.pk,
        },
    )
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "提醒时间不能晚于截止日期。" in body and 'value="准备方案"' in body
    ok = client.post(
        reverse("crm:task_create"),
        {
            "title": "准备方案",
            "due_on": "2026-12-01",
            "remind_at": "2026-11-30T09:00",
            "customer": customer.pk,
        },
    )
    assert ok.status_code == 302
    task = Task.objects.get()
    assert (task.title, task.due_on, task.customer) == ("准备方案", dt.date(2026, 12, 1), customer)


def test_a_task_about_another_reps_customer_is_refused(org):  # type: ignore[no-untyped-def]
    theirs = CustomerFactory(owner=org.rep_b1)
    with pytest.raises(Exception, match="客户不在系统中或不是您负责的客户"):
        _task(org.rep_a1, customer=theirs)


def test_my_day_shows_due_and_overdue_tasks_and_done_undo(org, client_for):  # type: ignore[no-untyped-def]
    today = _task(org.rep_a1, "今天打电话")
    late = _task(org.rep_a1, "上周的回访", due=TODAY - dt.timedelta(days=3))
    _task(org.rep_a1, "下周的事", due=TODAY + dt.timedelta(days=7))
    _task(org.rep_b1, "别人的待办")
    client = client_for(org.rep_a1)
    body = client.get(reverse("crm:my_day")).content.decode()
    assert "今天打电话" in body and "上周的回访" in body
    assert "下周的事" not in body and "别人的待办" not in body
    assert body.count("已逾期") == 1
    client.post(reverse("crm:task_done", args=[late.pk]), {"done": "1", "next": "/"})
    assert Task.objects.get(pk=late.pk).done_at is not None
    # htmx: the row comes back, now with "undo".
    row = client.post(reverse("crm:task_done", args=[today.pk]), {"done": "1"}, HTTP_HX_REQUEST="true")
    assert row.status_code == 200 and "撤销完成" in row.content.decode()
    client.post(reverse("crm:task_done", args=[today.pk]), {"done": "0"})
    assert Task.objects.get(pk=today.pk).done_at is None


def test_another_rep_cannot_see_or_complete_a_task(org, client_for, api_for):  # type: ignore[no-untyped-def]
    task = _task(org.rep_a1)
    assert (
        client_for(org.rep_b1).post(reverse("crm:task_done", args=[task.pk]), {"done": "1"}).status_code
        == 404
    )
    assert api_for(org.rep_b1).post(reverse("crm_api:task-done", args=[task.pk])).status_code == 404
    # The manager sees the team's task but does not tick it off for the rep.
    assert api_for(org.manager_a).post(reverse("crm_api:task-done", args=[task.pk])).status_code == 403
    assert Task.objects.get(pk=task.pk).done_at is None


def test_api_create_list_done_undo(org, api_for):  # type: ignore[no-untyped-def]
    api = api_for(org.rep_a1)
    made = api.post(reverse("crm_api:task-list"), {"title": "寄样品", "due_on": "2026-12-01"}, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert [t["title"] for t in api.get(reverse("crm_api:task-list")).json()["results"]] == ["寄样品"]
    assert api.post(reverse("crm_api:task-done", args=[pk])).json()["done_at"] is not None
    assert api.get(reverse("crm_api:task-list")).json()["results"] == []  # open ones by default
    assert api.post(reverse("crm_api:task-undo", args=[pk])).json()["done_at"] is None
    bad = api.post(reverse("crm_api:task-list"), {"title": "", "due_on": "2026-12-01"}, format="json")
    assert bad.status_code == 400


def test_reminder_is_sent_once_at_its_time(org):  # type: ignore[no-untyped-def]
    now = timezone.now()
    _task(org.rep_a1, "准备投标", due=TODAY + dt.timedelta(days=1), remind_at=now - dt.timedelta(minutes=5))
    _task(org.rep_a1, "以后再提醒", due=TODAY + dt.timedelta(days=1), remind_at=now + dt.timedelta(hours=3))
    assert services.tasks_send_reminders(now=now) == 1
    assert services.tasks_send_reminders(now=now) == 0
    texts = list(Notification.objects.filter(user=org.rep_a1).values_list("text", flat=True))
    assert texts == [f"待办提醒：“准备投标”，截止 {TODAY + dt.timedelta(days=1)}。"]


def test_overdue_task_is_flagged_to_the_manager_once(org, client_for, settings):  # type: ignore[no-untyped-def]
    settings.CRM_TASK_OVERDUE_FLAG_AFTER_DAYS = 1
    due = TODAY - dt.timedelta(days=1)
    _task(org.rep_a1, "催款", due=due)
    _task(org.rep_a1, "今天到期", due=TODAY)  # not overdue yet
    done = _task(org.rep_a1, "已做完", due=due)
    services.task_set_done(task=done, by=org.rep_a1)
    assert task_reminders() == {"reminded": 0, "flagged": 1, "payment_plans": {"before": 0, "after": 0}}
    assert task_reminders() == {"reminded": 0, "flagged": 0, "payment_plans": {"before": 0, "after": 0}}
    texts = list(Notification.objects.filter(user=org.manager_a).values_list("text", flat=True))
    assert texts == [f"销售甲一 的待办“催款”已逾期（截止 {due}）。"]
    home = client_for(org.manager_a).get(reverse("crm:my_day")).content.decode()
    assert "团队逾期待办" in home and "催款" in home and "今天到期" not in home


def test_task_list_filters_and_flat_query_count(org, client_for, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    _task(org.rep_a1, "甲", due=TODAY - dt.timedelta(days=2))
    client = client_for(org.rep_a1)
    client.get(reverse("crm:task_list"))
    with django_assert_max_num_queries(25) as first:
        client.get(reverse("crm:task_list"))
    for i in range(8):
        _task(org.rep_a1, f"事项{i}", customer=CustomerFactory(owner=org.rep_a1))
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get(reverse("crm:task_list")).content.decode()
    assert "事项7" in body
    overdue = client.get(reverse("crm:task_list"), {"state": "overdue"}).content.decode()
    assert "甲" in overdue and "事项7" not in overdue
    assert client.get(reverse("crm:task_list"), {"state": "nonsense"}).status_code == 200
