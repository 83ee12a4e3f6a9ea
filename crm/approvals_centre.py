"""The approvals centre (issue 15): the CRM's tabs — quotes, discounts, new customers, contracts and the
other matrix decisions — registered through `crm.extensions` like the tabs of the higher apps
(settlements, collisions). Each tab reads what waits for the user from the existing selectors and
decides through the existing services (`crm.services.approvals.approval_decide`,
`crm.services.customers.customer_review_transition`): no rule is restated here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Prefetch, QuerySet
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import NotFound
from common.fen import format_cny, pct
from common.menu import count_capped
from crm import policy
from crm.extensions import ApprovalCard, ApprovalTab, approval_tabs, register_approval_tab
from crm.models import ApprovalKind, ApprovalRequest, ApprovalStep, StepStatus, User
from crm.selectors import customer_review_queue
from crm.services import approvals as approval_services
from crm.services import customers as customer_services

K = ApprovalKind
# Which matrix kinds each CRM tab holds (every kind of the matrix is in exactly one tab).
TAB_KINDS: dict[str, tuple[str, ...]] = {
    "quotes": (K.QUOTE_DISCOUNT,),
    "discounts": (K.CUSTOMER_REBATE, K.MAKE_GOOD_PLATFORM, K.MAKE_GOOD_DATABASE, K.BELOW_FLOOR),
    "contracts": (K.CONTRACT, K.AGREEMENT_CHANGE, K.ORDER_OVER_CONTRACT, K.EXECUTION_ORDER),
    "other": (K.WRITE_OFF, K.KEY_ACCOUNT_CLASS),
}
# Bulk approval is offered where approving needs nothing but a yes: quotes and discounts (a below-floor
# sale needs the rate its approver sets, so its card is left out of the bulk selection). Contracts and
# the other kinds are read one by one.
BULK_TABS = frozenset({"quotes", "discounts"})


def when_text(value: Any) -> str:
    return date_format(localtime(value), "Y-m-d H:i") if value else ""


# --- the matrix tabs --------------------------------------------------------------------------------


def waiting_requests(*, user: User, kinds: Iterable[str]) -> QuerySet[ApprovalRequest]:
    """Requests of these kinds whose current step this user may decide, oldest first, with their steps
    (for the history) in a fixed number of queries."""
    steps = approval_services.approvals_waiting_for(user=user)
    return (
        ApprovalRequest.objects.filter(pk__in=steps.values("request_id"), kind__in=list(kinds))
        .select_related("requested_by", "rule", "content_type")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ApprovalStep.objects.select_related("decided_by", "assignee").order_by("order"),
            )
        )
        .order_by("created_at", "id")
    )


def _subjects(requests: list[ApprovalRequest]) -> dict[tuple[int, int], Model]:
    """The records behind the requests, one query per kind of record."""
    by_type: dict[int, list[int]] = defaultdict(list)
    for r in requests:
        by_type[r.content_type_id].append(r.object_id)
    out: dict[tuple[int, int], Model] = {}
    for ct_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(ct_id).model_class()
        if model is None:
            continue
        qs = model._default_manager.filter(pk__in=ids)
        names = {f.name for f in model._meta.get_fields()}
        if "customer" in names:
            qs = qs.select_related("customer")
        if model.__name__ == "Quote":
            qs = qs.prefetch_related("lines")
        if model.__name__ == "WriteOff":
            qs = qs.select_related("order__customer")
        for obj in qs:
            out[(ct_id, obj.pk)] = obj
    return out


def _history(req: ApprovalRequest) -> tuple[str, ...]:
    rows = []
    for step in req.steps.all():
        if step.status in (StepStatus.APPROVED, StepStatus.REJECTED):
            line = _("第%(n)d步 %(who)s %(what)s %(when)s") % {
                "n": step.order,
                "who": step.decided_by or "",
                "what": step.get_status_display(),
                "when": when_text(step.decided_at),
            }
            rows.append(f"{line}{_('：')}{step.reason_text}" if step.reason else line)
        elif step.order == req.current_order:
            rows.append(_("第%(n)d步 待 %(who)s 审批") % {"n": step.order, "who": _actor(step)})
    return tuple(rows)


def _actor(step: ApprovalStep) -> str:
    return approval_services.step_actor_label(step)


def _facts(req: ApprovalRequest, subject: Model | None) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    customer = getattr(subject, "customer", None)
    if customer is None and subject is not None and hasattr(subject, "order"):
        customer = getattr(subject.order, "customer", None)  # a write-off: its order's customer
    if customer is not None:
        facts.append((_("客户"), str(customer.name)))
    kind = req.kind
    if kind == K.QUOTE_DISCOUNT and subject is not None:
        quote: Any = subject
        floor_total = sum((line.quantity * line.floor_price for line in quote.lines.all()), Decimal("0"))
        facts += [
            (_("报价总额"), format_cny(quote.quoted_total)),
            (_("标准价总额"), format_cny(quote.list_total)),
            (_("折扣"), pct(quote.discount_ratio, 2)),
        ]
        if floor_total:
            facts.append((_("高出最低价"), format_cny(quote.quoted_total - floor_total)))
    elif kind in (K.CUSTOMER_REBATE, K.MAKE_GOOD_PLATFORM, K.MAKE_GOOD_DATABASE):
        facts.append((_("比例"), pct(req.ratio, 2)))
        base = getattr(subject, "base_amount", None)
        if base:
            facts.append((_("基数（回款或月用量）"), format_cny(base)))
        if getattr(subject, "reason", ""):
            facts.append((_("原因"), str(subject.reason)))  # type: ignore[union-attr]
    else:
        if req.amount is not None:
            facts.append((_("金额"), format_cny(req.amount)))
        if req.ratio is not None:
            facts.append((_("价格为标准价的"), pct(req.ratio, 2)))
    facts.append((_("适用规则"), req.rule.label))
    return tuple(facts)


def request_cards(*, user: User, kinds: Iterable[str], limit: int) -> list[ApprovalCard]:
    requests = list(waiting_requests(user=user, kinds=kinds)[:limit])
    subjects = _subjects(requests)
    cards = []
    for req in requests:
        subject = subjects.get((req.content_type_id, req.object_id))
        cards.append(
            ApprovalCard(
                pk=req.pk,
                title=req.heading,
                url=reverse("crm:approval_detail", args=[req.pk]),
                requester=str(req.requested_by),
                submitted_at=req.created_at,
                facts=_facts(req, subject),
                history=_history(req),
                needs_rate=req.kind == K.BELOW_FLOOR
                and req.current_order == max((s.order for s in req.steps.all()), default=0),
                approve_label=_("同意"),
            )
        )
    return cards


def request_decide(*, user: User, pk: int, approve: bool, reason: str, rate: Any = None) -> str:
    """The same service as the request's own page (Q2 engine), then what happened in words."""
    req = approval_services.approval_get_visible(user=user, pk=pk)
    req = approval_services.approval_decide(request=req, by=user, approve=approve, reason=reason, rate=rate)
    return approval_services.approval_outcome_text(req)


