"""K14 pages: sales champions, partner perks (list, detail with trail, recording use) and the quarterly
review of annual targets. No business rules here: policy scopes, services write, selectors read."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from commissions import policy
from commissions.models import PartnerPerk
from commissions.reward_forms import ChampionFilterForm, PerkFilterForm, PerkRedeemForm, ReviewFilterForm
from commissions.reward_selectors import champion_filter, perk_filter, upgrade_review
from commissions.services.perks import partner_perk_redeem
from common.access import page_open_to
from common.auth import AuthedRequest
from common.forms import form_saved
from common.timeutil import local_today, quarter_last_month, quarter_of
from crm.views.paging import page_context

PAGE_SIZE = 50


def _page(request: AuthedRequest, qs: Any) -> dict[str, Any]:
    return page_context(request, qs, size=PAGE_SIZE)


@page_open_to(policy.can_open_champions)
def champion_list(request: AuthedRequest) -> HttpResponse:
    form = ChampionFilterForm(request.GET or None)
    kind, year = "", None
    if form.is_valid():
        kind, year = form.cleaned_data["period_kind"], form.cleaned_data["year"]
    qs = champion_filter(policy.champion_lines_visible_to(request.user), period_kind=kind, year=year)
    return render(request, "commissions/rewards/champions.html", {"form": form, **_page(request, qs)})


@page_open_to(policy.can_open_perks)
def perk_list(request: AuthedRequest) -> HttpResponse:
    form = PerkFilterForm(request.GET or None)
    q = status = kind = ""
    if form.is_valid():
        q, status, kind = form.cleaned_data["q"], form.cleaned_data["status"], form.cleaned_data["kind"]
    qs = perk_filter(policy.perks_visible_to(request.user), q=q, status=status, kind=kind)
    return render(
        request,
        "commissions/rewards/perks.html",
        {
            "form": form,
            "staff": policy.manages_partner_rewards(request.user),
            "may_review": policy.can_open_upgrade_review(request.user),
            **_page(request, qs),
        },
    )


def _perk(request: AuthedRequest, pk: int) -> PartnerPerk:
    perk = perk_filter(policy.perks_visible_to(request.user)).filter(pk=pk).first()
    if perk is None:
        raise Http404
    return perk


@page_open_to(policy.can_open_perks)
@require_http_methods(["GET", "POST"])
def perk_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    perk = _perk(request, pk)
    may_redeem = policy.can_redeem_perk(request.user, perk)
    form = PerkRedeemForm(request.POST or None)
    if request.method == "POST":
        if not may_redeem:
            raise PermissionDenied
        redeem = partial(partner_perk_redeem, perk=perk, by=request.user)
        if form_saved(request, form, lambda data: redeem(note=data["note"]), _("已登记使用。")):
            return redirect("commissions:perk_detail", pk=perk.pk)
    events = perk.events.select_related("by").all()
    return render(
        request,
        "commissions/rewards/perk_detail.html",
        {"perk": perk, "events": events, "form": form, "may_redeem": may_redeem and perk.status == "granted"},
    )


@page_open_to(policy.can_open_upgrade_review)
def upgrade_review_page(request: AuthedRequest) -> HttpResponse:
    today = local_today()
    form = ReviewFilterForm(request.GET or None)
    year, quarter = today.year, quarter_of(today)
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        quarter = form.cleaned_data["quarter"] or quarter
    partners = policy.review_partners_visible_to(request.user)
    rows = upgrade_review(partners=partners, year=year, through=quarter_last_month(year, quarter))
    return render(
        request,
        "commissions/rewards/review.html",
        {"form": form, "rows": rows, "year": year, "quarter": quarter},
    )
