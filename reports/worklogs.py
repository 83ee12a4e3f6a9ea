"""A4 work reports — the writes: save or submit one's report, the manager's comment, the reminders.

001 第五章: the daily report before the end of the day, the weekly one (周总结 and 周计划; 002 第七条: the
漏斗 and 工作 parts) by Friday, the monthly one on the month's last day; the manager reads and guides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import Conflict, DomainError
from common.notifications import notify
from common.timeutil import local_today
from common.workdays import is_workday
from crm.models import User
from reports import policy
from reports.models import WorkReport, WorkReportKind, WorkReportStatus
from reports.worklog_periods import KINDS, worklog_due_at, worklog_period
from reports.worklog_selectors import period_activity, report_authors

TEXT_FIELDS = ("summary", "problems", "plan", "support")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise DomainError(_("没有这种报告类型。"), code="bad_kind", field="kind")
    return kind


def worklog_link(kind: str, start: dt.date) -> str:
    return f"{reverse('reports:worklog_write')}?kind={kind}&date={start.isoformat()}"


def worklog_save(
    *,
    author: User,
    kind: str,
    day: dt.date,
    summary: str = "",
    problems: str = "",
    plan: str = "",
    support: str = "",
    submit: bool = False,
    now: dt.datetime | None = None,
) -> WorkReport:
    """Save the author's report of the period containing `day` as a draft, or submit it. A submitted
    report is final (the manager has read it); a future period cannot be reported on yet."""
    if not policy.can_write_work_reports(author):
        raise DomainError(_("只有销售人员填写工作报告。"), code="not_author", status=403)
    kind = _kind(kind)
    now = now or timezone.now()
    start, last = worklog_period(kind, day)
    if start > timezone.localtime(now).date():
        raise DomainError(_("还不能填写未来期间的报告。"), code="future", field="date")
    texts = {"summary": summary, "problems": problems, "plan": plan, "support": support}
    texts = {k: (v or "").strip() for k, v in texts.items()}
    if submit and not texts["summary"]:
        raise DomainError(_("提交前请填写工作内容与成果。"), code="summary_required", field="summary")
    with transaction.atomic():
        report, _created = WorkReport.objects.select_for_update().get_or_create(
            author=author, kind=kind, period_start=start, defaults={"period_end": last}
        )
        if report.is_submitted:
            raise Conflict(_("这份报告已提交，不能再修改。"), code="already_submitted")
        for name, value in texts.items():
            setattr(report, name, value)
        report.figures = period_activity(user=author, start=start, last=last).figures()
        if submit:
            report.status = WorkReportStatus.SUBMITTED
            report.submitted_at = now
            report.late = now > worklog_due_at(kind, start)
        report.save()
    if submit and author.manager_id:
        notify(
            users=[author.manager],
            text=words(
                gettext_noop("%(who)s 提交了%(kind)s（%(period)s）。"),
                who=author,
                kind=WorkReportKind(report.kind).label,
                period=period_label(report),
            ),
            link=reverse("reports:worklog_detail", args=[report.pk]),
        )
    return report


def worklog_comment(*, report: WorkReport, by: User, text: str) -> WorkReport:
    """The manager's comment (批注) on a submitted report of their team; the author is told."""
    if not policy.can_comment_work_report(by, report):
        raise DomainError(_("只有报告人的上级可以批注已提交的报告。"), code="not_reviewer", status=403)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请填写批注。"), code="comment_required", field="comment")
    report.manager_comment = text[:2000]
    report.commented_by = by
    report.commented_at = timezone.now()
    report.save(update_fields=["manager_comment", "commented_by", "commented_at", "updated_at"])
    notify(
        users=[report.author],
        text=words(
            gettext_noop("%(who)s 批注了你的%(kind)s（%(period)s）。"),
            who=by,
            kind=WorkReportKind(report.kind).label,
            period=period_label(report),
        ),
        link=reverse("reports:worklog_detail", args=[report.pk]),
    )
    return report


def period_label(report: Any) -> str:
    if report.kind == WorkReportKind.DAILY:
        return f"{report.period_start:%Y-%m-%d}"
    if report.kind == WorkReportKind.MONTHLY:
        return f"{report.period_start:%Y-%m}"
    return f"{report.period_start:%Y-%m-%d} ~ {report.period_end:%m-%d}"


def worklog_remind(*, now: dt.datetime | None = None) -> dict[str, int]:
    """On each report's due day, once the reminder time has come: tell every author who has not
    submitted. Idempotent: the notifications of one period carry one batch key, and whoever already
    got it is not told again (a re-run, a retried task)."""
    from common.models import Notification

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    lead = dt.timedelta(minutes=int(settings.REPORTS_WORKLOG_REMIND_BEFORE_MINUTES))
    sent: dict[str, int] = {}
    for kind in KINDS:
        start, _last = worklog_period(kind, today)
        due = worklog_due_at(kind, start)
        if timezone.localtime(due).date() != today or now < due - lead:
            continue
        if kind == WorkReportKind.DAILY and not is_workday(today):
            continue
        batch = f"worklog:{kind}:{start.isoformat()}"
        authors = (
            report_authors(None)
            .exclude(
                pk__in=WorkReport.objects.filter(
                    kind=kind, period_start=start, status=WorkReportStatus.SUBMITTED
                ).values("author_id")
            )
            .exclude(pk__in=Notification.objects.filter(batch=batch).values("user_id"))
            .order_by("pk")
        )
        text = words(
            gettext_noop("请在 %(due)s 前提交%(kind)s。"),
            due=f"{timezone.localtime(due):%m-%d %H:%M}",
            kind=WorkReportKind(kind).label,
        )
        sent[kind] = len(notify(users=authors, text=text, link=worklog_link(kind, start), batch=batch))
    return sent


def default_day() -> dt.date:
    return local_today()
