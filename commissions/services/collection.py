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
from django.utils.translation import gettext_noop

from commissions.models import CommissionLine, CommissionPlan, LineKind, LineStatus
from commissions.selectors import LOCKED_STATUSES, closed_periods, period_is_closed
from commissions.services.ledger_writing import EARNED_KINDS, _line_row, lines_insert
from commissions.services.sales_facts import MONEY, order_net_factors
from common.deferred_text import words, words_json, words_stored_text
from common.errors import Conflict
from common.money import ZERO, allocate
from common.timeutil import month_start


def _calc_payee(explanation: Any) -> str | None:
    """The payee ("u<id>" / "p<id>") whose month's calculation a ledger line was allocated from."""
    key = explanation.get("calculation") if isinstance(explanation, dict) else None
    parts = key.split(":") if isinstance(key, str) else []
    return parts[1] if len(parts) == 3 else None


def _group_key(source_key: str) -> str:
    """A pro rata tranche (`t:<line key>|<fen>`) belongs to its earned line."""
    return source_key[2:].split("|")[0] if source_key.startswith("t:") else source_key


def _same_sale(line: CommissionLine) -> dict[str, Any]:
    """Whom a line pays and for which sale and rule: what a line that corrects it (K10) or releases a
    tranche of it (K8) keeps."""
    return {
        "payee_user_id": line.payee_user_id,
        "payee_partner_id": line.payee_partner_id,
        "order_id": line.order_id,
        "credit_share_id": line.credit_share_id,
        "plan_id": line.plan_id,
        "component": line.component,
        "category": line.category,
    }


def clawbacks_create(*, period: dt.date) -> int:
    """K10, independent of timing: a refund, return or write-off costs the same whether it arrives
    before or after its month is locked. A month that is closed (or whose lines are settled/paid) is
    re-priced as if the event had been known — the same computation as the month run
    (`ledger_run.month_desired_lines`), for the payees concerned — and each of their lines' difference
    (re-priced − original − what earlier corrections moved) is booked in `period`, an open month, as a
    new line pointing at (`corrects`) the original: negative `clawback`, positive `adjustment`. The
    original is never edited. In a month with several bands a refund re-prices the other orders' lines
    too (the month's sales drop a band). Idempotent: a (month, payee) is re-priced only when a refund
    or write-off changed since its lines last accounted for it, and a difference of 0 books nothing."""
    from commissions.services.ledger_run import month_desired_lines

    period = month_start(period)
    if period_is_closed(period):
        raise Conflict(_("%(period)s 已关闭。") % {"period": f"{period:%Y-%m}"})
    factors = order_net_factors()
    if not factors:
        return 0
    touched = list(
        CommissionLine.objects.filter(
            order_id__in=list(factors), kind__in=EARNED_KINDS, period__lte=period, source_key__startswith="e:"
        )
        .exclude(status=LineStatus.FORFEITED)
        .values_list("pk", "period", "payee_user_id", "payee_partner_id", "status", "order_id", "explanation")
    )
    if not touched:
        return 0
    closed = closed_periods({x[1] for x in touched})
    # The refund factor each line last accounted for: its own, or that of its latest correction.
    applied: dict[int, Decimal] = {}
    for corrects_id, explanation in (
        CommissionLine.objects.filter(corrects_id__in=[x[0] for x in touched], source_key__startswith="cb:")
        .order_by("id")
        .values_list("corrects_id", "explanation")
    ):
        applied[corrects_id] = Decimal(str(explanation.get("net_factor", "1")))
    affected: dict[dt.date, set[str]] = defaultdict(set)
    for pk, p, uid, pid, status, order_id, explanation in touched:
        if p not in closed and status not in LOCKED_STATUSES:
            continue  # an open month's open lines are re-priced by that month's own run
        last = applied.get(pk)
        if last is None:
            last = (
                Decimal(str(explanation.get("net_factor", "1")))
                if isinstance(explanation, dict)
                else Decimal(1)
            )
        if last == factors[order_id]:
            continue
        affected[p].add(f"u{uid}" if uid else f"p{pid}")
        calc_payee = _calc_payee(explanation)
        if calc_payee:  # a shared line: its month is the account manager's
            affected[p].add(calc_payee)
    new: list[CommissionLine] = []
    for p in sorted(affected):
        new += _reprice(p, affected[p], factors, period, p in closed, month_desired_lines)
    lines_insert([_line_row(x) for x in new])
    return len(new)