def _matrix_tab(key: str, label: Any, icon: str, order: int) -> ApprovalTab:
    kinds = TAB_KINDS[key]

    def visible(user: User) -> bool:
        return policy.can_open_approvals(user) and bool(policy.approval_kinds_decided_by(user) & set(kinds))

    def count(user: User) -> int:
        if not policy.can_open_approvals(user):
            return 0
        steps = approval_services.approvals_waiting_for(user=user).filter(request__kind__in=kinds)
        return count_capped(steps)

    def cards(user: User, limit: int) -> list[ApprovalCard]:
        return request_cards(user=user, kinds=kinds, limit=limit)

    return ApprovalTab(
        key=key,
        label=label,
        icon=icon,
        order=order,
        visible=visible,
        count=count,
        cards=cards,
        decide=request_decide,
        bulk=key in BULK_TABS,
    )


# --- new customers (C5) -------------------------------------------------------------------------


def customer_cards(user: User, limit: int) -> list[ApprovalCard]:
    cards = []
    for c in customer_review_queue(user=user)[:limit]:
        facts = [
            (_("等级"), c.get_grade_display() if c.grade else ""),
            (_("联系人"), f"{c.contact_person}（{c.contact_position}）"),
        ]
        if c.region_id:
            facts.append((_("大区"), str(c.region)))
        if c.industry_id:
            facts.append((_("行业"), str(c.industry)))
        cards.append(
            ApprovalCard(
                pk=c.pk,
                title=c.name,
                url=reverse("crm:customer_detail", args=[c.pk]),
                requester=str(c.owner),
                submitted_at=c.created_at,
                facts=tuple((k, v) for k, v in facts if v),
                approve_label=_("通过"),
            )
        )
    return cards


def customer_decide(*, user: User, pk: int, approve: bool, reason: str, rate: Any = None) -> str:
    from crm.models import ReviewStatus

    customer = policy.customer_visible(user, pk)
    if customer is None:
        raise NotFound(_("未找到该客户。"))
    customer = customer_services.customer_review_transition(
        customer=customer,
        by=user,
        to=ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED,
        reason=reason,
    )
    owner = customer.owner
    if approve:
        return _("已通过新客户「%(c)s」的审核，已通知 %(o)s。") % {"c": customer.name, "o": owner}
    return _("已驳回新客户「%(c)s」，已通知 %(o)s。") % {"c": customer.name, "o": owner}


def register_tabs() -> None:
    register_approval_tab(_matrix_tab("quotes", gettext_lazy("报价"), "file-dollar", 10))
    register_approval_tab(_matrix_tab("discounts", gettext_lazy("折扣与让利"), "discount", 20))
    register_approval_tab(
        ApprovalTab(
            key="customers",
            label=gettext_lazy("新客户"),
            icon="user-check",
            order=30,
            visible=policy.can_open_review_queue,
            count=policy.review_waiting_count,
            cards=customer_cards,
            decide=customer_decide,
            bulk=True,
            list_url="crm:review_queue",
        )
    )
    register_approval_tab(_matrix_tab("contracts", gettext_lazy("合同"), "file-text", 40))
    register_approval_tab(_matrix_tab("other", gettext_lazy("核销与分类"), "receipt-off", 70))


# --- the centre as a whole ---------------------------------------------------------------------------


def tabs_for(user: User) -> list[ApprovalTab]:
    """The tabs this user may act on, in order."""
    return [t for t in approval_tabs() if t.visible(user)]


def waiting_total(user: Any) -> int:
    """The menu badge of the centre: everything waiting for this user's decision, in a fixed number of
    queries — the matrix kinds in one query (every matrix kind is in one CRM tab), each other tab in
    its own capped count."""
    if not policy.can_open_approvals(user):
        return 0
    total = policy.approvals_waiting_count(user)
    for tab in approval_tabs():
        if tab.key not in TAB_KINDS and tab.visible(user):
            total += tab.count(user)
    return total
