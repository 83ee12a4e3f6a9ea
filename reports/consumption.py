"""A3 partner consumption tracking (000 form 客户及其市场消费追踪) and the 25th-of-month analysis (000
§4.2.2): the figures read from the data (target, actual, attainment, best items, sales and service log),
the partner's analysis prefilled from them, submitted to the regional manager who comments, and the
reminder job. Writes here are the services; the pages and the API call them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.models import SalesTarget
from commissions.services.reward_sales import add_months
from commissions.services.rewards import pool_sales
from common.deferred_text import words
from common.errors import Conflict, DomainError
from common.fen import ZERO, format_cny
from common.models import Notification
from common.notifications import notify
from common.templatetags.money import pct
from common.timeutil import local_date, month_start, next_month, start_of_local_day
from crm.models import FollowUp, OrderLine, OrderStatus, User
from partners.models import Partner
from partners.selectors import partner_orders
from reports.models import AnalysisStatus, PartnerMonthlyAnalysis


@dataclass
class Figures:
    partner: Partner
    month: dt.date
    target: Decimal | None
    actual: Decimal
    attainment: Decimal | None  # percent, one decimal
    next_target: Decimal | None
    best_items: list[tuple[str, Decimal]] = field(default_factory=list)
    sales_log: list[dict[str, Any]] = field(default_factory=list)
    service_log: list[dict[str, Any]] = field(default_factory=list)


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return start_of_local_day(month), start_of_local_day(next_month(month))


def _monthly_targets(partner_ids: list[int], months: list[dt.date]) -> dict[tuple[int, dt.date], Decimal]:
    rows = SalesTarget.objects.filter(partner_id__in=partner_ids, period__in=months, annual=False)
    return {(r.partner_id, r.period): r.amount for r in rows}  # type: ignore[misc]


def _pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    return (part * 100 / whole).quantize(Decimal("0.1")) if whole else None


def consumption_figures(*, partner: Partner, month: dt.date) -> Figures:
    """One partner's month: a fixed number of queries."""
    month = month_start(month)
    start, end = _bounds(month)
    targets = _monthly_targets([partner.pk], [month, next_month(month)])
    actual = pool_sales(pool="partner", start=month, end=month).get(partner.pk, ZERO)
    target = targets.get((partner.pk, month))
    orders = partner_orders(partner).filter(
        status=OrderStatus.BOOKED, booked_at__gte=start, booked_at__lt=end
    )
    best = (
        OrderLine.objects.filter(order__in=orders.values("id"))
        .values("product")
        .annotate(total=Sum("amount"))
        .order_by("-total", "product")[: settings.REPORTS_A3_BEST_ITEMS]
    )
    figures = Figures(
        partner=partner,
        month=month,
        target=target,
        actual=actual,
        attainment=_pct(actual, target),
        next_target=targets.get((partner.pk, next_month(month))),
        best_items=[(b["product"], b["total"]) for b in best],
    )
    for o in orders.order_by("booked_at", "id")[:200]:
        figures.sales_log.append(
            {
                "date": local_date(o.booked_at),
                "customer": o.customer.name,
                "number": o.number,
                "amount": o.total,
            }
        )
    if partner.user_id:
        for f in (
            FollowUp.objects.filter(author_id=partner.user_id, occurred_at__gte=start, occurred_at__lt=end)
            .select_related("customer")
            .order_by("occurred_at", "id")[:200]
        ):
            figures.service_log.append(
                {
                    "date": local_date(f.occurred_at),
                    "customer": f.customer.name,
                    "topic": f.topic,
                    "outcome": f.outcome,
                }
            )
    return figures


