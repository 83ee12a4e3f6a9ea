"""Money collected and money coming back: K8 pending lines become payable once their order is collected
(or, under a pro rata plan, in tranches as it is collected), and K10 clawbacks correct lines of closed
or settled months when an order is refunded, returned or written off."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions.models import CommissionLine, CommissionPlan, LineKind, LineStatus
from commissions.selectors import LOCKED_STATUSES, closed_periods, period_is_closed
from commissions.services.ledger_writing import EARNED_KINDS, _line_row, lines_insert
from commissions.services.sales_facts import MONEY, order_net_factors
from common.errors import Conflict
from common.money import ZERO, round_fen
from common.timeutil import month_start, next_month


def clawbacks_create(*, period: dt.date) -> int:
    """K10: for orders refunded, returned or written off (dated before the end of `period`) whose
    commission lies in a closed month or is already settled/paid, add a negative line in `period` (an
    open month) pointing at (`corrects`) each original line. The original is never edited. Idempotent:
    the clawback wanted for a line is original × (1 − net factor), less what was already clawed back."""
    period = month_start(period)
    if period_is_closed(period):
        raise Conflict(_("%(period)s 已关闭。") % {"period": f"{period:%Y-%m}"})
    factors = order_net_factors(before=next_month(period))
    if not factors:
        return 0
    originals = list(
        CommissionLine.objects.filter(
            order_id__in=list(factors), kind__in=EARNED_KINDS, period__lte=period, amount__gt=0
        ).exclude(status=LineStatus.FORFEITED)
    )
    closed = closed_periods({x.period for x in originals})
    originals = [x for x in originals if x.status in LOCKED_STATUSES or x.period in closed]
    if not originals:
        return 0
    already: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for corrects_id, amount in CommissionLine.objects.filter(
        kind=LineKind.CLAWBACK, corrects_id__in=[x.pk for x in originals]
    ).values_list("corrects_id", "amount"):
        already[corrects_id] += amount
    new = []
    for line in originals:
        applied = Decimal(line.explanation.get("net_factor", "1"))
        if applied <= 0:
            continue
        f = min(Decimal(1), factors[line.order_id] / applied)  # type: ignore[index]
        wanted = -(line.amount - round_fen(line.amount * f))
        delta = wanted - already[line.pk]
        if delta == 0:
            continue
        new.append(
            CommissionLine(
                source_key=f"cb:{line.pk}:{-wanted:.2f}",
                period=period,
                kind=LineKind.CLAWBACK,
                status=LineStatus.PENDING,
                payee_user_id=line.payee_user_id,
                payee_partner_id=line.payee_partner_id,
                order_id=line.order_id,
                credit_share_id=line.credit_share_id,
                plan_id=line.plan_id,
                component=line.component,
                category=line.category,
                base=line.amount,
                rate=Decimal(1) - f,
                amount=delta,
                corrects=line,
                reason=_("退款/退货/坏账核销追回"),
                explanation={
                    "corrects": line.pk,
                    "original_period": f"{line.period:%Y-%m}",
                    "original_amount": f"{line.amount:.2f}",
                    "net_factor": str(f.quantize(Decimal("0.000001"))),
                    "clawed_before": f"{already[line.pk]:.2f}",
                },
            )
        )
    existing = set(
        CommissionLine.objects.filter(source_key__in=[x.source_key for x in new]).values_list(
            "source_key", flat=True
        )
    )
    new = [x for x in new if x.source_key not in existing]
    lines_insert([_line_row(x) for x in new])
    return len(new)


def _collected_orders(order_ids: Iterable[int]) -> dict[int, Decimal]:
    """K8: collected fraction per order = (payments received, refunds not deducted, + approved
    write-offs) / total, capped at 1. A refund is a return of goods, handled by K10, not "uncollected"."""
    from crm.models import Order, PaymentKind, WriteOffStatus

    ids = list(set(order_ids))
    out: dict[int, Decimal] = {}
    for i in range(0, len(ids), 20000):
        qs = (
            Order.objects.filter(pk__in=ids[i : i + 20000])
            .annotate(
                paid=Coalesce(
                    Sum("payments__amount", filter=Q(payments__kind=PaymentKind.PAYMENT)),
                    Value(ZERO),
                    output_field=MONEY,
                )
            )
            .values_list("pk", "total", "paid")
        )
        wo = dict(
            Order.objects.filter(pk__in=ids[i : i + 20000], writeoffs__status=WriteOffStatus.APPROVED)
            .annotate(w=Sum("writeoffs__amount"))
            .values_list("pk", "w")
        )
        for pk, total, paid in qs:
            got = paid + (wo.get(pk) or ZERO)
            out[pk] = Decimal(1) if total <= 0 or got >= total else max(ZERO, got / total)
    return out


def collected_orders() -> QuerySet[Any]:
    """K8: ids of orders whose money is fully collected: payments received (refunds are returns of goods,
    handled by K10, not "uncollected") plus approved write-offs ≥ the order total. One SQL subquery."""
    from crm.models import Order, Payment, PaymentKind, WriteOff, WriteOffStatus

    paid = (
        Payment.objects.filter(order=OuterRef("pk"), kind=PaymentKind.PAYMENT)
        .order_by()
        .values("order")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    written = (
        WriteOff.objects.filter(order=OuterRef("pk"), status=WriteOffStatus.APPROVED)
        .order_by()
        .values("order")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return (
        Order.objects.annotate(
            got=Coalesce(Subquery(paid, output_field=MONEY), Value(ZERO), output_field=MONEY)
            + Coalesce(Subquery(written, output_field=MONEY), Value(ZERO), output_field=MONEY)
        )
        .filter(got__gte=F("total"))
        .values("pk")
    )


def commission_payable_refresh(*, order_ids: Iterable[int] | None = None) -> int:
    """K8: pending lines of fully collected orders become payable (one UPDATE). Under a plan with
    `"payable": "pro_rata"`, a partly collected order releases the collected part of each pending
    line as a payable tranche (source_key `t:<line key>|<fen>`), the pending line keeping the rest.
    Safe to run any number of times (Celery: commissions.tasks.payable_refresh)."""
    pending = CommissionLine.objects.filter(status=LineStatus.PENDING, order__isnull=False)
    if order_ids is not None:
        pending = pending.filter(order_id__in=list(order_ids))
    moved = pending.filter(order_id__in=collected_orders()).update(
        status=LineStatus.PAYABLE, updated_at=timezone.now()
    )
    pro_rata_plans = [
        pk
        for pk, definition in CommissionPlan.objects.values_list("pk", "definition")
        if definition.get("payable") == "pro_rata"
    ]
    if pro_rata_plans:
        ids = set(pending.filter(plan_id__in=pro_rata_plans).values_list("order_id", flat=True).distinct())
        partial = {pk: c for pk, c in _collected_orders(ids).items() if 0 < c < 1}
        if partial:
            moved += _pro_rata_release(partial)
    return moved


def _pro_rata_release(partial: dict[int, Decimal]) -> int:
    lines = list(
        CommissionLine.objects.select_for_update(of=("self",))
        .filter(status=LineStatus.PENDING, order_id__in=list(partial), kind__in=EARNED_KINDS)
        .select_related("plan")
    )
    lines = [x for x in lines if x.plan and x.plan.definition.get("payable") == "pro_rata"]
    if not lines:
        return 0
    released: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key, amount in CommissionLine.objects.filter(
        source_key__startswith="t:", order_id__in=list(partial)
    ).values_list("source_key", "amount"):
        released[key.split("|")[0]] += amount
    new, changed = [], []
    for line in lines:
        tkey = f"t:{line.source_key}"
        already = released.get(tkey, ZERO)
        earned = line.amount + already
        target = round_fen(earned * partial[line.order_id])  # type: ignore[index]
        tranche = target - already
        if tranche <= 0:
            continue
        new.append(
            CommissionLine(
                source_key=f"{tkey}|{target:.2f}",
                period=line.period,
                kind=line.kind,
                status=LineStatus.PAYABLE,
                payee_user_id=line.payee_user_id,
                payee_partner_id=line.payee_partner_id,
                order_id=line.order_id,
                credit_share_id=line.credit_share_id,
                plan_id=line.plan_id,
                component=line.component,
                category=line.category,
                base=line.base,
                rate=line.rate,
                amount=tranche,
                explanation={
                    **line.explanation,
                    "pro_rata": str(partial[line.order_id].quantize(Decimal("0.000001"))),  # type: ignore[index]
                    "earned_total": f"{earned:.2f}",
                },
            )
        )
        line.amount -= tranche
        changed.append(line)
    CommissionLine.objects.bulk_create(new)
    CommissionLine.objects.bulk_update(changed, ["amount"])
    return len(new)