def _reprice(
    month: dt.date,
    payees: set[str],
    factors: dict[int, Decimal],
    period: dt.date,
    closed: bool,
    month_desired_lines: Any,
) -> list[CommissionLine]:
    """The correction lines (in `period`) for the payees' lines of `month`, re-priced with `factors`."""
    desired = month_desired_lines(period=month, payees=payees, factors=factors)
    users = {int(k[1:]) for k in payees if k[0] == "u"} | {
        d.payee_user_id for d in desired.values() if d.payee_user_id
    }
    partners = {int(k[1:]) for k in payees if k[0] == "p"}
    groups: dict[str, list[CommissionLine]] = defaultdict(list)
    for found in (
        CommissionLine.objects.filter(period=month, kind__in=EARNED_KINDS)
        .filter(Q(payee_user_id__in=users) | Q(payee_partner_id__in=partners))
        .filter(Q(source_key__startswith="e:") | Q(source_key__startswith="t:"))
        .exclude(status=LineStatus.FORFEITED)
        .order_by("id")
    ):
        if _calc_payee(found.explanation) in payees:
            groups[_group_key(found.source_key)].append(found)
    originals = {key: next((x for x in group if x.source_key == key), None) for key, group in groups.items()}
    moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for corrects_id, amount in CommissionLine.objects.filter(
        corrects_id__in=[x.pk for x in originals.values() if x is not None], source_key__startswith="cb:"
    ).values_list("corrects_id", "amount"):
        moved[corrects_id] += amount
    out = []
    for key, group in groups.items():
        line = originals[key]
        if line is None or not (closed or line.status in LOCKED_STATUSES):
            continue
        want = desired.get(key)
        wanted = want.amount if want is not None else ZERO
        original = sum((x.amount for x in group), ZERO)
        before = moved[line.pk]
        delta = wanted - original - before
        if delta == 0:
            continue
        f = factors.get(line.order_id or 0)
        # Issue 15: the note and the reason are kept as words too (read in the reader's language); the
        # stored text is the Chinese wording, whoever's action (a refund, a write-off) caused the run.
        note = words(
            gettext_noop(
                "%(month)s 按退款/退货/坏账核销后的销售额重新计算：本行应为 ¥%(wanted)s（原 ¥%(original)s，"
                "此前已调整 ¥%(before)s），差额 ¥%(delta)s 计入 %(period)s"
            ),
            month=f"{month:%Y-%m}",
            wanted=f"{wanted:,.2f}",
            original=f"{original:,.2f}",
            before=f"{before:,.2f}",
            delta=f"{delta:,.2f}",
            period=f"{period:%Y-%m}",
        )
        reason = words(
            gettext_noop("退款/退货/坏账核销追回")
            if delta < 0
            else gettext_noop("退款/退货/坏账核销重新计算调整")
        )
        explanation: dict[str, Any] = {
            "corrects": line.pk,
            "original_period": f"{month:%Y-%m}",
            "original_amount": f"{original:.2f}",
            "repriced_amount": f"{wanted:.2f}",
            "clawed_before": f"{before:.2f}",
            "note": words_stored_text(note),
            "note_words": words_json(note),
            "reason_words": words_json(reason),
        }
        if f is not None:
            explanation["net_factor"] = str(f)
        out.append(
            CommissionLine(
                source_key=f"cb:{line.pk}:{wanted:.2f}:{original + before:.2f}",
                period=period,
                kind=LineKind.CLAWBACK if delta < 0 else LineKind.ADJUSTMENT,
                status=LineStatus.PENDING,
                **_same_sale(line),
                base=original,
                rate=None,
                amount=delta,
                corrects=line,
                reason=words_stored_text(reason),
                explanation=explanation,
            )
        )
    return out


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
    # Collection is checked once per order that has a pending line (not once per pending line).
    collected = collected_orders().filter(pk__in=pending.values("order_id"))
    moved = pending.filter(order_id__in=collected).update(
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
        collected = partial[line.order_id]  # type: ignore[index]
        target = allocate(earned, [collected, Decimal(1) - collected])[0]  # the collected part of it
        tranche = target - already
        if tranche <= 0:
            continue
        new.append(
            CommissionLine(
                source_key=f"{tkey}|{target:.2f}",
                period=line.period,
                kind=line.kind,
                status=LineStatus.PAYABLE,
                **_same_sale(line),
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
