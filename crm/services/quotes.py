"""Q1/Q2: quotes. Only for customers with an on-site visit; a quote below list price is approved
through the authority matrix before it can be sent or turned into a contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.deferred_text import words
from common.errors import DomainError
from common.fen import pct
from common.money import QUANTITY_LIMIT, ZERO, check_amount_fits, round_fen
from common.timeutil import local_today
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    Customer,
    FollowUp,
    Opportunity,
    Quote,
    QuoteLine,
    QuoteStatus,
    StatusChange,
    User,
)
from crm.models.customers import ONSITE_CHANNELS
from crm.services import catalog
from crm.services.approvals import approval_request_create
from crm.services.numbering import assign_number, provisional_number

# One table of allowed moves: (from, to) → who may make it ("owner" or "system" = the approval engine).
QUOTE_TRANSITIONS: dict[tuple[str, str], str] = {
    (QuoteStatus.DRAFT, QuoteStatus.PENDING): "owner",
    (QuoteStatus.DRAFT, QuoteStatus.APPROVED): "system",  # at list price: nothing to approve
    (QuoteStatus.PENDING, QuoteStatus.APPROVED): "system",
    (QuoteStatus.PENDING, QuoteStatus.REJECTED): "system",
    (QuoteStatus.REJECTED, QuoteStatus.DRAFT): "owner",
    (QuoteStatus.APPROVED, QuoteStatus.SENT): "owner",
}


def customer_has_onsite_visit(customer: Customer) -> bool:
    return FollowUp.objects.filter(customer=customer, channel__in=list(ONSITE_CHANNELS)).exists()


def _decimal(value: Any, field: str, label: str) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("%(label)s不是有效的数字。") % {"label": label}, field=field) from exc
    if not d.is_finite():
        raise DomainError(_("%(label)s不是有效的数字。") % {"label": label}, field=field)
    return d


def _clean_lines(lines: list[dict[str, Any]], *, on: dt.date) -> list[QuoteLine]:
    """Each line names a catalogue product (id or code), a quantity and the price offered — as a price
    (`quoted_price`) or as a discount off list (`discount_rate`, 0.1 = 10% off; neither: list price).
    The list and floor price are the price book's on `on`; whatever list price the caller sends is ignored."""
    cleaned = []
    for i, raw in enumerate(lines, start=1):
        if not raw or not any(str(v).strip() for k, v in raw.items() if v is not None and k != "list_price"):
            continue
        product = catalog.product_for_line(raw.get("product"), n=i)
        price = catalog.price_for_line(product, on, n=i)
        qty = _decimal(raw.get("quantity"), "lines", _("数量"))
        if qty <= 0 or qty >= Decimal("1e10") or qty != qty.quantize(Decimal("0.01")):
            raise DomainError(_("第%(n)d行：数量必须大于0（最多两位小数）。") % {"n": i}, field="lines")
        if raw.get("quoted_price") not in (None, ""):
            quoted = _decimal(raw.get("quoted_price"), "lines", _("报价"))
        elif raw.get("discount_rate") not in (None, ""):
            rate = _decimal(raw.get("discount_rate"), "lines", _("折扣"))
            if rate < 0 or rate > 1:
                raise DomainError(_("第%(n)d行：折扣须在0%%到100%%之间。") % {"n": i}, field="lines")
            quoted = price.list_price * (1 - rate)
        else:
            quoted = price.list_price
        if quoted < 0:
            raise DomainError(_("第%(n)d行：报价不能为负数。") % {"n": i}, field="lines")
        # Issue 17: numbers the database cannot hold are refused, not a server error.
        check_amount_fits(qty, label=_("第%(n)d行：数量") % {"n": i}, limit=QUANTITY_LIMIT)
        check_amount_fits(price.list_price * qty, label=_("第%(n)d行：标准价金额") % {"n": i})
        check_amount_fits(quoted * qty, label=_("第%(n)d行：报价金额") % {"n": i})
        cleaned.append(
            QuoteLine(
                catalog_product=product,
                product=product.name,
                category=product.category.code,
                quantity=qty,
                list_price=price.list_price,
                floor_price=price.floor_price,
                quoted_price=round_fen(quoted),
            )
        )
    if not cleaned:
        raise DomainError(_("报价单至少需要一行产品。"), code="no_lines", field="lines")
    check_amount_fits(sum((x.quoted_price * x.quantity for x in cleaned), ZERO), label=_("报价合计"))
    check_amount_fits(sum((x.list_price * x.quantity for x in cleaned), ZERO), label=_("标准价合计"))
    return cleaned


def quote_discount_ratio(quote: Quote) -> Decimal:
    """Q1/Q2, issue 17: the measure the approval is decided on — the deepest discount of any line
    (quoted ÷ list price per line), or the whole quote's ratio if that is lower. A ¥0 line is not hidden
    by a line priced above list."""
    ratios = [quote.price_ratio, *(ln.price_ratio for ln in quote.lines.all() if ln.list_price)]
    return min(ratios)


