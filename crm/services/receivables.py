"""Q6: receivables aging, bad-debt write-offs, and sales net of write-offs.

Due date: `Order.due_on`, fixed at booking as the booked date + the policy's payment terms (orders
booked elsewhere without one: booked date + the terms in force today). "More than k months overdue"
means the due date is before the same calendar day k months ago (clamped to month ends).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from common.deferred_text import words
from common.errors import DomainError
from common.money import ZERO, format_cny, round_fen
from common.timeutil import local_date, local_today, start_of_local_day
from crm import policy as crm_policy
from crm.models import (
    ApprovalKind,
    ApprovalRequest,
    Invoice,
    Order,
    OrderStatus,
    Payment,
    PipelinePolicy,
    Role,
    User,
    WriteOff,
    WriteOffStatus,
)
from crm.services.approvals import approval_request_create

MONEY: models.DecimalField = models.DecimalField(max_digits=16, decimal_places=2)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same calendar day `months` months earlier, clamped to the month's end (Aug 31 − 6 → Feb 28)."""
    y, m = divmod(day.month - 1 - months, 12)
    year, month = day.year + y, m + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def pipeline_policy(*, on: dt.date | None = None) -> PipelinePolicy:
    """The policy in force on a day (unsaved defaults when admins have not set one)."""
    on = on or local_today()
    policy = PipelinePolicy.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    return policy or PipelinePolicy(effective_from=on)


# Bucket codes (stable in the API) → label; %(m)d is the policy's threshold in months.
BUCKETS = {
    "bad_debt": gettext_lazy("逾期超过%(m)d个月（可申请坏账）"),
    "meeting": gettext_lazy("逾期超过%(m)d个月（周例会）"),
    "watch": gettext_lazy("逾期超过%(m)d个月（关注名单）"),
    "overdue": gettext_lazy("已逾期"),
    "current": gettext_lazy("未到期"),
}


def bucket_label(bucket: str, *, policy: PipelinePolicy) -> str:
    months = {
        "bad_debt": policy.bad_debt_months,
        "meeting": policy.meeting_months,
        "watch": policy.watch_months,
    }.get(bucket)
    label = str(BUCKETS[bucket])
    return label % {"m": months} if months is not None else label


def order_due_date(order: Order, *, policy: PipelinePolicy) -> dt.date:
    return order.due_on or (local_date(order.booked_at) + dt.timedelta(days=policy.payment_terms_days))


def aging_bucket(*, due: dt.date, today: dt.date, policy: PipelinePolicy) -> str:
    """Which list an open receivable is on: > bad_debt, > meeting, > watch months overdue."""
    if due < months_before(today, policy.bad_debt_months):
        return "bad_debt"
    if due < months_before(today, policy.meeting_months):
        return "meeting"
    if due < months_before(today, policy.watch_months):
        return "watch"
    if due < today:
        return "overdue"
    return "current"


