"""Generating settlements (S1/S3): one draft per payee and month from the payable ledger lines, the
settlement lines (K13), the stored totals and carried balance, deferring a line to the next month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from commissions.models import CommissionLine, LineKind, LineStatus
from common.deferred_text import words, words_json
from common.errors import Conflict, DomainError, NotFound
from common.money import ZERO, allocate, round_fen
from common.timeutil import month_start, next_month
from crm.models import Role, User
from partners.models import Partner
from settlements.models import (
    LineDeferral,
    PayeeBankAccount,
    Settlement,
    SettlementLine,
    SettlementStatus,
    TicketSale,
)
from settlements.services.tax import settlement_tax_apply
from settlements.services.tickets import ticket_statement_apply

S = SettlementStatus


@dataclass
class GenerateResult:
    month: dt.date
    created: int = 0
    updated: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    skipped_payees: int = 0  # payee's settlement for the month is already in review or locked


PayeeKey = tuple[str, int]  # ("user", id) | ("partner", id)


def _payee_key(line: CommissionLine) -> PayeeKey:
    if line.payee_user_id is not None:
        return ("user", line.payee_user_id)
    return ("partner", line.payee_partner_id)  # type: ignore[return-value]


def _settlement_key(s: Settlement) -> PayeeKey:
    if s.payee_user_id is not None:
        return ("user", s.payee_user_id)
    return ("partner", s.payee_partner_id)  # type: ignore[return-value]


KIND_CATEGORY: dict[str, str] = {
    LineKind.REWARD: "奖励",
    LineKind.CLAWBACK: "追回",
    LineKind.ADJUSTMENT: "调整",
}


def product_category(category: str) -> str:
    """A settlement line's product category, or "" when its 类别 holds its kind (奖励 / 追回 / 调整, the
    S4 sheet's wording): the page names those once, by the line's kind."""
    return "" if category in KIND_CATEGORY.values() else category


def _dec(value: object, default: Decimal) -> Decimal:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default


# Lines that carry an order's sales: what was earned on it. Clawbacks, adjustments and rewards carry
# only money — their order's contract and sales amounts were counted in the month it was earned (S5).
SALES_KINDS = (LineKind.EARNED, LineKind.REBATE)


def line_from_commission(
    cl: CommissionLine, *, counts_sales: bool = True, signed: Decimal | None = None
) -> SettlementLine:
    """The settlement line for a ledger line (K13: quantity × unit price = amount, rebate/commission).

    S5: the 签约金额 (contract amount: the holder's part of the order total, `signed`) and 售出金额 (sales:
    the line's base) of an order are carried by one line of the payee's settlement — the first of the
    order's component lines (`counts_sales`); its other component lines, and every clawback, adjustment
    or reward line, carry 0 there, so the sheet's columns add up to the month's contracts and sales."""
    exp = cl.explanation if isinstance(cl.explanation, dict) else {}
    counts_sales = counts_sales and cl.kind in SALES_KINDS
    base = round_fen(cl.base or ZERO) if counts_sales else ZERO
    quantity = _dec(exp.get("quantity"), Decimal("1") if base else ZERO) if counts_sales else ZERO
    unit_price = round_fen(_dec(exp.get("unit_price"), base)) if counts_sales else ZERO
    if not counts_sales:
        signed_amount = ZERO
    else:
        signed_amount = _dec(exp.get("signed_amount"), ZERO) or (signed if signed is not None else base)
    category = cl.category or KIND_CATEGORY.get(cl.kind, "")
    description, description_words = line_description(cl, exp)
    return SettlementLine(
        commission_line=cl,
        kind=cl.kind,
        category=category[:30],
        quantity=quantity,
        unit_price=unit_price,
        amount=base,
        signed_amount=round_fen(signed_amount),
        rebate=round_fen(cl.amount),
        description=description,
        description_words=description_words,
    )


@cache
def _kind_msgid(kind: str) -> str:
    """The message id (the Chinese wording) of a ledger line kind's label."""
    if kind not in LineKind.values:
        return ""
    with translation.override(None):
        return str(LineKind(kind).label)


def line_description(cl: CommissionLine, exp: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """说明 in words (S4): the order, what kind of money it is, why — never the plan's component code.

    Issue 15: kept as the Chinese wording (the admin, search) and as words read in the reader's language:
    the kind's label, and a line's reason and explanation when they were written as words (a sales
    champion's award), are stored by message id; the rest (an order number, a typed reason) as text.
    The message id is the present parts' placeholders only, so it reads the same in every language."""
    kind = _kind_msgid(cl.kind)
    text = str(exp.get("text") or exp.get("summary") or "")
    number = cl.order.number if cl.order_id and cl.order is not None else ""
    # A champion's explanation opens with its award (the reason): it is said once.
    reason = "" if text.startswith(cl.reason) else cl.reason
    plain = {"order": number, "kind": kind, "reason": reason, "text": text}
    read = {
        "order": number,
        "kind": LineKind(cl.kind).label if kind else "",  # a lazy label: stored by its message id
        "reason": exp.get("reason_words") or cl.reason,
        "text": exp.get("text_words") or text,
    }
    present = [name for name, value in plain.items() if value]
    if not present:
        return "", None
    stored = words(" ".join(f"%({name})s" for name in present), **{name: read[name] for name in present})
    return " ".join(plain[name] for name in present)[:300], words_json(stored)


def signed_parts(order_ids: set[int]) -> dict[int, Decimal]:
    """Per credit share: the holder's part of its order's total (签约金额), the order total allocated
    over the order's shares (`common.fen.allocate`: the parts add up to the total). One query."""
    from partners.models import CreditShare

    by_order: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
    for sid, oid, share, total in (
        CreditShare.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "id")
        .values_list("id", "order_id", "share", "order__total")
    ):
        by_order[oid].append((sid, share, total))
    out: dict[int, Decimal] = {}
    for rows in by_order.values():
        for (sid, _share, _total), part in zip(rows, allocate(rows[0][2], [r[1] for r in rows]), strict=True):
            out[sid] = part
    return out


def _snapshot_payee(s: Settlement, *, user: User | None, partner: Partner | None) -> None:
    if user is not None:
        s.payee_name = str(user)[:80]
        s.payee_phone = user.phone
        dept = user.department
        s.payee_region = dept.region.name if dept and dept.region_id else ""
        s.payee_category = (
            str(Role.ACCOUNT_EXECUTIVE.label)
            if user.has_role(Role.ACCOUNT_EXECUTIVE)
            else str(Role.REP.label)
        )
        account = PayeeBankAccount.objects.filter(user=user).first()
        if account:
            s.bank_name, s.account_holder, s.account_number = (
                account.bank_name,
                account.account_holder,
                account.account_number,
            )
    elif partner is not None:
        s.payee_name = partner.name[:80]
        s.payee_phone = partner.phone
        s.payee_region = partner.region.name if partner.region_id and partner.region else ""
        s.payee_category = str(partner.get_kind_display())
        s.bank_name, s.account_holder, s.account_number = (
            partner.bank_name,
            partner.account_holder,
            partner.account_number,
        )


def settlement_recompute(settlement: Settlement) -> Settlement:
    """Stored totals = sums of the rounded lines; prior balance = what the last settlement carried."""
    if settlement.is_locked:
        raise Conflict(_("结算单已审批锁定，不能再修改。"))
    # S5: each column means one thing — 提成/返利/奖励/调整 the positive lines of their kind (gross), 扣减
    # every negative line (clawbacks, negative adjustments), 签约金额/售出金额 the month's contracts and
    # sales (counted once per order, never by a correction); 合计 = their sum = the sum of the lines.
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in settlement.lines.values("kind").annotate(
        r=Sum("rebate", filter=Q(rebate__gt=0)), a=Sum("amount"), sg=Sum("signed_amount")
    ):
        sums[row["kind"]] += row["r"] or ZERO
        sums["_amount"] += row["a"] or ZERO
        sums["_signed"] += row["sg"] or ZERO
    negatives = settlement.lines.filter(rebate__lt=0).aggregate(s=Sum("rebate"))["s"] or ZERO
    settlement.signed_total = round_fen(sums["_signed"])
    settlement.sold_total = round_fen(sums["_amount"])
    settlement.commission_total = round_fen(sums[LineKind.EARNED])
    settlement.rebate_total = round_fen(sums[LineKind.REBATE])
    settlement.reward_total = round_fen(sums[LineKind.REWARD])
    settlement.adjustment_total = round_fen(sums[LineKind.ADJUSTMENT])
    settlement.deduction_total = round_fen(negatives)
    settlement.line_total = round_fen(
        sum((v for k, v in sums.items() if not k.startswith("_")), ZERO) + settlement.deduction_total
    )
    earlier = Settlement.objects.filter(month__lt=settlement.month).order_by("-month")
    if settlement.payee_user_id is not None:
        earlier = earlier.filter(payee_user_id=settlement.payee_user_id)
    else:
        earlier = earlier.filter(payee_partner_id=settlement.payee_partner_id)
    prev = earlier.values("current_balance", "payout_amount").first()
    settlement.prior_balance = round_fen(prev["current_balance"] - prev["payout_amount"]) if prev else ZERO
    settlement.current_balance = settlement.line_total + settlement.prior_balance
    settlement.payout_amount = max(settlement.current_balance, ZERO)
    ticket_statement_apply(settlement)  # K13: the partner's ticket deductions and balance
    settlement_tax_apply(settlement)  # 001 第8条: gross − income tax = net
    settlement.save()
    return settlement


def _candidate_lines(month: dt.date) -> Q:
    return Q(status=LineStatus.PAYABLE, period__lte=month, settlement_line__isnull=True)


@transaction.atomic
def settlement_generate(
    *, month: dt.date, by: User | None = None, payee_user: User | None = None, payee_partner=None
) -> GenerateResult:
    """S1/S3: one draft per payee for `month` from payable ledger lines up to that month that are in no
    settlement yet (late and rolled-over items included). Running it again changes nothing unless the
    ledger changed; a payee whose settlement for the month is already in review or locked is left for
    the next open month (the lines stay unsettled and the next month's run takes them)."""
    month = month_start(month)
    result = GenerateResult(month=month)
    month_qs = Settlement.objects.select_for_update().filter(month=month)
    if payee_user is not None:
        month_qs = month_qs.filter(payee_user=payee_user)
    if payee_partner is not None:
        month_qs = month_qs.filter(payee_partner=payee_partner)
    existing = {_settlement_key(s): s for s in month_qs}
    # Drop lines that are no longer payable (e.g. forfeited, K11) from drafts — unless disputed.
    drafts = [s for s in existing.values() if s.status == S.DRAFT]
    stale = (
        SettlementLine.objects.filter(settlement__in=drafts)
        .exclude(commission_line__status=LineStatus.PAYABLE)
        .filter(disputes__isnull=True)
    )
    touched: set[int] = set(stale.values_list("settlement_id", flat=True))
    if touched:
        result.lines_removed = stale.delete()[0]

    deferred = LineDeferral.objects.filter(month=month).values("commission_line_id")
    lines_qs = (
        CommissionLine.objects.filter(_candidate_lines(month))
        .exclude(pk__in=deferred)
        .select_related("order", "credit_share")
    )
    if payee_user is not None:
        lines_qs = lines_qs.filter(payee_user=payee_user)
    if payee_partner is not None:
        lines_qs = lines_qs.filter(payee_partner=payee_partner)
    by_payee: dict[PayeeKey, list[CommissionLine]] = defaultdict(list)
    for cl in lines_qs.order_by("id").iterator(chunk_size=2000):
        by_payee[_payee_key(cl)].append(cl)
    if payee_user is None:  # K13: a partner who brought attendees gets a settlement to show them on
        tickets = TicketSale.objects.filter(month=month)
        if payee_partner is not None:
            tickets = tickets.filter(partner=payee_partner)
        for pid in tickets.values_list("partner_id", flat=True).distinct():
            by_payee.setdefault(("partner", pid), [])

    corrected_ids = {cl.corrects_id for cls in by_payee.values() for cl in cls if cl.corrects_id}
    settled_for = dict(
        SettlementLine.objects.filter(commission_line_id__in=corrected_ids).values_list(
            "commission_line_id", "id"
        )
    )
    signed = signed_parts({cl.order_id for cls in by_payee.values() for cl in cls if cl.order_id})
    # Orders whose sales a payee's draft already shows (a re-run adds lines to an existing draft).
    shown: set[tuple[int, int | None, int | None]] = set(
        SettlementLine.objects.filter(
            settlement__in=[s for s in existing.values() if s.status == S.DRAFT], kind__in=SALES_KINDS
        )
        .exclude(amount=0, signed_amount=0)
        .values_list("settlement_id", "commission_line__order_id", "commission_line__credit_share_id")
    )
    new_lines: list[SettlementLine] = []
    for key, cls in by_payee.items():
        s = existing.get(key)
        if s is not None and s.status != S.DRAFT:
            result.skipped_payees += 1
            continue
        if s is None:
            if cls:
                user, partner = cls[0].payee_user, cls[0].payee_partner
            else:
                user, partner = None, Partner.objects.select_related("region").get(pk=key[1])
            s = Settlement(month=month, payee_user=user, payee_partner=partner)
            _snapshot_payee(s, user=user, partner=partner)
            s.generated_at = timezone.now()
            try:
                with transaction.atomic():
                    s.save()
            except IntegrityError:  # another run created it meanwhile: UNIQUE (payee, month)
                raise Conflict(_("该月结算正在生成，请稍后重试。"))
            existing[key] = s
            result.created += 1
        else:
            touched.add(s.pk)
        for cl in cls:
            once = (s.pk, cl.order_id, cl.credit_share_id)
            counts = cl.order_id is None or (once not in shown and not cl.source_key.startswith("t:"))
            if counts and cl.order_id is not None and cl.kind in SALES_KINDS:
                shown.add(once)
            line = line_from_commission(cl, counts_sales=counts, signed=signed.get(cl.credit_share_id or 0))
            line.settlement = s
            line.corrects_id = settled_for.get(cl.corrects_id) if cl.corrects_id else None
            new_lines.append(line)
    SettlementLine.objects.bulk_create(new_lines, batch_size=2000)
    result.lines_added = len(new_lines)
    with_new = {line.settlement.pk for line in new_lines}
    for s in existing.values():
        if s.status == S.DRAFT:  # also refreshes the prior balance carried from earlier months
            settlement_recompute(s)
    result.updated = len(touched - with_new) + len(with_new) - result.created
    return result


@transaction.atomic
def settlement_line_defer(*, line: SettlementLine | int, by: User, reason: str) -> Settlement:
    """S1 (000 §4.2.8): finance holds a line back from a draft (late for the payee's or staff's reasons);
    it stays payable and the next month's settlement takes it."""
    pk = line.pk if isinstance(line, SettlementLine) else line
    if not by.has_role(Role.FINANCE):
        raise DomainError(_("只有财务中心可以推迟结算明细。"), code="not_allowed", status=403)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写推迟原因。"), field="reason")
    found = SettlementLine.objects.select_related("settlement").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("结算明细不存在。"))
    s = Settlement.objects.select_for_update().get(pk=found.settlement_id)
    if s.status != S.DRAFT:
        raise DomainError(_("只能从草稿结算单中推迟明细。"), code="illegal_transition")
    if found.disputes.exists():
        raise DomainError(_("这条明细有异议记录，不能推迟。"), code="disputed")
    LineDeferral.objects.get_or_create(
        commission_line_id=found.commission_line_id,
        month=s.month,
        defaults={"reason": reason[:300], "deferred_by": by},
    )
    found.delete()
    return settlement_recompute(s)


def next_open_month(*, payee_user: User | None, payee_partner: Partner | None, start: dt.date) -> dt.date:
    """K10/S3: the first month from `start` on whose settlement for this payee is absent or still draft."""
    month = month_start(start)
    qs = Settlement.objects.exclude(status=S.DRAFT)
    qs = qs.filter(payee_user=payee_user) if payee_user else qs.filter(payee_partner=payee_partner)
    closed = set(qs.filter(month__gte=month).values_list("month", flat=True))
    while month in closed:
        month = next_month(month)
    return month