def _history(quote: Quote, frm: str, to: str, by: User | None, comment: str = "") -> None:
    StatusChange.objects.create(
        quote=quote, from_status=frm, to_status=to, changed_by=by, changed_at=timezone.now(), comment=comment
    )


@transaction.atomic
def quote_create(
    *,
    by: User,
    customer: Customer,
    title: str,
    lines: list[dict[str, Any]],
    opportunity: Opportunity | None = None,
) -> Quote:
    """Q1: refused for a customer nobody has visited on site yet."""
    if not customer_has_onsite_visit(customer):
        raise DomainError(
            _("客户“%(name)s”还没有现场拜访记录：请先上门拜访并登记沟通记录，再报价。")
            % {"name": customer.name},
            code="no_onsite_visit",
            field="customer",
        )
    if not (title or "").strip():
        raise DomainError(_("请填写报价名称。"), code="required", field="title")
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise DomainError(_("商机不属于该客户。"), field="opportunity")
    clean = _clean_lines(lines, on=local_today())
    quote = Quote.objects.create(
        number=provisional_number(),
        customer=customer,
        opportunity=opportunity,
        owner=by,
        title=title.strip()[:200],
    )
    assign_number(quote, prefix="Q")
    for line in clean:
        line.quote = quote
    QuoteLine.objects.bulk_create(clean)
    quote.list_total = round_fen(sum((ln.list_amount for ln in clean), ZERO))
    quote.quoted_total = round_fen(sum((ln.quoted_amount for ln in clean), ZERO))
    quote.save(update_fields=["list_total", "quoted_total", "updated_at"])
    _history(quote, "", QuoteStatus.DRAFT, by)
    return quote


def _move(quote: Quote, to: str, *, actor: str, by: User | None, comment: str = "") -> Quote:
    allowed = QUOTE_TRANSITIONS.get((quote.status, to))
    if allowed is None or allowed != actor:
        raise DomainError(
            _("报价单当前状态为“%(s)s”，不能执行此操作。") % {"s": quote.get_status_display()},
            code="invalid_transition",
            status=409,
        )
    frm = quote.status
    quote.status = to
    fields = ["status", "updated_at"]
    if to == QuoteStatus.SENT:
        quote.sent_at = timezone.now()
        fields.append("sent_at")
    quote.save(update_fields=fields)
    _history(quote, frm, to, by, comment)
    return quote


@transaction.atomic
def quote_transition(*, quote: Quote, to: str, by: User, comment: str = "") -> Quote:
    """The owner's moves: submit for approval, send once approved, revise a rejected quote.
    003 §9.1: every quote goes to management first ("报价先要提交管理人员通过"); at or above list price the
    matrix's shortest chain (the ≥50% row: the team manager), below list price the row for its ratio."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.owner_id != by.pk:
        raise DomainError(_("只有报价单负责人可以操作。"), code="not_owner", status=403)
    if to == QuoteStatus.PENDING and quote.status == QuoteStatus.DRAFT:
        ratio = quote_discount_ratio(quote)
        _move(quote, QuoteStatus.PENDING, actor="owner", by=by, comment=comment)
        approval_request_create(
            kind=ApprovalKind.QUOTE_DISCOUNT,
            subject=quote,
            requested_by=by,
            title=words(
                gettext_noop("报价 %(n)s（%(c)s）最低报价为标准价的 %(r)s"),
                n=quote.number,
                c=quote.customer,
                r=pct(ratio, 2),
            ),
            ratio=ratio,
            amount=quote.quoted_total,
        )
        return quote
    return _move(quote, to, actor="owner", by=by, comment=comment)


def agent_customers_not_current(*, user: User) -> int:
    """003 §3.7: how many of an agent's (partner's) customers were not maintained within the pool's warn
    period (no contact and not newly taken). 0 for staff: the rule is about agents."""
    import datetime as dt

    from django.db.models import Q

    from crm.models import Customer, PoolPolicy
    from crm.services.customers import partner_of

    if partner_of(user) is None:
        return 0
    cutoff = timezone.now() - dt.timedelta(days=PoolPolicy.load().warn_days)
    stale = (Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=cutoff)) & (
        Q(owned_since__isnull=True) | Q(owned_since__lt=cutoff)
    )
    return Customer.objects.filter(owner=user).filter(stale).count()


def quote_on_approval(*, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None) -> None:
    quote = Quote.objects.select_for_update().get(pk=request.object_id)
    if approved and quote.price_ratio < 1:
        # 003 §3.7: an agent whose customer records are not kept up to date gets no special price.
        stale = agent_customers_not_current(user=quote.owner)
        if stale:
            raise DomainError(
                _(
                    "该代理有 %(n)s 个客户长期未维护（超过公海提醒天数未联系），"
                    "须先更新客户信息，特价审批不予处理。"
                )
                % {"n": stale},
                code="agent_customers_not_current",
                status=409,
            )
    step = request.steps.filter(decided_by=by).order_by("-order").first()
    _move(
        quote,
        QuoteStatus.APPROVED if approved else QuoteStatus.REJECTED,
        actor="system",
        by=by,
        comment=step.reason if step else "",
    )
