"""A4 work reports: what a period's records say (the prefill), and who in a manager's team has not
submitted. A fixed number of queries whatever the period's size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.money import ZERO
from common.timeutil import start_of_local_day
from crm.models import (
    Customer,
    FollowUp,
    FollowUpChannel,
    Opportunity,
    OpportunityStageChange,
    User,
)
from crm.models.customers import ONSITE_CHANNELS
from reports import policy
from reports.models import WorkReport, WorkReportStatus
from reports.selectors_pipeline import stages
from reports.worklog_periods import worklog_due_at, worklog_period

# The prefill lists at most this many follow-ups (a month can have hundreds; the counts stay exact).
PREFILL_FOLLOWUP_LINES = 60


@dataclass
class PeriodActivity:
    """One person's records in one period: the 工作 part (counts and lines) and the 漏斗 part."""

    followups: list[dict[str, Any]]
    followup_count: int
    visits: int
    customers_followed: int
    new_customers: list[str]
    new_opportunities: list[str]
    moves: list[dict[str, Any]]
    won: int
    funnel: list[dict[str, Any]]

    def figures(self) -> dict[str, Any]:
        """What a report keeps (JSON; money as exact strings)."""
        return {
            "followups": self.followup_count,
            "visits": self.visits,
            "customers_followed": self.customers_followed,
            "new_customers": len(self.new_customers),
            "new_opportunities": len(self.new_opportunities),
            "stage_moves": len(self.moves),
            "won": self.won,
            "funnel": [{**row, "amount": f"{row['amount']:.2f}"} for row in self.funnel],
        }


def period_activity(*, user: User, start: dt.date, last: dt.date) -> PeriodActivity:
    """Follow-ups written, customers entered, opportunities registered and moved in [start, last], and
    the open pipeline (漏斗) by stage now. Seven queries."""
    start_at, end_at = start_of_local_day(start), start_of_local_day(last + dt.timedelta(days=1))
    fu = FollowUp.objects.filter(author=user, occurred_at__gte=start_at, occurred_at__lt=end_at)
    counts = fu.aggregate(
        n=Count("id"),
        v=Count("id", filter=Q(channel__in=list(ONSITE_CHANNELS))),
        c=Count("customer_id", distinct=True),
    )
    channel_names = dict(FollowUpChannel.choices)
    followups = [
        {
            "at": timezone.localtime(r["occurred_at"]),
            "customer": r["customer__name"],
            "channel": str(channel_names.get(r["channel"], r["channel"])),
            "topic": r["topic"],
            "outcome": r["outcome"],
        }
        for r in fu.order_by("occurred_at", "id").values(
            "occurred_at", "customer__name", "channel", "topic", "outcome"
        )[:PREFILL_FOLLOWUP_LINES]
    ]
    new_customers = list(
        Customer.objects.filter(created_by=user, created_at__gte=start_at, created_at__lt=end_at)
        .order_by("created_at", "id")
        .values_list("name", flat=True)
    )
    new_opportunities = list(
        Opportunity.objects.filter(owner=user, registered_at__gte=start_at, registered_at__lt=end_at)
        .order_by("registered_at", "id")
        .values_list("name", flat=True)
    )
    stage_list = stages()
    names = {st.code: st.name for st in stage_list}
    won_codes = {st.code for st in stage_list if st.is_won}
    moves = [
        {
            "opportunity": r["opportunity__name"],
            "from": names.get(r["from_stage"], r["from_stage"]) if r["from_stage"] else "",
            "to": names.get(r["to_stage"], r["to_stage"]),
            "won": r["to_stage"] in won_codes,
        }
        for r in OpportunityStageChange.objects.filter(
            opportunity__owner=user, changed_at__gte=start_at, changed_at__lt=end_at
        )
        .exclude(from_stage="")  # the registration itself is counted as a new opportunity
        .order_by("changed_at", "id")
        .values("opportunity__name", "from_stage", "to_stage")
    ]
    by_stage = {
        r["stage"]: r
        for r in Opportunity.objects.filter(owner=user)
        .order_by()
        .values("stage")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    funnel = [
        {
            "stage": st.code,
            "name": st.name,
            "count": by_stage[st.code]["n"] if st.code in by_stage else 0,
            "amount": (by_stage[st.code]["s"] or ZERO) if st.code in by_stage else ZERO,
        }
        for st in stage_list
        if not (st.is_won or st.is_lost)
    ]
    return PeriodActivity(
        followups=followups,
        followup_count=counts["n"],
        visits=counts["v"],
        customers_followed=counts["c"],
        new_customers=new_customers,
        new_opportunities=new_opportunities,
        moves=moves,
        won=sum(1 for m in moves if m["won"]),
        funnel=funnel,
    )


def prefill_summary(activity: PeriodActivity) -> str:
    """The "work done" text a rep starts from: the period's follow-ups, new customers and opportunity
    moves, one per line, for the rep to edit before submitting."""
    lines: list[str] = []
    if activity.followup_count:
        lines.append(
            _("客户沟通 %(n)d 次（现场拜访 %(v)d 次，涉及客户 %(c)d 个）：")
            % {"n": activity.followup_count, "v": activity.visits, "c": activity.customers_followed}
        )
        for f in activity.followups:
            text = f"- {f['at']:%m-%d %H:%M} {f['customer']} · {f['channel']} · {f['topic']}"
            lines.append(text + (f"：{f['outcome']}" if f["outcome"] else ""))
        hidden = activity.followup_count - len(activity.followups)
        if hidden > 0:
            lines.append(_("- ……另有 %(n)d 次沟通") % {"n": hidden})
    if activity.new_customers:
        lines.append(
            _("新增客户 %(n)d 个：%(names)s")
            % {"n": len(activity.new_customers), "names": "、".join(activity.new_customers)}
        )
    if activity.new_opportunities:
        lines.append(
            _("新增商机 %(n)d 个：%(names)s")
            % {"n": len(activity.new_opportunities), "names": "、".join(activity.new_opportunities)}
        )
    if activity.moves:
        lines.append(_("商机推进 %(n)d 次：") % {"n": len(activity.moves)})
        lines.extend(f"- {m['opportunity']}：{m['from']} → {m['to']}" for m in activity.moves)
    return "\n".join(lines)


# --- lists and the team view ------------------------------------------------------------------------


def work_reports_for(
    *, viewer: User, kind: str = "", author_id: int | None = None, status: str = "", q: str = ""
) -> QuerySet[WorkReport]:
    qs = policy.work_reports_visible_to(viewer).select_related("author", "commented_by")
    if kind:
        qs = qs.filter(kind=kind)
    if author_id:
        qs = qs.filter(author_id=author_id)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(summary__icontains=q)
            | Q(plan__icontains=q)
            | Q(problems__icontains=q)
            | Q(author__display_name__icontains=q)
        )
    return qs.order_by("-period_start", "kind", "-id")


