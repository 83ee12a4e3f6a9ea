"""One builder per page: the figures (from the `reports.selectors_*` modules) and their chart data.
The page renders the payload and the API returns `as_json(payload)`, so both show the same numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext as _

from crm.models import Department, User
from reports import rollups
from reports.filters import Period
from reports.policy import home_kind
from reports.selectors_common import GRADES, Percent
from reports.selectors_homes import finance_home, manager_home, partner_home, president_home, rep_home
from reports.selectors_people import (
    RANKING_METRICS,
    PersonFigures,
    rank_by,
    rankings,
    rep_activity,
    usage_ranking,
)
from reports.selectors_pipeline import FunnelRow, forecast, funnel
from reports.selectors_sales import sales_lines, sales_page, sales_totals
from reports.selectors_trend import Trend, monthly_trend
from reports.usage_publish import rotation_explained

# --- JSON: Decimals stay exact (as strings), dates ISO --------------------------------------------


def as_json(value: Any) -> Any:
    if isinstance(value, Percent):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # money (and quantities) to the fen, whatever the database returned
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, User):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, Model):
        return {"id": value.pk, "name": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, PersonFigures):
            data["contact_frequency"] = as_json(value.contact_frequency)
        return data
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items() if not str(k).startswith("_")}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if hasattr(value, "__html__") or value.__class__.__name__ == "__proxy__":
        return str(value)
    return value


def bar(categories: list[str], **series: list[Any]) -> dict[str, Any]:
    return {"categories": categories, "series": [{"name": k, "data": as_json(v)} for k, v in series.items()]}


def funnel_chart(rows: list[FunnelRow]) -> dict[str, Any]:
    return {"items": [{"name": r.name, "value": r.count} for r in rows if not r.is_lost]}


def trend_chart(trend: Trend) -> dict[str, Any]:
    return {
        "categories": [f"{m.month:%Y-%m}" for m in trend.months],
        "series": [
            {"name": _("合同金额"), "data": as_json([m.contracts for m in trend.months])},
            {"name": _("回款金额"), "data": as_json([m.collections for m in trend.months])},
        ],
    }


# --- homes --------------------------------------------------------------------------------------


def home_payload(user: User, today: dt.date | None = None) -> dict[str, Any]:
    with rollups.marks_read_once():  # each card asks which of its people are dirty: one read
        return _home_payload(user, today)


def _home_payload(user: User, today: dt.date | None) -> dict[str, Any]:
    kind = home_kind(user)
    if kind == "partner":
        data = partner_home(user=user, today=today)
        charts = {}
        if data["partner"] is not None:
            charts["rebates"] = {
                "items": [
                    {"name": _("可发放返利"), "value": as_json(data["rebate_payable"])},
                    {"name": _("待回款返利"), "value": as_json(data["rebate_pending"])},
                    {"name": _("已结算返利"), "value": as_json(data["rebate_paid"])},
                ]
            }
    elif kind == "finance":
        data = finance_home(user=user, today=today)
        steps = data["settlement"]["steps"]
        charts = {
            "settlement": bar([x["label"] for x in steps], **{_("应发金额"): [x["amount"] for x in steps]}),
            "aging": bar(
                [r["label"] for r in data["aging"]], **{_("未收金额"): [r["amount"] for r in data["aging"]]}
            ),
        }
    elif kind == "president":
        data = president_home(user=user, today=today)
        charts = {
            "trend": trend_chart(data["trend"]),
            "funnel": funnel_chart(data["funnel"]),
            "aging": bar(
                [r["label"] for r in data["aging"]], **{_("未收金额"): [r["amount"] for r in data["aging"]]}
            ),
        }
    elif kind == "manager":
        data = manager_home(user=user, today=today)
        charts = {
            "funnel": funnel_chart(data["funnel"]),
            "ranking": bar(
                [r.person.name for r in data["ranking"]],
                **{_("合同金额"): [r.value for r in data["ranking"]]},
            ),
        }
    else:
        data = rep_home(user=user, today=today)
        charts = {
            "pipeline": bar(
                [r.name for r in data["pipeline"]], **{_("金额"): [r.amount for r in data["pipeline"]]}
            ),
        }
    return {"kind": kind, **data, "charts": charts}


# --- reports ------------------------------------------------------------------------------------


def funnel_report(user: User, period: Period, dept: Department | None) -> dict[str, Any]:
    path = dept.path if dept else None
    rows = funnel(user=user, period=period, dept_path=path)
    months = forecast(user=user, start=period.start, dept_path=path)
    return {
        "period": period,
        "funnel": rows,
        "forecast": months,
        "charts": {
            "funnel": funnel_chart(rows),
            "forecast": bar(
                [f"{m.month:%Y-%m}" for m in months],
                **{_("预计金额"): [m.amount for m in months], _("加权金额"): [m.weighted for m in months]},
            ),
        },
    }


def trend_report(user: User, period: Period, dept: Department | None) -> dict[str, Any]:
    trend = monthly_trend(user=user, month=period.last_day, dept_path=dept.path if dept else None)
    return {"period": period, "trend": trend, "charts": {"trend": trend_chart(trend)}}


def activity_report(user: User, period: Period, dept: Department | None) -> dict[str, Any]:
    rows = rep_activity(user=user, period=period, dept_path=dept.path if dept else None)
    return {
        "period": period,
        "rows": rows,
        "grades": GRADES,
        "charts": {
            "activity": bar(
                [p.name for p in rows],
                **{
                    _("新增客户"): [p.new_customers for p in rows],
                    _("新增商机"): [p.new_opportunities for p in rows],
                    _("跟进次数"): [p.followups for p in rows],
                },
            )
        },
    }


def rankings_report(period: Period, dept: Department | None, metric: str) -> dict[str, Any]:
    if metric not in RANKING_METRICS:
        metric = "contract_amount"
    rows = rankings(period=period, dept_path=dept.path if dept else None)
    ranked = rank_by(rows, metric)
    label = _(RANKING_METRICS[metric][0])
    return {
        "period": period,
        "metric": metric,
        "metric_label": label,
        "metrics": [(k, _(v[0])) for k, v in RANKING_METRICS.items()],
        "ranked": ranked,
        "charts": {
            "ranking": bar([r.person.name for r in ranked[:20]], **{label: [r.value for r in ranked[:20]]})
        },
    }


def usage_report(period: Period, dept: Department | None) -> dict[str, Any]:
    usage = usage_ranking(period=period, dept_path=dept.path if dept else None)
    return {
        "period": period,
        "usage": usage,
        "rotation": rotation_explained(),
        "charts": {
            "usage": bar(
                [r.person.name for r in usage.rows[:30]],
                **{
                    _("新增客户"): [r.person.new_customers for r in usage.rows[:30]],
                    _("新增商机"): [r.person.new_opportunities for r in usage.rows[:30]],
                    _("拜访"): [r.person.visits for r in usage.rows[:30]],
                },
            )
        },
    }


def sales_report(
    user: User, period: Period, dept: Department | None, after: str | None = None
) -> dict[str, Any]:
    """A5: one keyset page of lines (`after`: the previous page's `next`) and the period's totals."""
    path = dept.path if dept else None
    lines = sales_lines(user=user, period=period, dept_path=path)
    shown, next_cursor = sales_page(lines, after=after, limit=int(settings.REPORTS_SALES_PAGE_LINES))
    totals = sales_totals(user=user, period=period, dept_path=path)
    return {
        "period": period,
        "lines": [sales_row(r) for r in shown],
        "line_count": totals["n"],
        "amount": totals["amount"],
        "truncated": next_cursor is not None,
        "next": next_cursor,
    }


def sales_row(r: Any) -> dict[str, Any]:
    """One A5 row from a `sales_lines` values() row."""
    from django.utils import timezone

    return {
        "name": r["order__owner__display_name"] or r["order__owner__username"],
        "date": timezone.localtime(r["order__booked_at"]).date(),
        "order": r["order__number"],
        "order_id": r["order_id"],
        "customer": r["order__customer__name"],
        "product": r["product"],
        "quantity": r["quantity"],
        "unit_price": r["unit_price"],
        "amount": r["amount"],
    }
