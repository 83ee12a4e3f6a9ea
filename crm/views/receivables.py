"""Q6 pages: receivables aging — the watch list (> 2 months), the weekly-meeting list (> 4 months)
and bad-debt candidates (> 6 months)."""

from __future__ import annotations

import csv
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from common.access import page_open_to
from common.auth import AuthedRequest
from common.money import round_fen
from common.timeutil import local_today
from crm import policy as crm_policy
from crm.services.receivables import aging_rows, pipeline_policy, receivables_overdue
from crm.views.paging import page_context


def _csv(orders: Any, *, name: str) -> HttpResponse:
    """The list as CSV (Excel opens UTF-8 with BOM) for the weekly meeting; at most 5,000 rows."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="receivables-{name}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("订单号"), _("客户"), _("负责人"), _("到期日"), _("逾期天数"), _("账龄"), _("未收")])
    for r in aging_rows(list(orders), today=local_today()):
        writer.writerow(
            [
                r.order.number,
                r.order.customer.name,
                str(r.order.owner),
                r.due,
                r.days_overdue,
                r.bucket_label,
                round_fen(r.order.outstanding_sum),  # type: ignore[attr-defined]
            ]
        )
    return response


def receivable_lists() -> dict[str, tuple[str, str]]:
    policy = pipeline_policy()
    return {
        "overdue": (_("全部逾期"), "0"),
        "watch": (_("关注名单（逾期>%(m)d个月）") % {"m": policy.watch_months}, str(policy.watch_months)),
        "meeting": (
            _("周例会名单（逾期>%(m)d个月）") % {"m": policy.meeting_months},
            str(policy.meeting_months),
        ),
        "bad_debt": (
            _("可申请坏账（逾期>%(m)d个月）") % {"m": policy.bad_debt_months},
            str(policy.bad_debt_months),
        ),
    }


@page_open_to(crm_policy.can_open_receivables)
def receivable_aging(request: AuthedRequest) -> HttpResponse:
    lists = receivable_lists()
    which = request.GET.get("list") or "watch"
    if which not in lists:
        which = "watch"
    months = int(lists[which][1])
    qs = receivables_overdue(crm_policy.receivables_visible_to(request.user), months=months).select_related(
        "customer", "owner"
    )
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number=q) | Q(customer__name__icontains=q))
    if request.GET.get("format") == "csv":
        return _csv(qs.order_by("-id")[:5000], name=which)
    ctx = page_context(request, qs)
    ctx["rows"] = aging_rows(ctx["rows"], today=local_today())
    return render(
        request,
        "crm/receivable_aging.html",
        {"lists": [(k, v[0]) for k, v in lists.items()], "which": which, "q": q, **ctx},
    )