def report_authors(ids: set[int] | None) -> QuerySet[User]:
    """The people who must write reports (active, in an author role), within `ids` (None: all)."""
    qs = User.objects.filter(is_active=True, groups__name__in=settings.REPORTS_WORKLOG_AUTHOR_ROLES)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.distinct()


@dataclass
class TeamRow:
    person: User
    report: WorkReport | None
    state: str  # submitted | late | draft | missing

    @property
    def has_submitted(self) -> bool:
        return self.state in ("submitted", "late")


def team_status(*, viewer: User, kind: str, day: dt.date, now: dt.datetime | None = None) -> dict[str, Any]:
    """Who in the viewer's scope (C11; never the viewer) has submitted the `kind` report of the period
    containing `day`, late or on time, and who has not. Two queries."""
    start, last = worklog_period(kind, day)
    due = worklog_due_at(kind, start)
    people = list(
        report_authors(policy.work_report_author_ids(viewer))
        .exclude(pk=viewer.pk)
        .select_related("department")
        .order_by("department__name", "display_name", "username")
    )
    reports = {
        r.author_id: r
        for r in WorkReport.objects.filter(
            kind=kind, period_start=start, author_id__in=[p.pk for p in people]
        )
    }
    rows = []
    for person in people:
        report = reports.get(person.pk)
        if report is None:
            state = "missing"
        elif report.status != WorkReportStatus.SUBMITTED:
            state = "draft"
        else:
            state = "late" if report.late else "submitted"
        rows.append(TeamRow(person, report, state))
    missing = [r for r in rows if not r.has_submitted]
    return {
        "kind": kind,
        "start": start,
        "last": last,
        "due_at": due,
        "overdue": (now or timezone.now()) > due,
        "rows": rows,
        "missing": missing,
        "submitted_count": len(rows) - len(missing),
    }
