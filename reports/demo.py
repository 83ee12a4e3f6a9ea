"""Demo reports and rewards (runs last, on every other app's demo data): K14 sales champions of the
closed months and partner perks granted / redeemed / expired; A3 partner consumption tracking with the
25th-of-month analysis (last month's commented by the regional manager, this month's submitted); and
销售一部's daily, weekly and monthly work reports, some with the manager's comment, one rep not yet
reporting today (so the team view shows who is missing). Everything goes through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from commissions.models import PartnerPerk, PerkStatus, SalesTarget
from commissions.services.perks import partner_perk_redeem, partner_perks_expire, partner_perks_grant
from commissions.services.reward_sales import add_months
from commissions.services.rewards import champions_book_due
from common.timeutil import local_today, month_start, start_of_local_day
from crm.models import Customer, Order, OrderLine, ProductCategory, User
from partners.models import CreditRole, CreditShare, Partner
from reports.consumption import analysis_comment, analysis_save
from reports.models import PartnerMonthlyAnalysis, WorkReport
from reports.worklog_periods import worklog_period
from reports.worklogs import worklog_comment, worklog_save


def seed(ctx: dict[str, Any]) -> None:
    reps: list[User] = list(ctx.get("reps") or [])
    if not reps or WorkReport.objects.exists():
        return
    today = local_today()
    out = ctx.get("stdout")
    champions = _rewards(ctx, today)
    analyses = _consumption(ctx, today)
    reports = _work_reports(reps[:3], today)
    from reports.rollups import rollup_rebuild

    rolled = rollup_rebuild()  # the dashboards' rollups from everything seeded above (issue 14)
    if out is not None:
        out.write(
            f"报表演示：冠军奖 {champions} 条，合伙人奖励 {PartnerPerk.objects.count()} 项，"
            f"消费追踪分析 {analyses} 份，工作报告 {reports} 份，报表汇总 {rolled['rows']} 行。"
        )


# Partner-referred sales of the last four months (oldest first), enough for the perks and champions.
PARTNER_SALES = {
    "宋合伙": ("12000.00", "9000.00", "22000.00", "15000.00"),
    "韩合伙": ("6000.00", "11000.00", "8000.00", "12500.00"),
    "唐合伙": ("3000.00", "4000.00", "16000.00", "2000.00"),
}


def _partner_sales(today: dt.date) -> None:
    """Orders referred by the partners (100% partner credit) on the 10th of each of the last four months."""
    this = month_start(today)
    partners = {p.name: p for p in Partner.objects.filter(name__in=PARTNER_SALES)}
    customers = list(Customer.objects.filter(owner__isnull=False).order_by("id")[:40])
    n = 0
    for name, amounts in PARTNER_SALES.items():
        partner = partners.get(name)
        if partner is None or not customers:
            continue
        for back, amount in zip((4, 3, 2, 1), amounts, strict=True):
            month = add_months(this, -back)
            customer = customers[n % len(customers)]
            n += 1
            assert customer.owner is not None
            order = Order.objects.create(
                number=f"PR{month:%Y%m}{n:04d}",
                customer=customer,
                owner=customer.owner,
                booked_at=start_of_local_day(month.replace(day=10)) + dt.timedelta(hours=11),
                total=Decimal(amount),
            )
            OrderLine.objects.create(
                order=order,
                product="标准产品",
                category=ProductCategory.REGULAR,
                quantity=Decimal("1"),
                list_price=Decimal(amount),
                unit_price=Decimal(amount),
            )
            CreditShare.objects.create(
                order=order, partner=partner, role=CreditRole.REFERRAL, share=Decimal("1")
            )


def _rewards(ctx: dict[str, Any], today: dt.date) -> int:
    """Champions of the closed periods (the settled months), and the partners' perks of the last four
    months: the oldest expired unused, one of last month's redeemed this month."""
    _partner_sales(today)
    booked = sum(r.created for r in champions_book_due(today=today))
    this = month_start(today)
    for back in range(4, 0, -1):
        partner_perks_grant(month=add_months(this, -back))
    partner_perks_expire(today=today)
    usable = (
        PartnerPerk.objects.filter(status=PerkStatus.GRANTED, valid_from__lte=today, valid_until__gte=today)
        .order_by("partner__name", "id")
        .first()
    )
    by = ctx.get("admin")
    if usable is not None and by is not None:
        partner_perk_redeem(perk=usable, by=by, note="本月市场指导已安排：大区经理上门指导两天", today=today)
    return booked


