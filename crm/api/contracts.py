"""Q3 API: contracts with customers in the system; status moves through the one transition table."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from common.access import api_open_to
from common.auth import request_user
from common.errors import DomainError
from crm import policy
from crm.api.list_export import ListedRowsViewSet
from crm.lists import CONTRACT_LIST
from crm.models import Contract, ContractStatus
from crm.selectors import documents_matching
from crm.services import contracts as services
from crm.services import payment_plans as plan_services


class ContractSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    quote = serializers.IntegerField(source="quote_id", required=False, allow_null=True)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, required=False, allow_null=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "number",
            "customer",
            "customer_name",
            "owner",
            "quote",
            "title",
            "amount",
            "list_amount",
            "standard_template",
            "status",
            "signed_on",
            "created_at",
        ]
        # list_amount is the approved quote's (issue 17): never taken from the caller.
        read_only_fields = ["number", "owner", "status", "signed_on", "created_at", "list_amount"]
        extra_kwargs = {"title": {"required": False, "allow_blank": True}}


class ContractTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=ContractStatus.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InstalmentInSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class PaymentPlanInSerializer(serializers.Serializer):
    """Either explicit instalments (adding up to the contract amount) or an even plan."""

    instalments = InstalmentInSerializer(many=True, required=False)
    count = serializers.IntegerField(required=False, min_value=1, max_value=60)
    first_due = serializers.DateField(required=False)
    every_months = serializers.IntegerField(required=False, min_value=1, max_value=12, default=1)

    def validate(self, attrs: dict) -> dict:  # type: ignore[type-arg]
        if not attrs.get("instalments") and not (attrs.get("count") and attrs.get("first_due")):
            raise serializers.ValidationError(_("请填写各期回款计划，或期数和第一期回款日期。"))
        return attrs


class InstalmentOutSerializer(serializers.Serializer):
    seq = serializers.IntegerField(source="instalment.seq")
    due_on = serializers.DateField(source="instalment.due_on")
    amount = serializers.DecimalField(source="instalment.amount", max_digits=16, decimal_places=2)
    received = serializers.DecimalField(max_digits=16, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=16, decimal_places=2)
    state = serializers.CharField(help_text="received, partly, overdue or upcoming")


class PlanVsActualSerializer(serializers.Serializer):
    rows = InstalmentOutSerializer(many=True)
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    received = serializers.DecimalField(max_digits=16, decimal_places=2)
    due_to_date = serializers.DecimalField(max_digits=16, decimal_places=2)
    overdue = serializers.DecimalField(max_digits=16, decimal_places=2)


class ContractViewSet(ListedRowsViewSet):
    permission_classes = [api_open_to(policy.is_internal)]
    serializer_class = ContractSerializer
    queryset = Contract.objects.none()
    list_spec = CONTRACT_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = policy.contracts_visible_to(request_user(self.request)).select_related("customer")
        q = (self.request.query_params.get("q") or "").strip()
        if q:
            qs = documents_matching(qs, q)
        st = self.request.query_params.get("status")
        if st in ContractStatus.values:
            qs = qs.filter(status=st)
        # Issue 16: sort, owner / team / date filters and the total, as on the list page.
        return self.list_tools(qs) if self.action in ("list", "export") else qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        d = serializer.validated_data
        quote = None
        if d.get("quote_id"):
            quote = policy.quotes_visible_to(user).filter(pk=d["quote_id"]).first()
            if quote is None:
                raise DomainError(_("报价单不存在。"), field="quote")
        serializer.instance = services.contract_create(
            by=user,
            customer_id=d["customer_id"],
            title=d.get("title", ""),
            amount=d.get("amount"),
            standard_template=d.get("standard_template", True),
            quote=quote,
        )

    @extend_schema(request=ContractTransitionSerializer, responses=ContractSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        obj = self.get_object()  # a row the caller may not see is a 404, whatever the body
        ser = ContractTransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        contract = services.contract_transition(contract=obj, by=request_user(request), **ser.validated_data)
        return Response(ContractSerializer(contract).data)

    @extend_schema(request=PaymentPlanInSerializer, responses=PlanVsActualSerializer)
    @action(detail=True, methods=["get", "post"], url_path="payment-plan")
    def payment_plan(self, request: Request, pk: str | None = None) -> Response:
        """Issue 16: the contract's payment plan (回款计划), plan vs actual; POST replaces it."""
        contract = self.get_object()
        user = request_user(request)
        if request.method == "POST":
            if not policy.can_edit_payment_plan(user, contract):
                raise DomainError(
                    _("只有合同负责人或其上级可以制定回款计划。"), code="not_allowed", status=403
                )
            ser = PaymentPlanInSerializer(data=request.data)
            ser.is_valid(raise_exception=True)
            d = ser.validated_data
            if d.get("instalments"):
                plan_services.payment_plan_set(
                    contract=contract,
                    by=user,
                    instalments=[(i["due_on"], i["amount"]) for i in d["instalments"]],
                )
            else:
                plan_services.payment_plan_generate_even(
                    contract=contract,
                    by=user,
                    count=d["count"],
                    first_due=d["first_due"],
                    every_months=d["every_months"],
                )
        return Response(PlanVsActualSerializer(plan_services.contract_plan_vs_actual(contract)).data)
