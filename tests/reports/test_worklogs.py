"""A4 work reports (001 第五章; 002 第七条): periods and due times, the prefill from the period's records,
submitting (on time / late, final), the manager's comment, who has not submitted, the reminders, and
scope (a rep never reads another rep's report; a manager reads their own team's only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.errors import Conflict, DomainError
from common.models import Notification
from common.timeutil import start_of_local_day
from crm.models import Customer, FollowUpChannel, Opportunity, OpportunityStageChange
from crm.services.opportunities import stages_seed_defaults
from reports.models import WorkReport
from reports.worklog_periods import worklog_due_at, worklog_period
from reports.worklog_selectors import period_activity, prefill_summary, team_status
from reports.worklogs import worklog_comment, worklog_remind, worklog_save
from tests.factories import NAV_QUERIES, CustomerFactory, FollowUpFactory

MON, TUE, WED, FRI = (
    dt.date(2026, 11, 16),
    dt.date(2026, 11, 17),
    dt.date(2026, 11, 18),
    dt.date(2026, 11, 20),
)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return start_of_local_day(day) + dt.timedelta(hours=hour, minutes=minute)


def test_periods_and_due_times_follow_the_settings() -> None:
    assert worklog_period("daily", WED) == (WED, WED)
    assert worklog_period("weekly", WED) == (MON, dt.date(2026, 11, 22))
    assert worklog_period("monthly", WED) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert worklog_due_at("daily", WED) == at(WED, 18)
    assert worklog_due_at("weekly", MON) == at(FRI, 18)  # 每周五下班前
    assert worklog_due_at("monthly", dt.date(2026, 11, 1)) == at(dt.date(2026, 11, 30), 18)


@pytest.mark.django_db
def test_due_times_are_settings(settings) -> None:  # type: ignore[no-untyped-def]
    settings.REPORTS_WORKLOG_DAILY_DUE = "17:30"
    settings.REPORTS_WORKLOG_WEEKLY_DUE_WEEKDAY = 5
    assert worklog_due_at("daily", WED) == at(WED, 17, 30)
    assert worklog_due_at("weekly", MON) == at(dt.date(2026, 11, 21), 18)


def _records(org):  # type: ignore[no-untyped-def]
    """rep_a1 on Wednesday: 3 follow-ups (2 on-site) with 2 customers, 2 customers entered, one
    opportunity moved twice (立项 → 方案/报价 → 签约); on Tuesday one more phone call. rep_b1's own
    follow-up on Wednesday counts only for rep_b1."""
    stages_seed_defaults()
    rep = org.rep_a1
    hospital = CustomerFactory(owner=rep, name="仁和医院")
    school = CustomerFactory(owner=rep, name="实验学校")
    FollowUpFactory(
        customer=hospital,
        author=rep,
        occurred_at=at(WED, 9),
        channel=FollowUpChannel.VISIT_CORE,
        topic="演示",
    )
    FollowUpFactory(
        customer=hospital, author=rep, occurred_at=at(WED, 14), topic="报价确认", outcome="同意下周签约"
    )
    FollowUpFactory(customer=school, author=rep, occurred_at=at(WED, 16), channel=FollowUpChannel.VISIT_NEW)
    FollowUpFactory(customer=school, author=rep, occurred_at=at(TUE, 10))
    FollowUpFactory(customer=CustomerFactory(owner=org.rep_b1), author=org.rep_b1, occurred_at=at(WED, 10))
    for name in ("新客户甲", "新客户乙"):
        c = CustomerFactory(owner=rep, created_by=rep, name=name)
        Customer.objects.filter(pk=c.pk).update(created_at=at(WED, 11))
    deal = Opportunity.objects.create(
        customer=hospital,
        owner=rep,
        name="仁和项目",
        stage="won",
        amount=Decimal("8000.00"),
        registered_at=at(MON, 9),
    )
    Opportunity.objects.create(
        customer=school,
        owner=rep,
        name="学校项目",
        stage="proposal",
        amount=Decimal("1200.50"),
        registered_at=at(WED, 9),
    )
    for frm, to, hour in (("qualified", "proposal", 10), ("proposal", "won", 15)):
        OpportunityStageChange.objects.create(
            opportunity=deal, from_stage=frm, to_stage=to, changed_by=rep, changed_at=at(WED, hour)
        )
    return rep


@pytest.mark.django_db
def test_the_prefill_counts_the_periods_own_records(org) -> None:  # type: ignore[no-untyped-def]
    rep = _records(org)
    daily = period_activity(user=rep, start=WED, last=WED)
    figures = daily.figures()
    assert {k: v for k, v in figures.items() if k != "funnel"} == {
        "followups": 3,
        "visits": 2,
        "customers_followed": 2,
        "new_customers": 2,
        "new_opportunities": 1,
        "stage_moves": 2,
        "won": 1,
    }
    assert [(r["name"], r["count"], r["amount"]) for r in figures["funnel"]] == [
        ("信息开发", 0, "0.00"),
        ("立项", 0, "0.00"),
        ("方案/报价", 1, "1200.50"),
        ("商务谈判", 0, "0.00"),
    ]
    weekly = period_activity(user=rep, start=MON, last=dt.date(2026, 11, 22)).figures()
    assert (weekly["followups"], weekly["new_opportunities"]) == (4, 2)
    text = prefill_summary(daily)
    assert "客户沟通 3 次（现场拜访 2 次，涉及客户 2 个）：" in text
    assert "仁和医院 · 电话·常规 · 报价确认：同意下周签约" in text
    assert "新增客户 2 个：新客户甲、新客户乙" in text
    assert "- 仁和项目：立项 → 方案/报价" in text and "- 仁和项目：方案/报价 → 签约" in text
    assert period_activity(user=org.rep_b1, start=WED, last=WED).followup_count == 1


@pytest.mark.django_db
def test_the_prefill_costs_the_same_queries_for_a_busy_month(org) -> None:  # type: ignore[no-untyped-def]
    rep = _records(org)
    with CaptureQueriesContext(connection) as small:
        period_activity(user=rep, start=WED, last=WED)
    for _ in range(20):
        FollowUpFactory(customer=CustomerFactory(owner=rep), author=rep, occurred_at=at(WED, 12))
    with CaptureQueriesContext(connection) as big:
        assert period_activity(user=rep, start=WED, last=WED).followup_count == 23
    assert len(big.captured_queries) == len(small.captured_queries) == 7


@pytest.mark.django_db
def test_submitting_on_time_late_and_only_once(org) -> None:  # type: ignore[no-untyped-def]
    rep = _records(org)
    report = worklog_save(author=rep, kind="daily", day=WED, summary="拜访两家", submit=True, now=at(WED, 17))
    assert (report.status, report.late, report.figures["followups"]) == ("submitted", False, 3)
    late = worklog_save(author=rep, kind="daily", day=TUE, summary="补交", submit=True, now=at(WED, 9))
    assert late.late is True
    with pytest.raises(Conflict):
        worklog_save(author=rep, kind="daily", day=WED, summary="再改", now=at(WED, 19))
    assert WorkReport.objects.get(pk=report.pk).summary == "拜访两家"
    with pytest.raises(DomainError, match="提交前请填写工作内容与成果"):
        worklog_save(author=rep, kind="weekly", day=WED, summary="  ", submit=True, now=at(WED, 17))
    with pytest.raises(DomainError, match="未来期间"):
        worklog_save(author=rep, kind="daily", day=FRI, summary="x", now=at(WED, 17))
    with pytest.raises(DomainError):  # a manager does not write one (001: 销售人员)
        worklog_save(author=org.manager_a, kind="daily", day=WED, summary="x", now=at(WED, 17))
    told = Notification.objects.filter(user=org.manager_a).values_list("text", flat=True)
    assert sorted(told) == ["销售甲一 提交了日报（2026-11-17）。", "销售甲一 提交了日报（2026-11-18）。"]


@pytest.mark.django_db
def test_a_draft_keeps_the_text_and_can_be_submitted_later(org) -> None:  # type: ignore[no-untyped-def]
    rep = org.rep_a1
    worklog_save(author=rep, kind="weekly", day=MON, summary="草稿", plan="下周拜访", now=at(WED, 9))
    report = worklog_save(author=rep, kind="weekly", day=FRI, summary="完成", submit=True, now=at(FRI, 19))
    assert WorkReport.objects.filter(author=rep).count() == 1
    assert (report.summary, report.plan, report.late) == ("完成", "", True)  # Friday 18:00 has passed


@pytest.mark.django_db
def test_who_has_not_submitted_is_the_managers_own_team(org) -> None:  # type: ignore[no-untyped-def]
    worklog_save(author=org.rep_a1, kind="daily", day=WED, summary="a", submit=True, now=at(WED, 17))
    worklog_save(author=org.rep_a2, kind="daily", day=WED, summary="draft", now=at(WED, 17))
    worklog_save(author=org.rep_b1, kind="daily", day=WED, summary="b", submit=True, now=at(WED, 20))
    mine = team_status(viewer=org.manager_a, kind="daily", day=WED, now=at(WED, 19))
    assert {str(r.person): r.state for r in mine["rows"]} == {
        "销售甲一": "submitted",
        "销售甲二": "draft",
        "客户执行": "missing",
    }
    assert sorted(str(r.person) for r in mine["missing"]) == ["客户执行", "销售甲二"]
    assert (mine["submitted_count"], mine["overdue"]) == (1, True)
    region = team_status(viewer=org.regional_manager, kind="daily", day=WED, now=at(WED, 19))
    assert {str(r.person): r.state for r in region["rows"]}["销售乙一"] == "late"
    assert len(region["rows"]) == 4
    everyone = team_status(viewer=org.president, kind="weekly", day=WED, now=at(WED, 19))
    assert (len(everyone["missing"]), everyone["overdue"]) == (4, False)  # due Friday 18:00


@pytest.mark.django_db
def test_reminders_go_once_to_those_who_have_not_submitted(org) -> None:  # type: ignore[no-untyped-def]
    worklog_save(author=org.rep_a1, kind="daily", day=WED, summary="a", submit=True, now=at(WED, 16))
    assert worklog_remind(now=at(WED, 16, 59)) == {}  # the reminder time (due − 60 min) has not come
    assert worklog_remind(now=at(WED, 17)) == {"daily": 3}
    assert worklog_remind(now=at(WED, 17, 30)) == {"daily": 0}  # a re-run tells no one twice
    told = Notification.objects.filter(batch="worklog:daily:2026-11-18")
    assert sorted(n.user.username for n in told) == ["exec", "rep_a2", "rep_b1"]
    assert {n.text for n in told} == {"请在 11-18 18:00 前提交日报。"}
    assert told[0].link == "/reports/worklogs/write/?kind=daily&date=2026-11-18"
    assert worklog_remind(now=at(FRI, 17)) == {"daily": 4, "weekly": 4}  # Friday: the weekly one too


@pytest.mark.django_db
def test_the_reminder_task_runs_the_service_and_is_scheduled(org) -> None:  # type: ignore[no-untyped-def]
    from django_celery_beat.models import PeriodicTask

    from reports.tasks import WORKLOG_REMIND_TASK
    from reports.tasks import worklog_remind as task

    assert task(now=at(WED, 17).isoformat()) == {"daily": 4}
    assert PeriodicTask.objects.filter(task=WORKLOG_REMIND_TASK, crontab__hour="17").exists()


@pytest.mark.django_db
def test_the_managers_comment_reaches_the_author(org) -> None:  # type: ignore[no-untyped-def]
    report = worklog_save(author=org.rep_a1, kind="daily", day=WED, summary="a", submit=True, now=at(WED, 17))
    with pytest.raises(DomainError):
        worklog_comment(report=report, by=org.manager_b, text="不是我的团队")
    with pytest.raises(DomainError):
        worklog_comment(report=report, by=org.manager_a, text="   ")
    worklog_comment(report=report, by=org.manager_a, text="明天带上方案")
    report.refresh_from_db()
    assert (report.manager_comment, report.commented_by) == ("明天带上方案", org.manager_a)
    assert (
        Notification.objects.filter(user=org.rep_a1, text="经理甲 批注了你的日报（2026-11-18）。").count()
        == 1
    )
    draft = worklog_save(author=org.rep_a2, kind="daily", day=WED, summary="x", now=at(WED, 17))
    with pytest.raises(DomainError):
        worklog_comment(report=draft, by=org.manager_a, text="还没提交")


# --- pages and API ---------------------------------------------------------------------------------


@pytest.fixture
def reports(org):  # type: ignore[no-untyped-def]
    a = worklog_save(
        author=org.rep_a1, kind="daily", day=WED, summary="甲的日报", submit=True, now=at(WED, 17)
    )
    b = worklog_save(
        author=org.rep_b1, kind="daily", day=WED, summary="乙的日报", submit=True, now=at(WED, 17)
    )
    return a, b


@pytest.mark.django_db
def test_a_rep_never_reads_another_reps_report(client, org, reports) -> None:  # type: ignore[no-untyped-def]
    a, _b = reports
    client.force_login(org.rep_a2)
    assert client.get(reverse("reports:worklog_detail", args=[a.pk])).status_code == 404
    assert client.get(reverse("reports_api:worklog_detail", args=[a.pk])).status_code == 404
    assert client.get(reverse("reports_api:worklogs")).json()["count"] == 0
    assert client.get(reverse("reports:worklog_team")).status_code == 404
    client.force_login(org.rep_a1)
    assert "甲的日报" in client.get(reverse("reports:worklog_detail", args=[a.pk])).content.decode()
    assert [r["id"] for r in client.get(reverse("reports_api:worklogs")).json()["results"]] == [a.pk]


@pytest.mark.django_db
def test_a_manager_reads_and_comments_on_their_team_only(client, org, reports) -> None:  # type: ignore[no-untyped-def]
    a, b = reports
    client.force_login(org.manager_a)
    assert client.get(reverse("reports:worklog_detail", args=[b.pk])).status_code == 404
    assert client.post(reverse("reports:worklog_comment", args=[b.pk]), {"comment": "x"}).status_code == 404
    page = client.get(reverse("reports:worklog_detail", args=[a.pk])).content.decode()
    assert "甲的日报" in page and 'name="comment"' in page
    empty = client.post(reverse("reports:worklog_comment", args=[a.pk]), {"comment": ""})
    assert empty.status_code == 200 and "请填写批注。" in empty.content.decode()
    done = client.post(reverse("reports:worklog_comment", args=[a.pk]), {"comment": "好"})
    assert done.status_code == 302
    api = client.post(
        reverse("reports_api:worklog_comment", args=[a.pk]),
        {"comment": "再补充客户名单"},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["manager_comment"] == "再补充客户名单"
    team = client.get(reverse("reports_api:worklog_team"), {"kind": "daily", "date": "2026-11-18"}).json()
    assert sorted(p["name"] for p in team["missing"]) == ["客户执行", "销售甲二"]
    assert team["submitted_count"] == 1
    html = client.get(
        reverse("reports:worklog_team"), {"kind": "daily", "date": "2026-11-18"}
    ).content.decode()
    assert "销售甲二" in html and "销售乙一" not in html


@pytest.mark.django_db
def test_the_write_page_is_prefilled_and_keeps_input_on_error(client, org) -> None:  # type: ignore[no-untyped-def]
    rep = _records(org)
    client.force_login(rep)
    url = reverse("reports:worklog_write") + "?kind=daily&date=2026-11-18"
    page = client.get(url).content.decode()
    assert "客户沟通 3 次（现场拜访 2 次，涉及客户 2 个）" in page
    assert "¥1,200.50" in page  # the 漏斗 part
    bad = client.post(url, {"summary": "", "problems": "缺少样品", "submit": "1"})
    assert bad.status_code == 200
    assert "提交前请填写工作内容与成果" in bad.content.decode() and "缺少样品" in bad.content.decode()
    assert not WorkReport.objects.exists()
    ok = client.post(url, {"summary": "拜访仁和医院", "plan": "签约", "submit": "1"})
    report = WorkReport.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("reports:worklog_detail", args=[report.pk])
    assert (report.kind, report.period_start, report.status) == ("daily", WED, "submitted")
    assert client.get(url).status_code == 302  # a submitted report is read, not edited


@pytest.mark.django_db
def test_bad_input_gets_a_message_never_a_500(client, org) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.rep_a1)
    page = client.get(reverse("reports:worklog_write") + "?kind=yearly&date=9999-99-99")
    assert page.status_code == 200 and "没有这种报告类型" in page.content.decode()
    api = client.post(
        reverse("reports_api:worklogs"), {"kind": "daily", "date": "2099-01-01", "summary": "x"}
    )
    assert api.status_code == 400 and "未来期间" in api.json()["detail"]
    assert client.get(reverse("reports_api:worklog_prefill"), {"kind": "nope"}).status_code == 400


@pytest.mark.django_db
def test_the_api_saves_submits_and_prefills(client, org) -> None:  # type: ignore[no-untyped-def]
    rep = _records(org)
    client.force_login(rep)
    pre = client.get(reverse("reports_api:worklog_prefill"), {"kind": "daily", "date": "2026-11-18"}).json()
    assert (pre["figures"]["followups"], pre["figures"]["won"]) == (3, 1)
    assert pre["due_at"] == "2026-11-18T18:00:00+08:00"
    body = {"kind": "weekly", "date": "2026-11-18", "summary": "本周拜访", "submit": True}
    made = client.post(reverse("reports_api:worklogs"), body, content_type="application/json")
    assert made.status_code == 200
    assert (made.json()["period_start"], made.json()["status"]) == ("2026-11-16", "submitted")
    again = client.post(reverse("reports_api:worklogs"), body, content_type="application/json")
    assert again.status_code == 409


@pytest.mark.django_db
def test_list_and_team_pages_cost_the_same_queries_at_any_size(client, org) -> None:  # type: ignore[no-untyped-def]
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(org.regional_manager)
    list_url, team_url = reverse("reports:worklogs"), reverse("reports:worklog_team") + "?date=2026-11-18"
    worklog_save(author=org.rep_a1, kind="daily", day=WED, summary="a", submit=True, now=at(WED, 17))
    client.get(list_url)  # warm-up: the user's menu is worked out once, then kept (common.menu)
    small = (queries(list_url), queries(team_url))
    for day in (dt.date(2026, 11, d) for d in range(2, 14)):
        for rep in (org.rep_a1, org.rep_a2, org.rep_b1):
            worklog_save(author=rep, kind="daily", day=day, summary="x", submit=True, now=at(WED, 17))
    worklog_save(author=org.rep_b1, kind="daily", day=WED, summary="b", submit=True, now=at(WED, 17))
    assert (queries(list_url), queries(team_url)) == small
    assert small[0] <= NAV_QUERIES + 8 and small[1] <= NAV_QUERIES + 8


@pytest.mark.django_db
def test_list_and_team_apis_cost_the_same_queries_at_any_size(client, org) -> None:  # type: ignore[no-untyped-def]
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    client.force_login(org.regional_manager)
    urls = (reverse("reports_api:worklogs"), reverse("reports_api:worklog_team") + "?date=2026-11-18")
    worklog_save(author=org.rep_a1, kind="daily", day=WED, summary="a", submit=True, now=at(WED, 17))
    small = [queries(u) for u in urls]
    for day in (dt.date(2026, 11, d) for d in range(2, 14)):
        for rep in (org.rep_a1, org.rep_a2, org.rep_b1):
            worklog_save(author=rep, kind="daily", day=day, summary="x", submit=True, now=at(WED, 17))
    worklog_save(author=org.rep_b1, kind="daily", day=WED, summary="b", submit=True, now=at(WED, 17))
    assert [queries(u) for u in urls] == small
    assert client.get(urls[0]).json()["count"] == 38
