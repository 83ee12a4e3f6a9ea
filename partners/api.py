"""REST API for partners, collisions and credit: the same services and selectors as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.access import api_open_to
from common.auth import request_user
from common.timeutil import local_today, parse_month, sane_range_message
from crm import policy as crm_policy
from crm.models import Customer, Order, User
from partners import policy, selectors
from partners.disclosure import entered_by
from partners.models import (
    CollisionAction,
    CollisionCase,
    CollisionEvent,
    CollisionParty,
    CreditShare,
    Partner,
    PartnerKind,
    Referral,
)
from partners.services import (
    account_executive_attach,
    account_executive_detach,
    collision_transition,
    partner_register,
    referral_create,
)


class PartySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = CollisionParty
        fields = [
            "id",
            "name",
            "user",
            "partner",
            "role",
            "registered_at",
            "first_contact_at",
            "agreed_at",
            "split_share",
        ]


class CollisionListSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    parties = PartySerializer(many=True, read_only=True)

    class Meta:
        model = CollisionCase
        fields = [
            "id",
            "customer",
            "customer_name",
            "source",
            "status",
            "region",
            "opened_at",
            "deadline",
            "proposed_rule",
            "proposed_winner",
            "resolution",
            "winner",
            "resolved_at",
            "parties",
        ]


class FollowUpEvidenceSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    channel = serializers.CharField()
    topic = serializers.CharField()
    outcome = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    by_name = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()  # issue 15: a system comment in the reader's language

    class Meta:
        model = CollisionEvent
        fields = ["action", "from_status", "to_status", "by", "by_name", "at", "comment", "data"]

    def get_by_name(self, obj: CollisionEvent) -> str:
        return str(obj.by) if obj.by_id else _("系统")

    def get_comment(self, obj: CollisionEvent) -> str:
        return obj.comment_text


@extend_schema_serializer(component_name="CollisionTransition")
class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=CollisionAction.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    winner = serializers.IntegerField(required=False, allow_null=True, default=None)
    shares = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text='party id -> fraction, e.g. {"12": "0.5", "13": "0.5"}; must sum to 1',
    )


def _masked(data: dict[str, Any], case: CollisionCase, disclosure: Any, entered: str = "") -> dict[str, Any]:
    """Issue 17: the API tells a party no more than the page (partners.policy.collision_disclosure)."""
    if disclosure.reveal:
        return data
    data["customer"] = None
    data["customer_name"] = disclosure.customer_name(case, entered)
    parties = {p.pk: p for p in case.parties.all()}
    for row in data["parties"]:
        party = parties[row["id"]]
        row["name"] = disclosure.party_name(party)
        if not disclosure.shows_party(party):
            row["user"] = row["partner"] = None
    return data


class CollisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """`?inbox=1` = the "撞单" inbox (open cases where I am a party or the deciding regional manager)."""

    permission_classes = [api_open_to(policy.can_open_collisions)]

    serializer_class = CollisionListSerializer
    queryset = CollisionCase.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        user = request_user(self.request)
        params = self.request.query_params
        if params.get("inbox") in ("1", "true"):
            qs = policy.collision_inbox(user)
        else:
            qs = policy.collisions_visible_to(user)
        qs = selectors.collision_filter(qs, q=params.get("q", ""), status=params.get("status", ""))
        return selectors.collision_list_rows(qs)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        cases = list(page) if page is not None else list(self.get_queryset())
        disclosures = policy.collision_disclosures(request_user(request), cases)
        rows = [_masked(dict(CollisionListSerializer(c).data), c, disclosures[c.pk]) for c in cases]
        return self.get_paginated_response(rows) if page is not None else Response(rows)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case = self.get_object()
        disclosure = policy.collision_disclosure(request_user(request), case)
        data = _masked(
            dict(CollisionListSerializer(case).data), case, disclosure, entered_by(case, disclosure)
        )
        data["decision_reason"] = case.decision_reason
        data["evidence"] = [
            {
                "party": e["party"].pk,
                "followups": FollowUpEvidenceSerializer(e["followups"], many=True).data,
            }
            for e in selectors.collision_evidence(case, viewer=request_user(request))
        ]
        events = []
        for ev in EventSerializer(case.events.select_related("by"), many=True).data:
            if disclosure.hides_actor(ev["by"]):
                ev.update(by=None, by_name=_("对方"), comment="", data={})
            events.append(ev)
        data["events"] = events
        return Response(data)

    @extend_schema(request=TransitionSerializer, responses=CollisionListSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        ser = TransitionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        case = collision_transition(
            case=case,
            action=d["action"],
            by=request_user(request),
            reason=d["reason"],
            shares=d["shares"],
            winner_party_id=d["winner"],
        )
        case = selectors.collision_list_rows(CollisionCase.objects.filter(pk=case.pk)).get()
        return Response(CollisionListSerializer(case).data)


class ReportView(APIView):
    permission_classes = [api_open_to(policy.can_open_collision_report)]

    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM (default: this month)")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        user = request_user(request)
        month = local_today().replace(day=1)
        raw = request.query_params.get("month", "")
        if raw:
            parsed = parse_month(raw)  # issue 17: 9999-12 is refused like a typo, not a server error
            if parsed is None:
                message = _("月份格式应为 YYYY-MM。") + sane_range_message()
                return Response({"detail": message, "month": [message]}, status=400)
            month = parsed
        rows = selectors.collision_report(user=user, month=month)
        for r in rows:
            r["avg_days"] = str(r["avg_days"]) if r["avg_days"] is not None else None
        return Response({"month": month.strftime("%Y-%m"), "rows": rows})


class CreditShareSerializer(serializers.ModelSerializer):
    holder = serializers.SerializerMethodField()

    class Meta:
        model = CreditShare
        fields = ["id", "user", "partner", "holder", "role", "share"]

    def get_holder(self, obj: CreditShare) -> str:
        return str(obj.user or obj.partner)


class OrderCreditSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    number = serializers.CharField()
    booked_at = serializers.DateTimeField()
    shares = CreditShareSerializer(many=True)
    total = serializers.CharField()


@extend_schema(responses=OrderCreditSerializer)
@api_view(["GET"])
def order_credit(request: Request, pk: int) -> Response:
    order = policy.order_credit_visible(request_user(request), pk)
    if order is None:
        raise Http404
    shares = selectors.credit_shares_of(order)
    return Response(
        {
            "order": order.pk,
            "number": order.number,
            "booked_at": order.booked_at,
            "shares": CreditShareSerializer(shares, many=True).data,
            "total": str(sum((s.share for s in shares), start=0)),
        }
    )


class ExecutiveSerializer(serializers.Serializer):
    executive = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))


class ExecutiveView(APIView):
    """POST attaches a customer executive; DELETE is always refused (409) — it cannot be ended."""

    permission_classes = [api_open_to(policy.can_attach_executives)]

    def _customer(self, request: Request, pk: int) -> Customer:
        customer = crm_policy.customer_visible(request_user(request), pk)
        if customer is None:
            raise Http404
        return customer

    @extend_schema(request=ExecutiveSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        customer = self._customer(request, pk)
        ser = ExecutiveSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        att = account_executive_attach(
            customer=customer, executive=ser.validated_data["executive"], by=request_user(request)
        )
        return Response(
            {"customer": customer.pk, "executive": att.executive_id, "attached_at": att.attached_at},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses={409: OpenApiTypes.OBJECT})
    def delete(self, request: Request, pk: int) -> Response:
        account_executive_detach(customer=self._customer(request, pk), by=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)  # pragma: no cover - always refused


class PartnerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(write_only=True, required=False, allow_blank=True, default="")
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, default="")
    login = serializers.CharField(source="user.username", read_only=True, default=None)

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "phone",
            "contact",
            "bank_name",
            "account_holder",
            "account_number",
            "is_active",
            "login",
            "username",
            "password",
        ]


class PartnerViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Admins only (others get 404)."""

    permission_classes = [api_open_to(policy.can_manage_partners)]

    serializer_class = PartnerSerializer
    queryset = Partner.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        qs = Partner.objects.select_related("user", "region")
        q = self.request.query_params.get("q", "").strip()
        if q:
            qs = qs.filter(name__icontains=q)
        kind = self.request.query_params.get("kind", "")
        if kind in PartnerKind.values:
            qs = qs.filter(kind=kind)
        return qs

    def perform_create(self, serializer):  # type: ignore[no-untyped-def]
        self.get_queryset()  # permission
        data = dict(serializer.validated_data)
        serializer.instance = partner_register(by=request_user(self.request), **data)