def _consumption(ctx: dict[str, Any], today: dt.date) -> int:
    """A3 for the partners with a region: monthly targets, last month's analysis submitted and commented
    by the regional manager, this month's analysis submitted on the 25th (or saved as a draft before)."""
    this = month_start(today)
    months = [add_months(this, k) for k in (-3, -2, -1, 0, 1)]
    partners = list(Partner.objects.filter(region__isnull=False).select_related("region__manager", "user"))
    SalesTarget.objects.bulk_create(
        [
            SalesTarget(partner=p, period=m, amount=Decimal(20000 + 5000 * i + 10000 * (p.pk % 2)))
            for p in partners
            for i, m in enumerate(months)
            if not SalesTarget.objects.filter(partner=p, period=m, annual=False).exists()
        ]
    )
    made = 0
    for p in partners:
        by: User = p.user or ctx["admin"]
        manager = p.region.manager if p.region is not None else None
        last = add_months(this, -1)
        analysis_save(
            partner=p,
            month=last,
            by=by,
            data={
                "next_month_plan": "重点跟进老客户复购，月底前举办一场产品沙龙。",
                "analysis": "本月完成情况良好，主要来自老客户复购；新客户开发偏慢。",
            },
            submit=True,
        )
        made += 1
        if manager is not None:
            a = PartnerMonthlyAnalysis.objects.get(partner=p, month=last)
            analysis_comment(analysis=a, by=manager, comment="同意下月计划，沙龙请提前一周报名单给大区。")
        submit_now = today.day >= 25
        analysis_save(
            partner=p,
            month=this,
            by=by,
            data={"next_month_plan": "下月主推高端系列，目标客户 10 家，每周拜访不少于 3 家。"},
            submit=submit_now,
        )
        made += 1
    return made


def _work_reports(reps: list[User], today: dt.date) -> int:
    """Daily reports of today and the four working days before (the last rep has not reported today),
    last week's and last month's reports; the manager comments on some."""
    texts = {
        "summary": "拜访老客户 2 家，电话沟通 5 家；完成一份方案报价。",
        "problems": "一家客户预算推迟到下季度。",
        "plan": "明天跟进报价反馈，约见新客户 1 家。",
        "support": "需要技术同事支持一次产品演示。",
    }
    before = [d for d in (today - dt.timedelta(days=k) for k in range(1, 8)) if d.weekday() < 5]
    days = [today, *before[:4]]
    made = 0
    for n, rep in enumerate(reps):
        for day in days:
            if day == today and n == len(reps) - 1:
                continue  # not yet reported today: the team view names them
            _submit(rep, "daily", day, texts, hour=18)
            made += 1
        last_week = today - dt.timedelta(days=7)
        _submit(rep, "weekly", last_week, texts, hour=17, offset_days=4)  # Friday, before the 18:00 due time
        last_month = add_months(month_start(today), -1)
        _submit(rep, "monthly", last_month, texts, hour=17, offset_days=-1)  # the month's last day
        made += 2
    manager = reps[0].manager if reps else None
    if manager is not None:
        for i, report in enumerate(
            WorkReport.objects.filter(author__in=reps).order_by("-period_start", "author_id", "kind")[:8]
        ):
            if i % 2 == 0 or report.kind != "daily":
                worklog_comment(
                    report=report, by=manager, text="思路清晰，报价反馈后及时同步，演示我来协调。"
                )
    return made


def _submit(
    rep: User, kind: str, day: dt.date, texts: dict[str, str], *, hour: int, offset_days: int = 0
) -> None:
    """Submit the period's report at `hour` on its first day + `offset_days` (−1: its last day)."""
    start, last = worklog_period(kind, day)
    when = last if offset_days < 0 else start + dt.timedelta(days=offset_days)
    now = start_of_local_day(when) + dt.timedelta(hours=hour)
    worklog_save(author=rep, kind=kind, day=day, submit=True, now=min(now, timezone.now()), **texts)
