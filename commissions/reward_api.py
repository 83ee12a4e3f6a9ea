"""K14 REST API: the same policy scopes, selectors and services as the reward pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from commissions import policy
from commissions.models import CommissionLine, PartnerPerk, PartnerPerkEvent
from commissions.reward_forms import ChampionFilterForm, PerkFilterForm, ReviewFilterForm
from commissions.reward_selectors import champion_filter, perk_filter, upgrade_review
from commissions.services.perks import partner_perk_redeem
from common.access import api_open_to
from common.auth import request_user
from common.timeutil import local_today, quarter_last_month, quarter_of


class PerkEventSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    by_name = serializers.SerializerMethodField()
    note = serializers.CharField(source="note_text", read_only=True)  # issue 15: the reader's language

    class Meta:
        model = PartnerPerkEvent
        fields = ["action", "action_display", "by", "by_name", "at", "note"]

    def get_by_name(self, obj: PartnerPerkEvent) -> str:
        return (obj.by.display_name or obj.by.username) if obj.by else ""


class PerkSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reason = serializers.CharField(source="reason_text", read_only=True)  # issue 15: the reader's language
    events = PerkEventSerializer(many=True, read_only=True)

    class Meta:
        model = PartnerPerk
        fields = [
            "id",
            "partner",
            "partner_name",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "earned_for",
            "valid_from",
            "valid_until",
            "reason",
            "figures",
            "target",
            "events",
        ]


class RedeemSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300)


class PerkViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Perks: a partner its own, a regional manager its region's, the top roles all. `?q=&status=&kind=`."""

    serializer_class = PerkSerializer
    permission_classes = [api_open_to(policy.can_open_perks)]

    def get_queryset(self) -> Any:
        form = PerkFilterForm(self.request.query_params or None)
        d = form.cleaned_data if form.is_valid() else {}
        qs = perk_filter(
            policy.perks_visible_to(self.request.user),
            q=d.get("q", ""),
            status=d.get("status", ""),
            kind=d.get("kind", ""),
        )
        return qs.prefetch_related("events__by").order_by("-id")

    @extend_schema(request=RedeemSerializer, responses=PerkSerializer)
    @action(detail=True, methods=["post"])
    def redeem(self, request: Request, pk: str | None = None) -> Response:
        perk = self.get_object()
        if not policy.can_redeem_perk(request.user, perk):
            raise PermissionDenied  # sees the perk (its partner) but records no use of it
        data = RedeemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        perk = partner_perk_redeem(perk=perk, by=request_user(request), note=data.validated_data["note"])
        fresh = self.get_queryset().get(pk=perk.pk)
        return Response(PerkSerializer(fresh).data)


class ChampionSerializer(serializers.ModelSerializer):
    winner = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = CommissionLine
        fields = [
            "id",
            "reason",
            "component",
            "winner",
            "payee_user",
            "payee_partner",
            "base",
            "amount",
            "period",
            "status",
            "status_display",
            "text",
        ]

    def get_winner(self, obj: CommissionLine) -> str:
        if obj.payee_partner is not None:
            return obj.payee_partner.name
        return (obj.payee_user.display_name or obj.payee_user.username) if obj.payee_user else ""

    def get_text(self, obj: CommissionLine) -> str:
        exp = obj.explanation if isinstance(obj.explanation, dict) else {}
        return str(exp.get("text", ""))


class ChampionList(generics.ListAPIView):
    """Sales champions (`?period_kind=month|quarter|year&year=2026`): employees see all, a partner its own."""

    serializer_class = ChampionSerializer
    permission_classes = [api_open_to(policy.can_open_champions)]

    def get_queryset(self) -> Any:
        form = ChampionFilterForm(self.request.query_params or None)
        d = form.cleaned_data if form.is_valid() else {}
        return champion_filter(
            policy.champion_lines_visible_to(self.request.user),
            period_kind=d.get("period_kind", ""),
            year=d.get("year"),
        ).order_by("-id")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@extend_schema(responses=dict)
@api_view(["GET"])
@permission_classes([api_open_to(policy.can_open_upgrade_review)])
def upgrade_review_api(request: Request) -> Response:
    """The quarterly review (`?year=&quarter=`): each partner's year-to-date sales against its annual
    target and the upgrade it would earn now, in words."""
    today = local_today()
    form = ReviewFilterForm(request.query_params or None)
    if request.query_params and not form.is_valid():
        return Response({"errors": form.errors}, status=400)
    d = form.cleaned_data if form.is_bound else {}
    year = d.get("year") or today.year
    quarter = d.get("quarter") or quarter_of(today)
    rows = upgrade_review(
        partners=policy.review_partners_visible_to(request.user),
        year=year,
        through=quarter_last_month(year, quarter),
    )
    return Response(
        {
            "year": year,
            "quarter": quarter,
            "rows": [
                {
                    "partner": r.partner.pk,
                    "name": r.partner.name,
                    "kind": r.partner.kind,
                    "region": str(r.partner.region or ""),
                    "target": _str(r.target),
                    "sales": str(r.sales),
                    "attainment_percent": _str(r.attainment),
                    "strategic_target": _str(r.strategic_target),
                    "candidate_for": r.candidate_for,
                    "to_go": r.to_go,
                }
                for r in rows
            ],
        }
    )
