"""Partner, collision and credit pages. Each view validates input, calls one service or selector, renders."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error, form_saved
from common.timeutil import local_today
from crm import policy as crm_policy
from crm.selectors import normalize_name
from crm.views.paging import page_context
from partners import policy, selectors, services
from partners.disclosure import entered_by
from partners.forms import (
    CollisionActionForm,
    CollisionFilterForm,
    ExecutiveAttachForm,
    MonthForm,
    PartnerRegisterForm,
    ReferralForm,
)
from partners.models import CollisionAction, CollisionStatus, Partner
from partners.services import (
    account_executive_attach,
    collision_default_split,
    collision_transition,
    partner_register,
)

PAGE_SIZE = 30


@page_open_to(policy.can_open_collisions)
def collision_list(request: AuthedRequest) -> HttpResponse:
    """The "撞单" inbox (default) or every case I may see, with search and keyset paging."""
    form = CollisionFilterForm(request.GET or None)
    scope, q, status = "inbox", "", ""
    if form.is_valid():
        scope = form.cleaned_data["scope"] or "inbox"
        q, status = form.cleaned_data["q"], form.cleaned_data["status"]
    if scope == "all":
        qs = policy.collisions_visible_to(request.user)
    else:
        qs = policy.collision_inbox(request.user)
    qs = selectors.collision_list_rows(selectors.collision_filter(qs, q=q, status=status))
    page = page_context(request, qs, size=PAGE_SIZE)
    rows = page["rows"]
    disclosures = policy.collision_disclosures(request.user, rows)
    for c in rows:  # issue 17: customer and other parties only for those the policy lets see them
        d = disclosures[c.pk]
        c.customer_label = d.customer_name(c)
        c.party_names = [d.party_name(p) for p in c.parties.all()]
    return render(
        request,
        "partners/collision_list.html",
        {
            "form": form,
            "cases": rows,
            "scope": scope,
            "can_refer": policy.can_record_referral(request.user),
            "may_see_report": policy.can_open_collision_report(request.user),
            "next_cursor": page["next_cursor"],
            "after": page["after"],
            "params": page["params"],
        },
    )


@page_open_to(policy.can_open_collisions)
def collision_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    case = policy.collision_visible(request.user, pk)
    if case is None:
        raise Http404
    default = collision_default_split(case=case)
    initial = {f"share_{pk}": format((share * 100).normalize(), "f") for pk, share in default.items()}
    disclosure = policy.collision_disclosure(request.user, case)
    form = CollisionActionForm(case=case, initial=initial, name_of=disclosure.party_name)
    return _render_detail(request, case, form, disclosure)


def _render_detail(request: AuthedRequest, case, form: CollisionActionForm, disclosure) -> HttpResponse:  # type: ignore[no-untyped-def]
    my_party = selectors.party_for_user(case, request.user)
    evidence = selectors.collision_evidence(case, viewer=request.user)
    for e in evidence:
        e["name"] = disclosure.party_name(e["party"])
        e["statement"] = e["party"].statement if disclosure.shows_party(e["party"]) else ""
    events = list(case.events.select_related("by").all())
    for ev in events:
        ev.by_name = disclosure.actor_name(ev.by)
        if disclosure.hides_actor(ev.by_id):
            ev.comment, ev.comment_words = "", None  # the other side's words stay with the decider
    names = {p.pk: disclosure.party_name(p) for p in case.parties.all()}
    return render(
        request,
        "partners/collision_detail.html",
        {
            "case": case,
            "customer_name": disclosure.customer_name(case, entered_by(case, disclosure)),
            "reveal": disclosure.reveal,
            "proposed_winner_name": names.get(case.proposed_winner_id, ""),
            "winner_name": names.get(case.winner_id, ""),
            "evidence": evidence,
            "events": events,
            "my_party": my_party,
            "is_decider": policy.can_decide_collision(request.user, case),
            "form": form,
            "A": CollisionAction,
            "S": CollisionStatus,
        },
    )


@page_open_to(policy.can_open_collisions)
@require_POST
def collision_act(request: AuthedRequest, pk: int) -> HttpResponse:
    case = policy.collision_visible(request.user, pk)
    if case is None:
        raise Http404
    disclosure = policy.collision_disclosure(request.user, case)
    form = CollisionActionForm(request.POST, case=case, name_of=disclosure.party_name)
    if form.is_valid():
        try:
            collision_transition(
                case=case,
                action=form.cleaned_data["action"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                shares=form.shares(),
                winner_party_id=form.cleaned_data["winner"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("已保存。"))
            return redirect("partners:collision_detail", pk=case.pk)
    case = policy.collision_visible(request.user, pk)
    if case is None:
        raise Http404
    return _render_detail(request, case, form, policy.collision_disclosure(request.user, case))


@page_open_to(policy.can_open_collision_report)
def collision_report(request: AuthedRequest) -> HttpResponse:
    """Managers: per team and month, opened/open cases, how resolved, how long they took."""
    form = MonthForm(request.GET or None)
    month = form.month_or(local_today())
    return render(
        request,
        "partners/collision_report.html",
        {"form": form, "month": month, "rows": selectors.collision_report(user=request.user, month=month)},
    )


@page_open_to(crm_policy.is_signed_in)
def order_credit(request: AuthedRequest, pk: int) -> HttpResponse:
    order = policy.order_credit_visible(request.user, pk)
    if order is None:
        raise Http404
    shares = selectors.credit_shares_of(order)
    return render(
        request,
        "partners/order_credit.html",
        {"order": order, "shares": shares, "total": sum((s.share for s in shares), start=0)},
    )


@page_open_to(crm_policy.can_open_customers)
@require_http_methods(["GET", "POST"])
def executive_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    customer = crm_policy.customer_visible(request.user, pk)
    if customer is None:
        raise Http404
    form = ExecutiveAttachForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_executive_attach(
                customer=customer, executive=form.cleaned_data["executive"], by=request.user
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("客户执行已安排。"))
            return redirect("crm:customer_detail", pk=customer.pk)
    return render(request, "partners/executive_form.html", {"form": form, "customer": customer})


def _portal_partner(request: AuthedRequest) -> Partner:
    partner = policy.partner_of(request.user)
    if partner is None:
        raise Http404
    return partner


@page_open_to(policy.can_open_portal)
def portal(request: AuthedRequest) -> HttpResponse:
    """P2: a partner sees only their own customers, referrals and sales."""
    partner = _portal_partner(request)
    customers = list(selectors.partner_customers(partner).select_related("region").order_by("-id")[:50])
    referrals = list(selectors.partner_referrals(partner).order_by("-id")[:50])
    orders = list(selectors.partner_orders(partner).order_by("-booked_at", "-id")[:50])
    share = selectors.partner_order_share(partner, orders)
    for o in orders:
        o.partner_share = share.get(o.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "partners/portal.html",
        {"partner": partner, "customers": customers, "referrals": referrals, "orders": orders},
    )


@page_open_to(policy.can_manage_partners)
def partner_list(request: AuthedRequest) -> HttpResponse:
    qs = Partner.objects.select_related("region", "user")
    q = (request.GET.get("q") or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    kind = request.GET.get("kind") or ""
    if kind:
        qs = qs.filter(kind=kind)
    page = page_context(request, qs, size=PAGE_SIZE)
    return render(
        request,
        "partners/partner_list.html",
        {
            "partners": page["rows"],
            "q": q,
            "kind": kind,
            "next_cursor": page["next_cursor"],
            "after": page["after"],
            "params": page["params"],
        },
    )


@page_open_to(policy.can_manage_partners)
@require_http_methods(["GET", "POST"])
def partner_create(request: AuthedRequest) -> HttpResponse:
    form = PartnerRegisterForm(request.POST or None)
    if request.method == "POST" and form_saved(
        request, form, lambda d: partner_register(by=request.user, **d), _("合伙人已登记。")
    ):
        return redirect("partners:partner_list")
    return render(request, "partners/partner_form.html", {"form": form})


@page_open_to(policy.can_record_referral)
@require_http_methods(["GET", "POST"])
def referral_create(request: AuthedRequest) -> HttpResponse:
    """P2: a manager records that a partner referred a customer (the customer must be one they see)."""
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        customer = (
            crm_policy.customers_visible_to(request.user)
            .filter(name_normalized=normalize_name(d["customer_name"]))
            .first()
        )
        if customer is None:
            form.add_error("customer_name", _("没有找到您可查看的该客户，请填写客户全称。"))
        else:
            try:
                services.referral_create(
                    partner=d["partner"],
                    customer=customer,
                    by=request.user,
                    share=(d["share"] / 100) if d["share"] is not None else None,
                    note=d["note"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, _("推荐已登记。"))
                return redirect("partners:referral_create")
    return render(request, "partners/referral_form.html", {"form": form})
