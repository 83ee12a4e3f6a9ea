"""Customer-book pages. Each view validates input, calls one service or selector, and renders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm.forms import ContactForm, CustomerFilterForm, CustomerForm, FollowUpForm, OutingForm, ReviewForm
from crm.models import Customer, FollowUp, ReviewStatus
from crm.selectors import (
    customer_filter,
    customer_get_visible,
    customer_list_visible_to,
    keyset_page,
    team_member_ids,
    timeline_for,
)
from crm.services import customers as services


def _visible_customer_or_404(request: AuthedRequest, pk: int) -> Customer:
    customer = customer_get_visible(user=request.user, pk=pk)
    if customer is None:
        raise Http404
    return customer


@login_required
def my_day(request: AuthedRequest) -> HttpResponse:
    user = request.user
    mine = Customer.objects.filter(owner=user)
    today = timezone.localdate()
    due = (
        mine.filter(followups__next_date__lte=today)
        .select_related("region", "industry")
        .distinct()
        .order_by("last_contacted_at")[:20]
    )
    recent = FollowUp.objects.filter(author=user).select_related("customer").order_by("-occurred_at")[:10]
    pending_review = []
    if len(team_member_ids(user)) > 1 or user.sees_everything:
        pending_review = list(
            customer_list_visible_to(user=user)
            .filter(review_status=ReviewStatus.PENDING)
            .exclude(owner=user)
            .select_related("owner")[:10]
        )
    return render(
        request, "crm/my_day.html", {"due": due, "recent": recent, "pending_review": pending_review}
    )


@login_required
def customer_list(request: AuthedRequest) -> HttpResponse:
    form = CustomerFilterForm(request.GET or None)
    qs = customer_list_visible_to(user=request.user)
    if form.is_valid():
        d = form.cleaned_data
        qs = customer_filter(
            qs,
            q=d["q"],
            grade=d["grade"],
            region=d["region"].pk if d["region"] else None,
            industry=d["industry"].pk if d["industry"] else None,
            status=d["status"],
        )
    try:
        after = int(request.GET.get("after", "") or 0) or None
    except ValueError:
        after = None
    rows, next_cursor = keyset_page(
        qs.select_related("owner", "region", "industry"),
        after=after,
        size=settings.CRM_CUSTOMER_LIST_PAGE_SIZE,
    )
    params = request.GET.copy()
    params.pop("after", None)
    return render(
        request,
        "crm/customer_list.html",
        {
            "form": form,
            "customers": rows,
            "next_cursor": next_cursor,
            "params": params.urlencode(),
            "after": after,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: AuthedRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            if exc.code == "collision_opened":  # P3: no twin; the claimant is taken to the case
                messages.warning(request, str(exc.message))
                return redirect("partners:collision_detail", pk=exc.extra["collision_id"])
            add_domain_error(form, exc)
        else:
            messages.success(request, _("客户已创建，等待部门经理审核。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/customer_form.html", {"form": form})


@login_required
def customer_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _visible_customer_or_404(request, pk)
    return render(
        request,
        "crm/customer_detail.html",
        {
            "customer": customer,
            "contacts": customer.contacts.all(),
            "timeline": timeline_for(customer),
            "days_without_contact": services.touch_days_without_contact(customer),
            "can_review": customer.review_status == ReviewStatus.PENDING
            and services.can_review(user=request.user, customer=customer),
            "review_form": ReviewForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def followup_create(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _visible_customer_or_404(request, pk)
    form = FollowUpForm(request.POST or None, request.FILES or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_create(customer=customer, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("沟通记录已保存。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/followup_form.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _visible_customer_or_404(request, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(customer=customer, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("联系人已添加。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/contact_form.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["POST"])
def customer_review(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = _visible_customer_or_404(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.customer_review_transition(
                customer=customer,
                by=request.user,
                to=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("审核结果已保存。"))
    else:
        messages.error(request, _("请选择通过或驳回。"))
    return redirect("crm:customer_detail", pk=customer.pk)


@login_required
@require_http_methods(["GET", "POST"])
def outing_create(request: AuthedRequest) -> HttpResponse:
    form = OutingForm(
        request.POST or None, initial={"planned_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.outing_register(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("去向已登记。"))
            return redirect("crm:my_day")
    return render(request, "crm/outing_form.html", {"form": form})