def _prefill(a: PartnerMonthlyAnalysis, f: Figures) -> None:
    """The analysis text read from the data; the partner edits it before submitting."""
    a.best_items = "\n".join(
        f"{i}. {name} {format_cny(amount)}" for i, (name, amount) in enumerate(f.best_items, 1)
    )
    a.sales_log = "\n".join(
        f"{x['date']:%m-%d} {x['customer']} {x['number']} {format_cny(x['amount'])}" for x in f.sales_log
    )
    a.service_log = "\n".join(
        f"{x['date']:%m-%d} {x['customer']} {x['topic']} {x['outcome']}".strip() for x in f.service_log
    )
    if f.target:
        a.analysis = _("本月目标 %(target)s，实际 %(actual)s，完成率 %(rate)s。") % {
            "target": format_cny(f.target),
            "actual": format_cny(f.actual),
            "rate": pct(f.attainment / 100) if f.attainment is not None else "—",
        }
    else:
        a.analysis = _("本月实际 %(actual)s（未设定月度目标）。") % {"actual": format_cny(f.actual)}
    a.next_month_target = f.next_target


def analysis_for(*, partner: Partner, month: dt.date) -> tuple[PartnerMonthlyAnalysis, Figures]:
    """The saved analysis of the month, or a new one prefilled from the data (not saved)."""
    month = month_start(month)
    figures = consumption_figures(partner=partner, month=month)
    a = PartnerMonthlyAnalysis.objects.filter(partner=partner, month=month).first()
    if a is None:
        a = PartnerMonthlyAnalysis(partner=partner, month=month)
        _prefill(a, figures)
    return a, figures


EDITABLE = ("best_items", "analysis", "next_month_target", "next_month_plan", "service_log", "sales_log")


@transaction.atomic
def analysis_save(
    *, partner: Partner, month: dt.date, by: User, data: dict[str, Any], submit: bool
) -> PartnerMonthlyAnalysis:
    """Save the partner's analysis (a draft), or submit it to the regional manager (000 §4.2.2)."""
    month = month_start(month)
    a, figures = analysis_for(partner=partner, month=month)
    if a.pk:
        a = PartnerMonthlyAnalysis.objects.select_for_update().get(pk=a.pk)
    if a.status != AnalysisStatus.DRAFT:
        raise Conflict(_("本月分析已提交，不能再修改。"))
    for name in EDITABLE:
        if name in data:
            setattr(a, name, data[name] if data[name] is not None or name == "next_month_target" else "")
    if submit:
        if not (a.next_month_plan or "").strip():
            raise DomainError(_("提交前请填写下月业绩计划。"), field="next_month_plan")
        a.status = AnalysisStatus.SUBMITTED
        a.submitted_at, a.submitted_by = timezone.now(), by
        a.target, a.actual = figures.target, figures.actual
    try:
        with transaction.atomic():  # a second tab creating the same month at once: a clear refusal
            a.save()
    except IntegrityError:
        raise Conflict(_("本月分析刚被另一处保存，请刷新后再试。")) from None
    if submit and partner.region_id and partner.region and partner.region.manager_id:
        notify(
            users=[partner.region.manager],
            text=words(
                gettext_noop("%(partner)s 提交了 %(month)s 消费追踪分析，请批示下月业绩计划。"),
                partner=partner.name,
                month=f"{month:%Y-%m}",
            ),
            link=reverse("reports:a3_detail", args=[a.pk]),
        )
    return a


@transaction.atomic
def analysis_comment(
    *, analysis: PartnerMonthlyAnalysis | int, by: User, comment: str
) -> PartnerMonthlyAnalysis:
    """The regional manager's comment on a submitted analysis (批示); the partner is told."""
    pk = analysis.pk if isinstance(analysis, PartnerMonthlyAnalysis) else analysis
    a = (
        PartnerMonthlyAnalysis.objects.select_for_update(of=("self",))
        .select_related("partner__user")
        .get(pk=pk)
    )
    if a.status == AnalysisStatus.DRAFT:
        raise Conflict(_("合伙人尚未提交本月分析。"))
    if not comment.strip():
        raise DomainError(_("请填写批示。"), field="comment")
    a.manager_comment, a.commented_by, a.commented_at = comment.strip(), by, timezone.now()
    a.status = AnalysisStatus.COMMENTED
    a.save()
    if a.partner.user is not None:
        notify(
            users=[a.partner.user],
            text=words(gettext_noop("大区经理已批示您 %(month)s 的消费追踪分析。"), month=f"{a.month:%Y-%m}"),
            link=reverse("reports:a3_detail", args=[a.pk]),
        )
    return a