# --- partner portal (P2) ---


class PortalCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "status", "region", "owner"]


class PortalReferralSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "customer", "customer_name", "order", "share", "created_at"]


class PortalOrderSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Order
        fields = ["id", "number", "customer", "customer_name", "booked_at", "total"]


class _PortalBase(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [api_open_to(policy.can_open_portal)]

    def partner(self) -> Partner:
        partner = policy.partner_of(request_user(self.request))
        if partner is None:
            raise Http404
        return partner


class PortalCustomerViewSet(_PortalBase):
    serializer_class = PortalCustomerSerializer
    queryset = Customer.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.partner_customers(self.partner())


class PortalReferralViewSet(_PortalBase):
    serializer_class = PortalReferralSerializer
    queryset = Referral.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.partner_referrals(self.partner())


class PortalOrderViewSet(_PortalBase):
    serializer_class = PortalOrderSerializer
    queryset = Order.objects.none()

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.partner_orders(self.partner())


class ReferralCreateSerializer(serializers.Serializer):
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    customer = serializers.IntegerField()
    order = serializers.IntegerField(required=False, allow_null=True, default=None)
    share = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ReferralView(APIView):
    """POST: a manager records a partner referral for a customer they can see (P2/P4)."""

    @extend_schema(request=ReferralCreateSerializer, responses=PortalReferralSerializer)
    def post(self, request: Request) -> Response:
        user = request_user(request)
        ser = ReferralCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        customer = crm_policy.customer_visible(user, d["customer"])
        if customer is None:
            raise Http404
        order = None
        if d["order"]:
            order = Order.objects.filter(pk=d["order"], customer=customer).first()
            if order is None:
                raise Http404
        referral = referral_create(
            partner=d["partner"], customer=customer, order=order, share=d["share"], note=d["note"], by=user
        )
        return Response(PortalReferralSerializer(referral).data, status=status.HTTP_201_CREATED)
