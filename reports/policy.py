"""Who may open which dashboard and report: one place for the pages, the API and the menu."""

from __future__ import annotations

from typing import Any

from crm import policy as crm_policy
from crm.models import Role
from partners.selectors import partner_for_user


def home_kind(user: Any) -> str:
    """Which home a user opens on (`/` routes by role); decided once per user object (the menu asks too)."""
    cached = getattr(user, "_reports_home_kind", None)
    if cached is None:
        cached = _home_kind(user)
        user._reports_home_kind = cached
    return cached


def _home_kind(user: Any) -> str:
    if crm_policy.is_partner(user) or (
        not crm_policy.works_in_sales(user) and partner_for_user(user) is not None
    ):
        return "partner"
    if user.has_role(Role.FINANCE) and not user.sees_everything:
        return "finance"
    if user.is_superuser or user.has_role(Role.PRESIDENT, Role.ADMIN):
        return "president"
    if user.has_role(
        Role.VP, Role.DIRECTOR, Role.REGIONAL_MANAGER, Role.SALES_MANAGER, Role.PRESIDENTS_ASSISTANT
    ):
        return "manager"
    return "rep"


def can_open_my_day(user: Any) -> bool:
    """The rep's home is "my day" plus their figures; everyone else's `/` is a dashboard."""
    return crm_policy.can_open_my_day(user) and home_kind(user) == "rep"


def can_open_dashboard(user: Any) -> bool:
    return crm_policy.is_signed_in(user) and home_kind(user) != "rep"


def can_open_sales_reports(user: Any) -> bool:
    """The funnel, the forecast and per-rep activity: the customer book and pipeline (not finance)."""
    return crm_policy.works_in_sales(user)


def can_open_money_reports(user: Any) -> bool:
    """Contract amount and collections, the monthly sales report: sales people and finance."""
    return crm_policy.works_in_sales(user) or crm_policy.is_finance(user)


def can_open_rankings(user: Any) -> bool:
    """The rankings and the CRM-usage ranking are published to every employee (003 §12.4)."""
    return crm_policy.is_internal(user)


def report_access(user: Any) -> dict[str, bool]:
    """Which report tabs a page offers this user (never a link that answers 404)."""
    sales, money, ranks = can_open_sales_reports(user), can_open_money_reports(user), can_open_rankings(user)
    return {
        "funnel": sales,
        "trend": money,
        "activity": sales,
        "rankings": ranks,
        "usage": ranks,
        "sales": money,
    }


# --- A4 work reports (日报 / 周报 / 月报) ---------------------------------------------------------------


def can_write_work_reports(user: Any) -> bool:
    """001 第五章: salespeople write a daily, a weekly and a monthly report (the roles are a setting)."""
    from django.conf import settings

    return crm_policy.works_in_sales(user) and user.has_role(*settings.REPORTS_WORKLOG_AUTHOR_ROLES)


def can_open_team_work_reports(user: Any) -> bool:
    """Managers read their team's reports, comment on them and see who has not submitted (C11 scope)."""
    return crm_policy.works_in_sales(user) and (
        bool(user.sees_everything) or user.has_role(Role.SALES_MANAGER, Role.REGIONAL_MANAGER, Role.DIRECTOR)
    )


def can_open_work_reports(user: Any) -> bool:
    return can_write_work_reports(user) or can_open_team_work_reports(user)


def work_report_author_ids(user: Any) -> set[int] | None:
    """Whose reports a user reads: their own; a manager's team (C11); None: everyone's."""
    from reports.scope import member_ids

    if not can_open_work_reports(user):
        return set()
    if not can_open_team_work_reports(user):
        return {user.pk}
    return member_ids(user)


def work_reports_visible_to(user: Any) -> Any:
    from reports.models import WorkReport

    ids = work_report_author_ids(user)
    qs = WorkReport.objects.all()
    return qs if ids is None else qs.filter(author_id__in=ids)


def can_comment_work_report(user: Any, report: Any) -> bool:
    """The manager's comment: on a submitted report of someone in their team, never on their own."""
    if not (report.is_submitted and can_open_team_work_reports(user)) or report.author_id == user.pk:
        return False
    ids = work_report_author_ids(user)
    return ids is None or report.author_id in ids


def can_open_home_charts(user: Any) -> bool:
    """Everyone signed in has a home with charts (a partner's shows their rebates)."""
    return crm_policy.is_signed_in(user)


def can_export_charts(user: Any) -> bool:
    """A chart's table may be exported by whoever sees the chart (the export asks the report's own rule)."""
    return crm_policy.is_signed_in(user)


# --- A3 partner consumption tracking (000 §4.2.2) ---


def a3_partner(user: Any) -> Any:
    """The partner a login fills the monthly analysis for, or None."""
    from partners.policy import partner_of

    return partner_of(user)


def _reviews_partners(user: Any) -> bool:
    return crm_policy.is_internal(user) and (
        crm_policy.sees_everything(user) or user.has_role(Role.ADMIN, Role.REGIONAL_MANAGER)
    )


def can_fill_a3(user: Any) -> bool:
    return a3_partner(user) is not None


def can_open_a3(user: Any) -> bool:
    """The partner its own analyses; the regional manager its region's partners'; admin and the top all."""
    return can_fill_a3(user) or _reviews_partners(user)


def a3_partners_visible_to(user: Any) -> Any:
    from partners.models import Partner

    partner = a3_partner(user)
    if partner is not None:
        return Partner.objects.filter(pk=partner.pk)
    if not _reviews_partners(user):
        return Partner.objects.none()
    if crm_policy.sees_everything(user) or user.has_role(Role.ADMIN):
        return Partner.objects.all()
    return Partner.objects.filter(region__manager=user)


def a3_visible_to(user: Any) -> Any:
    from reports.models import PartnerMonthlyAnalysis

    if not crm_policy.is_signed_in(user):
        return PartnerMonthlyAnalysis.objects.none()
    return PartnerMonthlyAnalysis.objects.filter(partner__in=a3_partners_visible_to(user))


def can_comment_a3(user: Any, analysis: Any) -> bool:
    """The regional manager of the partner's region comments (批示); the top roles and admin may too."""
    if not _reviews_partners(user) or analysis.status == "draft":
        return False
    if crm_policy.sees_everything(user) or user.has_role(Role.ADMIN):
        return True
    region = analysis.partner.region
    return region is not None and region.manager_id == user.pk