@dataclass
class TeamRow:
    partner: Partner
    target: Decimal | None
    actual: Decimal
    attainment: Decimal | None
    analysis: PartnerMonthlyAnalysis | None


def team_overview(*, partners: QuerySet[Partner], month: dt.date) -> list[TeamRow]:
    """Every partner in scope for a month: target, actual, attainment and where its analysis stands
    (including who has not submitted). Four queries whatever the number of partners."""
    month = month_start(month)
    plist = list(
        partners.filter(is_active=True).select_related("region").order_by("region__name", "name", "id")
    )
    ids = [p.pk for p in plist]
    sales = pool_sales(pool="partner", start=month, end=month)
    targets = _monthly_targets(ids, [month])
    analyses = {
        a.partner_id: a for a in PartnerMonthlyAnalysis.objects.filter(partner_id__in=ids, month=month)
    }
    rows = []
    for p in plist:
        actual, target = sales.get(p.pk, ZERO), targets.get((p.pk, month))
        rows.append(TeamRow(p, target, actual, _pct(actual, target), analyses.get(p.pk)))
    return rows


def a3_reminders(*, today: dt.date) -> int:
    """Daily: on the reminder days, partners who have not submitted this month's analysis are told (once
    per day: the batch key); the day after the due day, each regional manager gets the list of those
    missing in their region. Returns the number of notifications."""
    month = month_start(today)
    sent = 0
    submitted = PartnerMonthlyAnalysis.objects.filter(month=month).exclude(status=AnalysisStatus.DRAFT)
    missing = Partner.objects.filter(is_active=True).exclude(pk__in=submitted.values("partner_id"))
    due = dt.date(today.year, today.month, settings.REPORTS_A3_DUE_DAY)
    if today.day in settings.REPORTS_A3_REMIND_DAYS:
        batch = f"a3-{today:%Y%m%d}"
        done = set(Notification.objects.filter(batch=batch).values_list("user_id", flat=True))
        users = User.objects.filter(pk__in=missing.filter(user__isnull=False).values("user_id")).exclude(
            pk__in=done
        )
        text = words(
            gettext_noop("请在 %(due)s 前完成并提交 %(month)s 客户及其市场消费追踪分析。"),
            due=words(gettext_noop("%(m)s月%(d)s日"), m=f"{due:%m}", d=f"{due:%d}"),
            month=f"{month:%Y-%m}",
        )
        sent += len(notify(users=list(users), text=text, link=reverse("reports:a3_mine"), batch=batch))
    if today == due + dt.timedelta(days=1):
        batch = f"a3-late-{today:%Y%m%d}"
        done = set(Notification.objects.filter(batch=batch).values_list("user_id", flat=True))
        by_manager: dict[int, list[str]] = {}
        for p in (
            missing.filter(region__manager__isnull=False).select_related("region__manager").order_by("name")
        ):
            by_manager.setdefault(int(p.region.manager_id or 0), []).append(p.name)  # type: ignore[union-attr]
        managers = {u.pk: u for u in User.objects.filter(pk__in=by_manager).exclude(pk__in=done)}
        for uid, names in by_manager.items():
            if uid in managers:
                text = words(
                    gettext_noop("%(month)s 未提交消费追踪分析的合伙人：%(names)s"),
                    month=f"{month:%Y-%m}",
                    names=names,
                )
                sent += len(
                    notify(users=[managers[uid]], text=text, link=reverse("reports:a3_list"), batch=batch)
                )
    return sent


def previous_month(day: dt.date) -> dt.date:
    return add_months(month_start(day), -1)
