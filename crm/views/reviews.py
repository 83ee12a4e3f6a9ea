"""C5: the manager's queue of new customers and the approve/reject decision."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.forms import ReviewForm
from crm.selectors import customer_review_queue, keyset_page
from crm.services import customers as services
from crm.views.customers import parse_cursor, visible_customer_or_404

QUEUE_PAGE_SIZE = 30


@page_open_to(policy.can_open_review_queue)
def review_queue(request: AuthedRequest) -> HttpResponse:
    rows, next_cursor = keyset_page(
        customer_review_queue(user=request.user),
        after=parse_cursor(request.GET.get("after")),
        size=QUEUE_PAGE_SIZE,
    )
    return render(
        request,
        "crm/review_queue.html",
        {"customers": rows, "next_cursor": next_cursor, "is_manager": policy.is_manager(request.user)},
    )


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def customer_review(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
    form = ReviewForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_review_transition(
                customer=customer,
                by=request.user,
                to=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("审核结果已保存：%(name)s") % {"name": customer.name})
            return redirect(next_url) if next_url else redirect("crm:customer_detail", pk=customer.pk)
    return render(
        request,
        "crm/review_form.html",
        {"form": form, "customer": customer, "next": next_url},
        status=400 if form.errors else 200,
    )
