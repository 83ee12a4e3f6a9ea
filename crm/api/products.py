"""Issue 16 API: product categories, the catalogue with the price in force on a day, price rows.
Everyone in the company reads it; writes are the price-book managers' (`crm.policy.can_manage_price_book`)
and go through the same services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from common.timeutil import local_today
from crm import policy
from crm.api.imports import ImportJobSerializer, start_job_response
from crm.models import Category, CostBasis, ImportKind, Product, ProductPrice
from crm.services import catalog

MONEY: dict[str, Any] = {"max_digits": 16, "decimal_places": 2}


def _manager_only(request: Request) -> None:
    if not policy.can_manage_price_book(request_user(request)):
        raise DomainError(_("只有销售管理、财务或管理员可以维护价格表。"), code="not_allowed", status=403)


def _on(request: Request) -> dt.date:
    text = request.query_params.get("on") or ""
    if not text:
        return local_today()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError(_("日期格式应为 2026-01-31。"), field="on") from exc
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise DomainError(_("日期超出范围。"), field="on")
    return day


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en", "active", "sort_order"]


class PriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductPrice
        fields = ["id", "effective_from", "list_price", "floor_price", "unit_cost"]


class ProductSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    category_name = serializers.CharField(source="category.label", read_only=True)
    cost_basis = serializers.ChoiceField(choices=CostBasis.choices, default=CostBasis.OWN)
    price = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "code", "name", "category", "category_name", "unit", "cost_basis", "active", "price"]

    def get_price(self, obj: Product) -> dict[str, Any] | None:
        """The price in force on ?on= (default today), or null when the product has none yet."""
        price = self.context.get("prices", {}).get(obj.pk, "missing")
        if price == "missing":
            price = catalog.price_in_force(obj, self.context.get("on"))
        return PriceSerializer(price).data if price else None


class ProductImportSerializer(serializers.Serializer):
    file = serializers.FileField()


class ProductCreateSerializer(ProductSerializer):
    first_price = PriceSerializer(write_only=True, required=False)

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "first_price"]


class ProductCategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The product categories (codes are what commission plans key their rates by)."""

    permission_classes = [api_open_to(policy.can_open_price_book)]
    serializer_class = CategorySerializer
    queryset = Category.objects.all()
    pagination_class = None

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        _manager_only(self.request)
        serializer.save()

    def perform_update(self, serializer):  # type: ignore[no-untyped-def]
        _manager_only(self.request)
        if (
            "code" in serializer.validated_data
            and serializer.validated_data["code"] != serializer.instance.code
        ):
            raise DomainError(_("类别编码已被提成方案使用，不能修改。"), code="code_locked", field="code")
        serializer.save()


class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """?q= (code or name), ?category= (code), ?active=1|0, ?on=YYYY-MM-DD (which day's price)."""

    permission_classes = [api_open_to(policy.can_open_price_book)]
    queryset = Product.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        p = self.request.query_params
        return catalog.product_search(
            q=p.get("q", ""), category=p.get("category", ""), active=p.get("active", "")
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        return ProductCreateSerializer if self.action == "create" else ProductSerializer

    def get_serializer_context(self):  # type: ignore[no-untyped-def]
        ctx = super().get_serializer_context()
        ctx["on"] = _on(self.request)
        return ctx

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        qs = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(qs)
        rows = page if page is not None else list(qs)
        ctx = self.get_serializer_context()
        on_sale = catalog.products_with_price(Product.objects.filter(pk__in=[p.pk for p in rows]), ctx["on"])
        ctx["prices"] = {p.pk: price for p, price in on_sale}
        data = ProductSerializer(rows, many=True, context=ctx).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _manager_only(request)
        ser = ProductCreateSerializer(data=request.data, context=self.get_serializer_context())
        ser.is_valid(raise_exception=True)
        d = dict(ser.validated_data)
        price = d.pop("first_price", None)
        product = catalog.product_create_or_update(by=request_user(request), product=None, price=price, **d)
        return Response(
            ProductSerializer(product, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        _manager_only(request)
        product = self.get_object()
        ser = ProductSerializer(product, data=request.data, partial=kwargs.get("partial", False))
        ser.is_valid(raise_exception=True)
        d = {
            "code": product.code,
            "name": product.name,
            "category": product.category,
            "unit": product.unit,
            "cost_basis": product.cost_basis,
            "active": product.active,
            **ser.validated_data,
        }
        product = catalog.product_create_or_update(by=request_user(request), product=product, **d)
        return Response(ProductSerializer(product, context=self.get_serializer_context()).data)

    @extend_schema(request=ProductImportSerializer, responses={202: ImportJobSerializer})
    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser])
    def import_file(self, request: Request) -> Response:
        """The page's Excel import, as a background import job (202 with the job; GET /api/imports/<id>/
        for its progress and, once finished, the row-by-row report)."""
        _manager_only(request)
        ser = ProductImportSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        return start_job_response(request, kind=ImportKind.PRODUCT, upload=ser.validated_data["file"])

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes}
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """The filtered catalogue as .xlsx with the price in force on ?on= (the import's columns)."""
        day = _on(request)
        resp = HttpResponse(
            catalog.product_export(self.get_queryset(), on=day),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        resp["Content-Disposition"] = f'attachment; filename="price-book-{day:%Y%m%d}.xlsx"'
        return resp

    @extend_schema(request=PriceSerializer, responses=PriceSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def prices(self, request: Request, pk: str | None = None) -> Response:
        """GET: the product's price rows, newest first. POST: add (or correct) the row of a start day."""
        product = self.get_object()
        if request.method == "POST":
            _manager_only(request)
            ser = PriceSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            row = catalog.product_price_set(by=request_user(request), product=product, **ser.validated_data)
            return Response(PriceSerializer(row).data, status=status.HTTP_201_CREATED)
        rows = product.prices.order_by("-effective_from")
        return Response(PriceSerializer(rows, many=True).data)
