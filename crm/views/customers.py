"""Customer-book pages. Each view validates input, calls one service or selector, and renders."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.exports import xlsx_download
from common.forms import add_domain_error
from common.listtools import ListQuery, clean_saved_query
from crm import policy
from crm.extensions import customer_page_actions, customer_page_sections
from crm.forms import (
    AssignForm,
    ContactForm,
    CustomerEditForm,
    CustomerFilterForm,
    CustomerForm,
    FollowUpForm,
    QuickFollowUpForm,
)
from crm.lists import CUSTOMER_LIST
from crm.models import Customer, ReviewStatus
from crm.selectors import (
    assignable_users,
    customer_filter,
    customer_list_rows,
    timeline_for,
)
from crm.services import customer_bulk as bulk_services
from crm.services import customer_export as export_services
from crm.services import customers as services
from crm.services import pool_release as release_services
from crm.services.customer_export import can_export_customers
from crm.views.customer360 import DEFAULT_TAB, tab_context
from crm.views.list_context import ListRows, list_query_for, list_tools_context


def visible_customer_or_404(request: AuthedRequest, pk: int) -> Customer:
    """C11: a customer the user may not see does not exist for them."""
    customer = policy.customer_scope(request.user).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


def parse_cursor(raw: str | None) -> int | None:
    """The keyset cursor of the list page: a positive id, anything else means the first page."""
    try:
        value = int(raw or 0)
    except ValueError:
        return None
    return value if value > 0 else None


def customer_list_queryset(
    request: AuthedRequest,
) -> tuple[CustomerFilterForm, QuerySet[Customer], ListQuery]:
    """The customer list as the URL filters it (the list's own filters, then owner / team / dates),
    within what the user may see (C11): the page, its export and its bulk actions use the same rows."""
    form = CustomerFilterForm(request.GET or None)
    qs = policy.customers_visible_to(request.user)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        qs = customer_filter(
            qs,
            q=d["q"],
            grade=d["grade"],
            region=d["region"].pk if d["region"] else None,
            industry=d["industry"].pk if d["industry"] else None,
            status=d["status"],
        )
    elif form.is_bound:
        qs = qs.none()
    qs, lq = list_query_for(request, CUSTOMER_LIST, qs)
    return form, qs, lq


@page_open_to(policy.can_open_customers)
def customer_list(request: AuthedRequest) -> HttpResponse:
    form, qs, lq = customer_list_queryset(request)
    # the customer list's export is its own (customer_export: managers, logged, also the ticked rows)
    found = ListRows(CUSTOMER_LIST, qs, lq, customer_list_rows(qs), exported=False)
    tools = list_tools_context(request, found, size=settings.CRM_CUSTOMER_LIST_PAGE_SIZE)
    # The filter selects as plain (value, label) lists: rendering them through Django's per-option
    # widget templates costs more than the 50 rows of the list itself.
    filter_selects = []
    for name in ("grade", "region", "industry", "status"):
        field: Any = form.fields[name]
        if isinstance(field, ModelChoiceField):  # a plain list: no server-side cursor for a few rows
            rows: Any = field.queryset
            choices = [("", field.empty_label)] + [
                (str(obj.pk), field.label_from_instance(obj)) for obj in rows
            ]
        else:
            choices = [(str(v), label) for v, label in field.choices]
        filter_selects.append(
            {"name": name, "label": field.label, "value": str(request.GET.get(name, "")), "choices": choices}
        )
    can_transfer = policy.can_bulk_transfer_customers(request.user)
    can_export = can_export_customers(request.user)
    can_release = policy.can_release_to_pool(request.user)
    return render(
        request,
        "crm/customer_list.html",
        {
            **tools,
            "form": form,
            "customers": tools["rows"],
            "filter_selects": filter_selects,
            "can_transfer": can_transfer,
            "can_export": can_export,
            "can_release": can_release,
            "bulk": can_transfer or can_export or can_release,
            # Whom a manager may transfer to is whom the owner filter offers (the same query, asked once).
            "transfer_targets": tools["owner_choices"] if can_transfer else [],
            # One reverse() for the page instead of one per row.
            "detail_base": reverse("crm:customer_list"),
        },
    )


def csv_download(rows: Iterator[list[str]], *, filename: str) -> StreamingHttpResponse:
    """Stream rows as a CSV Excel opens in Chinese (UTF-8 with BOM), in constant memory."""

    class _Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(_Echo())

    def _lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_response(rows: Iterator[list[str]], *, fmt: str) -> HttpResponseBase:
    if fmt == "xlsx":
        return xlsx_download(rows, filename="customers.xlsx", sheet=pgettext("menu", "客户"))
    return csv_download(rows, filename="customers.csv")


@page_open_to(policy.can_export_customers)
def customer_export(request: AuthedRequest) -> HttpResponseBase:
    """The customer list as Excel (file=xlsx) or CSV (managers only, logged), with the list page's
    filters and the user's scope."""
    _form, qs, _lq = customer_list_queryset(request)
    try:
        rows = export_services.customer_export(
            user=request.user, qs=qs, filters=clean_saved_query(CUSTOMER_LIST, request.GET)
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("crm:customer_list")
    return export_response(rows, fmt=request.GET.get("file", "csv"))


def _selected_ids(request: AuthedRequest) -> list[int]:
    ids = []
    for raw in request.POST.getlist("ids"):
        try:
            ids.append(int(raw))
        except ValueError:
            continue
    return ids


@page_open_to(policy.can_open_customers)
@require_POST
def customer_bulk(request: AuthedRequest) -> HttpResponseBase:
    """Bulk actions on the ticked customers: transfer (managers, each through customer_assign) or export
    (managers, logged). The answer comes back on the list, with the same filters."""
    back = reverse("crm:customer_list") + "?" + clean_saved_query(CUSTOMER_LIST, request.POST.get("back", ""))
    action = request.POST.get("action", "")
    ids = _selected_ids(request)
    if action == "export" and policy.can_export_customers(request.user):
        if not ids:
            messages.error(request, _("请先勾选客户。"))
            return redirect(back)
        rows = export_services.customer_export(
            user=request.user,
            qs=Customer.objects.filter(pk__in=ids[: settings.CRM_LIST_BULK_MAX]),
            filters=f"ids={len(ids)}",
        )
        return export_response(rows, fmt="xlsx")
    if action == "transfer" and policy.can_bulk_transfer_customers(request.user):
        to_user = (
            assignable_users(user=request.user).filter(pk=_positive(request.POST.get("to_user"))).first()
        )
        if to_user is None:
            messages.error(request, _("请选择接收客户的团队成员。"))
            return redirect(back)
        try:
            result = bulk_services.customers_bulk_transfer(
                customer_ids=ids, to_user=to_user, by=request.user, note=request.POST.get("note", "")[:500]
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(back)
        if result.done:
            messages.success(
                request,
                ngettext(
                    "已将 %(n)d 个客户转给%(user)s。", "已将 %(n)d 个客户转给%(user)s。", len(result.done)
                )
                % {"n": len(result.done), "user": to_user},
            )
        for name, reason in result.refused:
            messages.error(request, _("%(customer)s：%(reason)s") % {"customer": name, "reason": reason})
        return redirect(back)
    if action == "release" and policy.can_release_to_pool(request.user):
        try:
            result = release_services.customers_release_to_pool(
                customer_ids=ids, reason=request.POST.get("reason", ""), by=request.user
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return redirect(back)
        n = len(result.done)
        _bulk_answer(
            request,
            result,
            ngettext("已将 %(n)d 个客户释放到公海。", "已将 %(n)d 个客户释放到公海。", n) % {"n": n},
        )
        return redirect(back)
    messages.error(request, _("请选择一个您可以执行的批量操作。"))
    return redirect(back)


def _bulk_answer(request: AuthedRequest, result: bulk_services.BulkResult, done: str) -> None:
    if result.done:
        messages.success(request, done)
    for name, reason in result.refused:
        messages.error(request, _("%(customer)s：%(reason)s") % {"customer": name, "reason": reason})


def _positive(raw: str | None) -> int:
    try:
        return max(int(raw or 0), 0)
    except ValueError:
        return 0


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def customer_create(request: AuthedRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, services.CollisionOpened):  # P3: no twin; the claimant is taken to the case
                messages.warning(request, str(exc.message))
                return redirect(exc.case.get_absolute_url())
            add_domain_error(form, exc)
        else:
            if customer.review_status == ReviewStatus.PENDING:
                messages.success(request, _("客户已创建，等待部门经理审核。"))
            else:
                messages.success(request, _("客户已创建。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/customer_form.html", {"form": form, "title": _("新建客户")})


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def customer_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
    form = CustomerEditForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("grade_reason", "")
        class_asked = data.get("key_account_class", "") != form.initial.get("key_account_class", "")
        try:
            # The service reloads the row itself; give it the saved state, not the form-mutated one.
            services.customer_update(
                customer=Customer(pk=customer.pk), by=request.user, reason=reason, **data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("客户资料已保存。"))
            if class_asked:  # C4: the class itself waits for approval (issue 17)
                messages.info(request, _("大客户分类变更已提交审批，批准后生效。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(
        request, "crm/customer_form.html", {"form": form, "customer": customer, "title": _("编辑客户")}
    )


def _days_since(moment: Any) -> int | None:
    """Whole days from a moment's local date to today (None when there was none)."""
    return (timezone.localdate() - timezone.localtime(moment).date()).days if moment else None


def customer_detail_context(request: AuthedRequest, customer: Customer, *, tab: str) -> dict[str, Any]:
    return {
        "customer": customer,
        "timeline": timeline_for(customer),
        "days_without_contact": services.touch_days_without_contact(customer),
        "days_since_contact": (
            timezone.localdate() - timezone.localtime(customer.last_contacted_at).date()
        ).days
        if customer.last_contacted_at
        else None,
        "can_review": customer.review_status == ReviewStatus.PENDING
        and policy.can_review_customer(request.user, customer),
        "can_assign": policy.can_assign_customer(request.user, customer),
        "quick_form": QuickFollowUpForm(auto_id="quick_%s"),
        # What the apps above crm add to the page (partners: executive button, collision cases).
        "extra_actions": customer_page_actions(customer=customer, user=request.user),
        "extra_sections": customer_page_sections(customer=customer, user=request.user),
        **tab_context(request, customer, tab),
    }


@page_open_to(policy.can_open_customers)
def customer_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
    return render(
        request, "crm/customer_detail.html", customer_detail_context(request, customer, tab=DEFAULT_TAB)
    )


@page_open_to(policy.can_open_customers)
def customer_tab(request: AuthedRequest, pk: int, tab: str) -> HttpResponse:
    """Issue 16: one tab of the customer page. htmx gets the tab strip and body only; a plain visit (a
    bookmark, a new browser tab) gets the whole page with this tab open."""
    customer = visible_customer_or_404(request, pk)
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render(
            request, "crm/_customer_tabs.html", {"customer": customer, **tab_context(request, customer, tab)}
        )
    return render(request, "crm/customer_detail.html", customer_detail_context(request, customer, tab=tab))


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def customer_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
    if not policy.can_assign_customer(request.user, customer):
        raise Http404
    form = AssignForm(request.POST or None, users=assignable_users(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_assign(
                customer=customer,
                to_user=form.cleaned_data["to_user"],
                by=request.user,
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("客户已分配给%(user)s。") % {"user": form.cleaned_data["to_user"]})
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "crm/assign_form.html", {"form": form, "customer": customer})


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def followup_create(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
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


@page_open_to(policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def contact_create(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = visible_customer_or_404(request, pk)
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
