"""C10 pool pages and the notifications page. Views validate input, call one service/selector, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.models import Notification
from common.notifications import notifications_mark_read
from common.timeutil import local_date
from crm import policy
from crm.forms import CustomerFilterForm
from crm.forms_pool import PoolAssignForm
from crm.models import Customer
from crm.selectors import keyset_page
from crm.selectors_pool import pool_assign_candidates, pool_customer_list
from crm.services import pool as services


def _pool_customer_or_404(request: AuthedRequest, pk: int) -> Customer:
    customer = pool_customer_list(user=request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


def _after(request: AuthedRequest) -> int | None:
    try:
        return int(request.GET.get("after", "") or 0) or None
    except ValueError:
        return None


@page_open_to(policy.can_open_pool)
def pool_list(request: AuthedRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_valid():
        d = form.cleaned_data
        filters = {
            "q": d["q"],
            "grade": d["grade"],
            "region": d["region"].pk if d["region"] else None,
            "industry": d["industry"].pk if d["industry"] else None,
        }
    after = _after(request)
    rows, next_cursor = keyset_page(
        pool_customer_list(user=request.user, **filters),
        after=after,
        size=settings.CRM_CUSTOMER_LIST_PAGE_SIZE,
    )
    today = timezone.localdate()
    for c in rows:
        c.days_in_pool = (today - local_date(c.released_at)).days if c.released_at else None
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "crm/pool_list.html",
        {
            "form": form,
            "customers": rows,
            "next_cursor": next_cursor,
            "params": params.urlencode(),
            "after": after,
            "can_claim": policy.can_claim_from_pool(request.user),
            "can_assign": policy.can_assign_from_pool(request.user),
        },
    )


@page_open_to(policy.can_open_pool)
@require_http_methods(["GET", "POST"])
def pool_claim(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _pool_customer_or_404(request, pk)
    if request.method == "POST":
        try:
            services.pool_claim(customer=customer, by=request.user)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect("crm:pool_list")
        messages.success(request, _("已领取客户“%(name)s”。") % {"name": customer.name})
        return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/pool_claim_confirm.html", {"customer": customer})


@page_open_to(policy.can_open_pool)
@require_http_methods(["GET", "POST"])
def pool_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _pool_customer_or_404(request, pk)
    if not policy.can_assign_from_pool(request.user):
        raise Http404
    form = PoolAssignForm(request.POST or None, candidates=pool_assign_candidates(manager=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_assign(customer=customer, to_user=form.cleaned_data["to_user"], by=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("已把客户“%(name)s”分配给%(user)s。")
                % {"name": customer.name, "user": form.cleaned_data["to_user"]},
            )
            return redirect("crm:pool_list")
    return render(request, "crm/pool_assign.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def notification_list(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("crm:notifications")
    after = _after(request)
    rows, next_cursor = keyset_page(Notification.objects.filter(user=request.user), after=after, size=50)
    return render(
        request, "crm/notifications.html", {"notifications": rows, "next_cursor": next_cursor, "after": after}
    )
