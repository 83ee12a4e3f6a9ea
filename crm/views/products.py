"""Issue 16 pages: the product catalogue and price book — list with search, filters and keyset pages
(the price in force on a chosen day), product form, price rows, Excel import (row report) and export."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from common.timeutil import local_today
from crm import policy
from crm.models import ImportKind, Product
from crm.pipeline_forms import ProductFilterForm, ProductForm, ProductImportForm, ProductPriceForm
from crm.services import catalog
from crm.services import imports as import_services
from crm.views.paging import page_context


def _product_or_404(pk: int) -> Product:
    product = Product.objects.select_related("category").filter(pk=pk).first()
    if product is None:
        raise Http404
    return product


def _filtered(request: AuthedRequest) -> tuple[ProductFilterForm, dict]:
    form = ProductFilterForm(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {}
    on = d.get("on") or local_today()
    if not dt.date(2000, 1, 1) <= on <= dt.date(2100, 12, 31):
        on = local_today()
    qs = catalog.product_search(q=d.get("q", ""), category=d.get("category", ""), active=d.get("active", ""))
    return form, {"qs": qs, "on": on}


@page_open_to(policy.can_open_price_book)
def product_list(request: AuthedRequest) -> HttpResponse:
    form, f = _filtered(request)
    page = page_context(request, f["qs"])
    prices = {
        p.pk: price
        for p, price in catalog.products_with_price(
            Product.objects.filter(pk__in=[p.pk for p in page["rows"]]), f["on"]
        )
    }
    rows = [(p, prices.get(p.pk)) for p in page["rows"]]
    return render(
        request,
        "crm/product_list.html",
        {
            **page,
            "rows": rows,
            "filter_form": form,
            "on": f["on"],
            "may_manage": policy.can_manage_price_book(request.user),
        },
    )


@page_open_to(policy.can_open_price_book)
def product_export(request: AuthedRequest) -> HttpResponse:
    _form, f = _filtered(request)
    content = catalog.product_export(f["qs"], on=f["on"])
    resp = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp["Content-Disposition"] = f'attachment; filename="price-book-{f["on"]:%Y%m%d}.xlsx"'
    return resp


@page_open_to(policy.can_open_price_book)
@require_http_methods(["GET", "POST"])
def product_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    product = _product_or_404(pk)
    may_manage = policy.can_manage_price_book(request.user)
    price_form = ProductPriceForm(
        request.POST if request.method == "POST" else None, initial={"effective_from": local_today()}
    )
    if request.method == "POST":
        if not may_manage:
            raise Http404
        if price_form.is_valid():
            try:
                catalog.product_price_set(by=request.user, product=product, **price_form.cleaned_data)
            except DomainError as exc:
                add_domain_error(price_form, exc)
            else:
                messages.success(request, _("价格已保存。"))
                return redirect("crm:product_detail", pk=product.pk)
    return render(
        request,
        "crm/product_detail.html",
        {
            "product": product,
            "prices": product.prices.select_related("created_by").order_by("-effective_from"),
            "in_force": catalog.price_in_force(product),
            "form": price_form,
            "may_manage": may_manage,
        },
    )


@page_open_to(policy.can_manage_price_book)
@require_http_methods(["GET", "POST"])
def product_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    product = _product_or_404(pk) if pk else None
    initial = (
        {
            "code": product.code,
            "name": product.name,
            "category": product.category_id,
            "unit": product.unit,
            "cost_basis": product.cost_basis,
            "active": product.active,
        }
        if product
        else None
    )
    form = ProductForm(request.POST or None, initial=initial)
    price_form = ProductPriceForm(request.POST or None, prefix="price") if product is None else None
    if request.method == "POST" and form.is_valid() and (price_form is None or price_form.is_valid()):
        try:
            saved = catalog.product_create_or_update(
                by=request.user,
                product=product,
                price=price_form.cleaned_data if price_form is not None else None,
                **form.cleaned_data,
            )
        except DomainError as exc:
            add_domain_error(
                price_form if price_form is not None and exc.field in price_form.fields else form, exc
            )
        else:
            messages.success(request, _("产品已保存。"))
            return redirect("crm:product_detail", pk=saved.pk)
    return render(
        request, "crm/product_form.html", {"form": form, "price_form": price_form, "product": product}
    )


@page_open_to(policy.can_manage_price_book)
@require_http_methods(["GET", "POST"])
def product_import(request: AuthedRequest) -> HttpResponse:
    """The price book's Excel import runs as a background import job (crm.services.imports, kind
    product): the file is checked now, the rows are imported in batches, the job page shows the progress
    and the row-by-row result."""
    form = ProductImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_services.import_job_start(
                by=request.user, kind=ImportKind.PRODUCT, filename=upload.name, content=upload.read()
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("crm:import_job", pk=job.pk)
    return render(request, "crm/product_import.html", {"form": form})