def summed_by_order(model: Any, **filters: Any) -> Subquery:
    """The sum of `model.amount` for the outer order (a correlated subquery; NULL when none)."""
    sub = (
        model.objects.filter(order=OuterRef("pk"), **filters)
        .order_by()
        .values("order")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return Subquery(sub, output_field=MONEY)


def orders_with_money(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate invoiced / received / written off / outstanding in one query (subqueries, no fan-out)."""

    def summed(model: Any, **filters: Any) -> Coalesce:
        return Coalesce(summed_by_order(model, **filters), Value(ZERO), output_field=MONEY)

    return qs.annotate(
        invoiced_sum=summed(Invoice),
        received_sum=summed(Payment),
        written_off_sum=summed(WriteOff, status=WriteOffStatus.APPROVED),
    ).annotate(outstanding_sum=F("total") - F("received_sum") - F("written_off_sum"))


def open_amount() -> CombinedExpression:
    """The open (outstanding) amount of an order as a column expression: total − cleared (received net
    of refunds + approved write-offs), kept by `order_cleared_refresh`; equals `orders_with_money`'s
    `outstanding_sum` without a subquery per order."""
    return CombinedExpression(F("total"), "-", F("cleared_amount"), output_field=MONEY)


def open_orders(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Orders of `qs` with money still to come in, annotated with `open_sum` (set-based, no subquery)."""
    return qs.filter(total__gt=F("cleared_amount")).annotate(open_sum=open_amount())


def order_cleared_refresh(*, order_ids: Iterable[int]) -> int:
    """Recompute `Order.cleared_amount` from the payments (net of refunds) and approved write-offs of
    these orders, in one UPDATE. Called by every service that records one of them."""
    ids = list(order_ids)
    if not ids:
        return 0
    received = Coalesce(summed_by_order(Payment), Value(ZERO), output_field=MONEY)
    written_off = Coalesce(
        summed_by_order(WriteOff, status=WriteOffStatus.APPROVED), Value(ZERO), output_field=MONEY
    )
    return Order.objects.filter(pk__in=ids).update(
        cleared_amount=CombinedExpression(received, "+", written_off, output_field=MONEY)
    )


def receivables_visible_to(*, user: User) -> QuerySet[Order]:
    """C11: finance and whoever sees everything see all receivables; a manager their team's; a rep
    their own."""
    return crm_policy.money_owned(Order.objects.filter(status=OrderStatus.BOOKED), user)


def receivables_overdue(
    qs: QuerySet[Order], *, months: int = 0, today: dt.date | None = None
) -> QuerySet[Order]:
    """Open receivables whose due date is more than `months` months ago (0: any overdue)."""
    today = today or local_today()
    policy = pipeline_policy(on=today)
    cutoff = months_before(today, months)
    fallback_cutoff = start_of_local_day(cutoff - dt.timedelta(days=policy.payment_terms_days))
    return (
        orders_with_money(qs)
        .filter(outstanding_sum__gt=0)  # type: ignore[misc]
        .filter(Q(due_on__lt=cutoff) | Q(due_on__isnull=True, booked_at__lt=fallback_cutoff))
    )


@dataclass
class AgingRow:
    order: Order
    due: dt.date
    bucket: str
    bucket_label: str
    days_overdue: int


def aging_rows(orders: list[Order], *, today: dt.date | None = None) -> list[AgingRow]:
    today = today or local_today()
    policy = pipeline_policy(on=today)
    rows = []
    for o in orders:
        due = order_due_date(o, policy=policy)
        bucket = aging_bucket(due=due, today=today, policy=policy)
        rows.append(AgingRow(o, due, bucket, bucket_label(bucket, policy=policy), max((today - due).days, 0)))
    return rows


# --- write-offs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteOffEligibility:
    """Whether `by` may propose this order's debt as bad debt today, and if not, why (and from when)."""

    allowed: bool
    why_not: str = ""
    code: str = ""
    status: int = 400
    possible_from: dt.date | None = None
    outstanding: Decimal = ZERO


def _first_bad_debt_day(due: dt.date, months: int) -> dt.date:
    """The first day on which a receivable due on `due` is more than `months` months overdue."""
    day = due + dt.timedelta(days=months * 28)
    while not due < months_before(day, months):
        day += dt.timedelta(days=1)
    return day


def writeoff_eligibility(*, order: Order, by: User, today: dt.date | None = None) -> WriteOffEligibility:
    """Q6, the one eligibility rule for a bad-debt proposal: the order page offers the form only when
    this allows it (and otherwise says when it becomes possible); `writeoff_propose` refuses the same."""
    today = today or local_today()
    if not (
        by.has_role(Role.FINANCE) or by.sees_everything or order.owner_id in crm_policy.team_member_ids(by)
    ):
        return WriteOffEligibility(False, _("您不能为该订单申请坏账核销。"), "not_allowed", 403)
    policy = pipeline_policy(on=today)
    months = policy.bad_debt_months
    booked = Order.objects.filter(pk=order.pk, status=OrderStatus.BOOKED)
    eligible = receivables_overdue(booked, months=months, today=today).first()
    if eligible is None:
        open_order = orders_with_money(booked).filter(outstanding_sum__gt=0).first()  # type: ignore[misc]
        if open_order is None:
            return WriteOffEligibility(False, _("该订单没有未收回的应收款，无需核销。"), "not_bad_debt")
        due = order_due_date(open_order, policy=policy)
        possible_from = _first_bad_debt_day(due, months)
        return WriteOffEligibility(
            False,
            _("逾期超过%(m)d个月的应收款才能申请坏账核销：本单应收到期日为 %(due)s，最早可于 %(from)s 申请。")
            % {"m": months, "due": due.isoformat(), "from": possible_from.isoformat()},
            "not_bad_debt",
            possible_from=possible_from,
        )
    if WriteOff.objects.filter(order=order, status=WriteOffStatus.PROPOSED).exists():
        return WriteOffEligibility(False, _("该订单已有待审批的坏账核销申请。"), "already_proposed", 409)
    return WriteOffEligibility(True, outstanding=eligible.outstanding_sum)  # type: ignore[attr-defined]


@transaction.atomic
def writeoff_propose(
    *, order: Order, amount: Any, reason: str, by: User, today: dt.date | None = None
) -> WriteOff:
    """Q6: propose a debt more than `bad_debt_months` overdue as bad debt; the matrix routes it."""
    from crm.services.payments import _amount

    order = Order.objects.select_for_update().get(pk=order.pk)
    check = writeoff_eligibility(order=order, by=by, today=today)
    if check.code == "not_allowed":
        raise DomainError(check.why_not, code=check.code, status=check.status)
    amt = _amount(amount)
    if not (reason or "").strip():
        raise DomainError(_("请填写坏账原因。"), code="reason_required", field="reason")
    if not check.allowed:
        raise DomainError(check.why_not, code=check.code, status=check.status)
    outstanding = check.outstanding
    if amt > outstanding:
        raise DomainError(_("核销金额不能超过未收金额 ¥%(o)s。") % {"o": outstanding}, field="amount")
    writeoff = WriteOff.objects.create(order=order, amount=amt, reason=reason.strip()[:200], proposed_by=by)
    approval_request_create(
        kind=ApprovalKind.WRITE_OFF,
        subject=writeoff,
        requested_by=by,
        title=words(gettext_noop("坏账核销 %(n)s %(a)s"), n=order.number, a=format_cny(amt)),
        amount=amt,
    )
    return writeoff


BOARD_RESOLUTION_MAX_BYTES = 20 * 1024 * 1024


@transaction.atomic
def writeoff_board_resolution_record(
    *, writeoff: WriteOff, by: User, number: str, resolved_on: dt.date | None, file: Any
) -> WriteOff:
    """002 §8.3: finance records the board's resolution (number, date, the signed document) on a proposed
    write-off; only then can the write-off be approved."""
    if not (by.has_role(Role.FINANCE) or by.sees_everything):
        raise DomainError(_("只有财务中心可以登记董事会决议。"), code="not_allowed", status=403)
    writeoff = WriteOff.objects.select_for_update().get(pk=writeoff.pk)
    if writeoff.status != WriteOffStatus.PROPOSED:
        raise DomainError(_("该坏账核销已处理，不能再登记决议。"), code="not_proposed", status=409)
    number = (number or "").strip()
    if not number:
        raise DomainError(_("请填写董事会决议编号。"), code="required", field="number")
    if resolved_on is None:
        raise DomainError(_("请填写董事会决议日期。"), code="required", field="resolved_on")
    if resolved_on > local_today():
        raise DomainError(_("董事会决议日期不能晚于今天。"), code="invalid_date", field="resolved_on")
    if file is None:
        raise DomainError(_("请上传董事会决议附件。"), code="required", field="file")
    if getattr(file, "size", 0) > BOARD_RESOLUTION_MAX_BYTES:
        raise DomainError(_("附件不能超过20MB。"), code="too_large", field="file")
    writeoff.board_resolution_no = number[:50]
    writeoff.board_resolution_on = resolved_on
    writeoff.board_resolution_file = file
    writeoff.board_resolution_recorded_by = by
    writeoff.save(
        update_fields=[
            "board_resolution_no",
            "board_resolution_on",
            "board_resolution_file",
            "board_resolution_recorded_by",
            "updated_at",
        ]
    )
    return writeoff


def writeoff_on_approval(*, request: ApprovalRequest, approved: bool, by: User, rate: Decimal | None) -> None:
    """An approved write-off counts as negative sales in the year it is approved (see sales_by_rep).
    002 §8.3: the board decides; finance alone cannot write off, so approval needs the resolution."""
    writeoff = WriteOff.objects.select_for_update().get(pk=request.object_id)
    if approved and not writeoff.has_board_resolution:
        raise DomainError(
            _("坏账核销须由董事会决定：请先登记董事会决议（编号、日期、附件），财务不能单独核销。"),
            code="board_resolution_required",
            status=409,
        )
    if approved:
        order = Order.objects.select_for_update().get(pk=writeoff.order_id)
        if writeoff.amount > order.outstanding:
            raise DomainError(
                _("提议后已有回款：核销金额 ¥%(a)s 超过当前未收金额 ¥%(o)s，请驳回后重新申请。")
                % {"a": writeoff.amount, "o": order.outstanding},
                code="writeoff_exceeds_outstanding",
                status=409,
            )
        writeoff.status = WriteOffStatus.APPROVED
        writeoff.approved_by = by
        writeoff.approved_on = local_today()
    else:
        writeoff.status = WriteOffStatus.REJECTED
    writeoff.save(update_fields=["status", "approved_by", "approved_on", "updated_at"])
    order_cleared_refresh(order_ids=[writeoff.order_id])


# --- sales net of write-offs --------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[dt.datetime, dt.datetime]:
    return start_of_local_day(dt.date(year, 1, 1)), start_of_local_day(dt.date(year + 1, 1, 1))


def sales_records(*, year: int) -> list[dict[str, Any]]:
    """The year's sales ledger: each booked order (+total) and each approved write-off (−amount, in
    the year it was approved), with the rep (order owner) and the rep's department."""
    start, end = _year_bounds(year)
    rows: list[dict[str, Any]] = []
    for o in (
        Order.objects.filter(status=OrderStatus.BOOKED, booked_at__gte=start, booked_at__lt=end)
        .values("id", "number", "owner_id", "owner__department_id", "total", "booked_at")
        .order_by("booked_at", "id")
    ):
        rows.append(
            {
                "kind": "order",
                "order_id": o["id"],
                "number": o["number"],
                "user_id": o["owner_id"],
                "department_id": o["owner__department_id"],
                "amount": o["total"],
                "on": local_date(o["booked_at"]),
            }
        )
    for w in (
        WriteOff.objects.filter(status=WriteOffStatus.APPROVED, approved_on__year=year)
        .values(
            "id",
            "order_id",
            "order__number",
            "order__owner_id",
            "order__owner__department_id",
            "amount",
            "approved_on",
        )
        .order_by("approved_on", "id")
    ):
        rows.append(
            {
                "kind": "write_off",
                "order_id": w["order_id"],
                "number": w["order__number"],
                "user_id": w["order__owner_id"],
                "department_id": w["order__owner__department_id"],
                "amount": -w["amount"],
                "on": w["approved_on"],
            }
        )
    return rows


def sales_by_rep(*, year: int) -> dict[int, Decimal]:
    """Q6: each rep's sales in the year (booked order totals) minus write-offs approved that year."""
    out: dict[int, Decimal] = {}
    for r in sales_records(year=year):
        out[r["user_id"]] = round_fen(out.get(r["user_id"], ZERO) + r["amount"])
    return out


def sales_by_department(*, year: int) -> dict[int | None, Decimal]:
    out: dict[int | None, Decimal] = {}
    for r in sales_records(year=year):
        out[r["department_id"]] = round_fen(out.get(r["department_id"], ZERO) + r["amount"])
    return out
