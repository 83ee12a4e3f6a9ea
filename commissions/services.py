"""Commission services: plans (K12), the ledger run (K1–K10), payable refresh (K8), clawbacks (K10),
forfeit (K11), closing a period.

THE CONTRACT with settlements (see README "Commission ledger"):
- this module writes CommissionLine rows and moves them pending → payable (K8) or → forfeited (K11);
- it never changes a line whose status is settled or paid, and never recomputes a closed period
  (`selectors.period_is_closed`); corrections of such lines are new lines (negative for clawbacks) in an
  open period, with `corrects` pointing at the original;
- settlements takes `payable` lines, marks them `settled` when the settlement is approved and `paid` at
  payout, and calls `commission_period_close(period=…)` when a month's settlement is approved.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, transaction
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from commissions import calculator as calc
from commissions.models import (
    CommissionForfeit,
    CommissionLine,
    CommissionPeriod,
    CommissionPlan,
    KeyAccountUplift,
    LineKind,
    LineStatus,
    PeriodCalculation,
    PlanAssignment,
    SalesTarget,
)
from commissions.selectors import (
    LOCKED_STATUSES,
    PlanDirectory,
    closed_periods,
    period_is_closed,
    policy_on,
)
from common.errors import Conflict, DomainError
from common.money import ZERO, round_fen, split_by_shares
from common.timeutil import month_start, next_month, start_of_local_day

if TYPE_CHECKING:
    from django.db.models import Field

    from crm.models import User
    from partners.models import Partner

BATCH = 5000
MONEY: DecimalField = DecimalField(max_digits=20, decimal_places=6)


# --------------------------------------------------------------------------------------------------
# Plans (K12)
# --------------------------------------------------------------------------------------------------


def plan_validate(*, definition: Any) -> dict[str, Any]:
    """A plan definition, or DomainError listing every problem in it."""
    errors = calc.validate_plan(definition)
    if errors:
        raise DomainError(_("方案定义有误：%(errors)s") % {"errors": "；".join(errors)}, field="definition")
    return definition  # type: ignore[no-any-return]


def _check_notice(
    *, effective_from: dt.date, published_at: dt.datetime, override_reason: str, by: User | None
) -> None:
    """K12: a plan takes effect at least N days (policy, default 30) after it is published, unless an
    admin overrides with a written reason."""
    notice = policy_on(published_at.date()).plan_notice_days
    earliest = timezone.localtime(published_at).date() + dt.timedelta(days=notice)
    if effective_from >= earliest:
        return
    if not override_reason.strip():
        raise DomainError(
            _("方案须提前 %(days)s 天公布：最早生效日期为 %(date)s；如需提前生效，须由管理员填写原因。")
            % {"days": notice, "date": earliest},
            field="effective_from",
        )
    if by is None or not (by.is_superuser or by.has_role("admin")):
        raise DomainError(_("只有系统管理员可以批准提前生效。"), code="forbidden", status=403)


def plan_check(
    *,
    definition: Any,
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
) -> CommissionPlan | None:
    """Every rule a plan save must pass, without saving: the definition (validate_plan), the dates,
    K12 notice, and that a version already in force or used by a closed month is not edited.
    Returns the existing version (or None)."""
    plan_validate(definition=definition)
    if effective_to is not None and effective_to < effective_from:
        raise DomainError(_("失效日期不能早于生效日期。"), field="effective_to")
    plan = CommissionPlan.objects.filter(code=definition["code"], effective_from=effective_from).first()
    if plan is not None and plan.published_at is not None:
        used_closed = CommissionLine.objects.filter(plan=plan, status__in=LOCKED_STATUSES).exists()
        frozen = used_closed or plan.effective_from <= timezone.localdate()
        if frozen and plan.definition != definition:
            raise Conflict(
                _("该方案版本已生效或已用于已结算月份，不能修改；请以新的生效日期另存一个版本。"),
                field="definition",
            )
    if publish and (plan is None or plan.published_at is None):
        _check_notice(
            effective_from=effective_from, published_at=timezone.now(), override_reason=override_reason, by=by
        )
    return plan


@transaction.atomic
def plan_save(
    *,
    definition: dict[str, Any],
    effective_from: dt.date,
    effective_to: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
) -> CommissionPlan:
    """Create or replace a plan version (code + effective_from). A published version whose effective date
    has come, or that a closed period used, is frozen: change it by saving a new version (K12)."""
    plan = plan_check(
        definition=definition,
        effective_from=effective_from,
        effective_to=effective_to,
        publish=publish,
        override_reason=override_reason,
        by=by,
    )
    if plan is not None:
        plan = CommissionPlan.objects.select_for_update().get(pk=plan.pk)
    else:
        plan = CommissionPlan(code=definition["code"], effective_from=effective_from)
    plan.name = definition["name"]
    plan.definition = definition
    plan.effective_to = effective_to
    if publish and plan.published_at is None:
        plan.published_at = timezone.now()
        plan.published_by = by
        if override_reason.strip():
            plan.notice_override_reason = override_reason.strip()
            plan.notice_override_by = by
    plan.save()
    return plan


def plan_publish(*, plan: CommissionPlan, by: User, override_reason: str = "") -> CommissionPlan:
    if plan.published_at is not None:
        return plan
    return plan_save(
        definition=plan.definition,
        effective_from=plan.effective_from,
        effective_to=plan.effective_to,
        publish=True,
        override_reason=override_reason,
        by=by,
    )


def plan_export(*, plan: CommissionPlan) -> dict[str, Any]:
    """The plan as a file: its definition plus its version dates (what plan_import reads back)."""
    return {
        **plan.definition,
        "effective_from": plan.effective_from.isoformat(),
        "effective_to": plan.effective_to.isoformat() if plan.effective_to else None,
    }


def plan_import(
    *,
    data: Any,
    effective_from: dt.date | None = None,
    publish: bool = False,
    override_reason: str = "",
    by: User | None = None,
) -> CommissionPlan:
    if not isinstance(data, dict):
        raise DomainError(_("方案文件必须是 JSON 对象。"))
    data = dict(data)
    raw_from = data.pop("effective_from", None)
    raw_to = data.pop("effective_to", None)
    try:
        start = effective_from or (dt.date.fromisoformat(raw_from) if raw_from else None)
        end = dt.date.fromisoformat(raw_to) if raw_to else None
    except (TypeError, ValueError):
        raise DomainError(_("生效/失效日期格式应为 YYYY-MM-DD。"), field="effective_from") from None
    if start is None:
        raise DomainError(_("请指定生效日期。"), field="effective_from")
    return plan_save(
        definition=data,
        effective_from=start,
        effective_to=end,
        publish=publish,
        override_reason=override_reason,
        by=by,
    )


def plan_assign(
    *,
    plan: CommissionPlan,
    starts_on: dt.date,
    user: User | None = None,
    role: str = "",
    partner_kind: str = "",
    ends_on: dt.date | None = None,
    grade: str = "",
) -> PlanAssignment:
    if sum(bool(x) for x in (user, role, partner_kind)) != 1:
        raise DomainError(_("适用对象须且只能是一名员工、一个角色或一类合伙人。"))
    obj, _created = PlanAssignment.objects.get_or_create(
        plan=plan,
        user=user,
        role=role,
        partner_kind=partner_kind,
        starts_on=starts_on,
        defaults={"ends_on": ends_on, "grade": grade},
    )
    return obj


# --------------------------------------------------------------------------------------------------
# The ledger run
# --------------------------------------------------------------------------------------------------


@dataclass
class _ShareRow:
    """One credit share's slice of one order, aggregated in SQL by category (and the K5/K9 flags)."""

    share_id: int
    order_id: int
    user_id: int | None
    partner_id: int | None
    share: Decimal
    lines: list[calc.LineFact] = field(default_factory=list)
    base: Decimal = ZERO  # sum of the line amounts; set by finish() once the lines are final

    def finish(self) -> None:
        self.base = sum((x.amount for x in self.lines), ZERO)


@dataclass
class LedgerRun:
    period: dt.date
    payees: int = 0
    calculations: int = 0
    created: int = 0
    updated: int = 0
    zeroed: int = 0
    clawbacks: int = 0
    made_payable: int = 0
    total: Decimal = ZERO
    skipped_no_plan: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (README: Performance)
    lines_db_seconds: float = 0.0  # of which the database spent writing and checking new lines (PostgreSQL)

    def lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = round(now - since, 3)
        return now


def _raw_rows(qs: QuerySet[Any], chunk: int = 20000) -> Iterable[tuple[Any, ...]]:
    """Stream a values()/values_list() queryset as plain tuples straight from the driver: skips Django's
    per-row converters, which dominate at hundreds of thousands of rows (psycopg already returns
    Decimal/date). Column order = the values() fields, then the annotations."""
    if connection.vendor != "postgresql":  # SQLite's driver returns floats: go through the ORM
        for item in qs.iterator(chunk_size=chunk):
            yield tuple(item.values()) if isinstance(item, dict) else item
        return
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(chunk)
            if not rows:
                return
            yield from rows


def _period_bounds(period: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return start_of_local_day(period), start_of_local_day(next_month(period))


def order_net_factors(
    order_ids: Iterable[int] | None = None, *, before: dt.date | None = None
) -> dict[int, Decimal]:
    """Per order: net sales / total after refunds and approved write-offs dated before `before`
    (K5 net sales; Q6 a write-off is negative sales). Only orders that have any are listed."""
    from crm.models import Order, Payment, PaymentKind, WriteOff, WriteOffStatus

    reductions: dict[int, Decimal] = defaultdict(lambda: ZERO)
    refunds = Payment.objects.filter(kind=PaymentKind.REFUND)
    writeoffs = WriteOff.objects.filter(status=WriteOffStatus.APPROVED)
    if before is not None:
        refunds = refunds.filter(received_on__lt=before)
        writeoffs = writeoffs.filter(approved_on__lt=before)
    if order_ids is not None:
        ids = list(order_ids)
        refunds = refunds.filter(order_id__in=ids)
        writeoffs = writeoffs.filter(order_id__in=ids)
    for oid, amount in refunds.values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"):
        reductions[oid] += -amount
    for oid, amount in writeoffs.values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"):
        reductions[oid] += amount
    if not reductions:
        return {}
    totals = dict(Order.objects.filter(pk__in=list(reductions)).values_list("pk", "total"))
    out = {}
    for oid, red in reductions.items():
        total = totals.get(oid) or ZERO
        out[oid] = ZERO if total <= 0 else max(ZERO, min(Decimal(1), (total - red) / total))
    return out


@dataclass
class _PeriodSlices:
    """The month's order lines aggregated per order (and category / K9 / K5 flags when a plan needs them),
    grouped by credit holder. Each slice is (share id, order id, user id, partner id, share, the
    aggregated SQL row, the holder's exact part of its money sums or None when the holder has 100%).
    Turning slices into calculator facts is left to `share_rows`, one payee at a time, so the month run
    can write a payee's lines while it builds the next payee's facts."""

    by_payee: dict[str, list[tuple[Any, ...]]]
    at: dict[str, int]  # column positions in the aggregated rows

    def share_rows(self, slices: list[tuple[Any, ...]]) -> list[_ShareRow]:
        """One payee's slices as one _ShareRow per credit share, in order-id order (split ties always
        break the same way), each with one LineFact per aggregated row."""
        at = self.at
        i_cat, i_below = at.get("category"), at.get("below")
        i_bfr, i_kac = at.get("order__below_floor_rate"), at.get("order__customer__key_account_class")
        i_cost, i_tax, i_log = at.get("cost_sum"), at.get("tax_sum"), at.get("log_sum")
        i_amount, i_qty = at["amount_sum"], at["qty_sum"]
        LineFact = calc.LineFact
        rows: dict[int, _ShareRow] = {}
        for sid, oid, uid, pid, fraction, raw, parts in slices:
            row = rows.get(sid)
            if row is None:
                row = rows[sid] = _ShareRow(
                    share_id=sid, order_id=oid, user_id=uid, partner_id=pid, share=fraction
                )
            if parts is None:  # the common case: one holder, 100%
                amount = raw[i_amount]
                cost = (raw[i_cost] if i_cost is not None else None) or ZERO
                tax = (raw[i_tax] if i_tax is not None else None) or ZERO
                logistics = (raw[i_log] if i_log is not None else None) or ZERO
            else:
                amount, cost, tax, logistics = parts
            row.lines.append(
                LineFact(
                    category=raw[i_cat] if i_cat is not None else "",
                    amount=amount,
                    quantity=raw[i_qty] * fraction,
                    cost=cost,
                    tax=tax,
                    logistics=logistics,
                    below_floor=bool(raw[i_below]) if i_below is not None else False,
                    below_floor_rate=raw[i_bfr] if i_bfr is not None else None,
                    key_account_class=(raw[i_kac] if i_kac is not None else None) or "",
                    ref=str(oid),
                )
            )
        out = list(rows.values())
        for row in out:
            row.finish()
        return out


def _period_slices(period: dt.date, *, by_category: bool, user_id: int | None = None) -> _PeriodSlices:
    """All credit-share slices of the orders booked in `period`: order lines aggregated in SQL per order
    (and category / K9 / K5 flags when a plan needs them), then each money sum split over the order's
    credit shares with split_by_shares, so the holders' bases add up to the order exactly (P4)."""
    from crm.models import OrderLine
    from partners.models import CreditShare

    start, end = _period_bounds(period)
    in_period: dict[str, Any] = {"order__booked_at__gte": start, "order__booked_at__lt": end}
    if user_id is not None:  # one holder's slices only (the what-if estimator)
        in_period["order__credit_shares__user_id"] = user_id
    shares: dict[int, list[tuple[int, int | None, int | None, Decimal]]] = defaultdict(list)
    for sid, oid, uid, pid, fraction in _raw_rows(
        CreditShare.objects.filter(**in_period)
        .order_by("order_id", "id")
        .values_list("id", "order_id", "user_id", "partner_id", "share")
    ):
        shares[oid].append((sid, uid, pid, fraction))
    below = Case(
        When(Q(floor_price__gt=0) & Q(unit_price__lt=F("floor_price")), then=Value(True)),
        default=Value(False),
    )
    keys = ["order_id"]
    annotations: dict[str, Any] = {"amount_sum": Sum("amount"), "qty_sum": Sum("quantity")}
    qs = OrderLine.objects.filter(**in_period)
    if by_category:
        qs = qs.annotate(below=below)
        keys += ["category", "below", "order__below_floor_rate", "order__customer__key_account_class"]
        annotations |= {
            "cost_sum": Sum(ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=MONEY)),
            "tax_sum": Sum("tax"),
            "log_sum": Sum("logistics"),
        }
    at = {n: i for i, n in enumerate([*keys, *annotations])}
    i_amount, i_cost, i_tax, i_log = (
        at["amount_sum"],
        at.get("cost_sum"),
        at.get("tax_sum"),
        at.get("log_sum"),
    )
    by_payee: dict[str, list[tuple[Any, ...]]] = defaultdict(list)

    def split(value: Decimal | None, fractions: list[Decimal]) -> list[Decimal]:
        if not value:
            return [ZERO] * len(fractions)
        return split_by_shares(value, fractions)

    # This loop sees every order of the month (200,000 in the benchmark): it only files each row under
    # its holder (and splits the few shared orders); the facts are built later, payee by payee.
    for raw in _raw_rows(qs.values(*keys).annotate(**annotations).order_by("order_id")):
        oid = raw[0]
        holders = shares.get(oid)
        if not holders:
            continue  # P4: an order without frozen credit shares pays nobody (yet)
        if len(holders) == 1 and holders[0][3] == 1:
            sid, uid, pid, fraction = holders[0]
            by_payee[f"u{uid}" if uid else f"p{pid}"].append((sid, oid, uid, pid, fraction, raw, None))
            continue
        fractions = [h[3] for h in holders]
        parts = zip(
            split(raw[i_amount], fractions),
            split(raw[i_cost] if i_cost is not None else None, fractions),
            split(raw[i_tax] if i_tax is not None else None, fractions),
            split(raw[i_log] if i_log is not None else None, fractions),
            strict=True,
        )
        for (sid, uid, pid, fraction), part in zip(holders, parts, strict=True):
            by_payee[f"u{uid}" if uid else f"p{pid}"].append((sid, oid, uid, pid, fraction, raw, part))
    return _PeriodSlices(by_payee=dict(by_payee), at=at)


def _aggregate_period(period: dt.date, *, by_category: bool, user_id: int | None = None) -> list[_ShareRow]:
    """All credit-share slices of the month as facts (`_period_slices`, every payee at once)."""
    slices = _period_slices(period, by_category=by_category, user_id=user_id)
    return [row for group in slices.by_payee.values() for row in slices.share_rows(group)]


def _scaled(line: calc.LineFact, factor: Decimal, uplift: bool) -> calc.LineFact:
    return calc.LineFact(
        category=line.category,
        amount=line.amount * factor,
        quantity=line.quantity,
        cost=line.cost * factor,
        tax=line.tax * factor,
        logistics=line.logistics * factor,
        below_floor=line.below_floor,
        below_floor_rate=line.below_floor_rate,
        key_account_class=line.key_account_class,
        key_account_uplift=uplift,
        ref=line.ref,
    )


def _component_weights(comp: dict[str, Any], rows: list[_ShareRow], has_below_floor: bool) -> list[Decimal]:
    """How a component's payee total is allocated to the payee's order slices: by the slice's part of
    that component's base (period components: its sales; per-line components: its matching lines)."""
    ctype = comp["type"]
    out = []
    for row in rows:
        lines = row.lines
        if ctype in calc.PERIOD_COMPONENTS:
            out.append(sum((x.amount for x in lines), ZERO))
            continue
        if ctype == "below_floor":
            lines = [x for x in lines if x.below_floor]
        elif has_below_floor:
            lines = [x for x in lines if not x.below_floor]
        if ctype in ("category_rates", "rebate"):
            rates = comp["rates"]
            default = comp.get("default_rate")
            lines = [x for x in lines if x.category in rates or default is not None]
        elif ctype == "margin":
            lines = [x for x in lines if x.category in comp["categories"]]
            out.append(sum((max(ZERO, x.amount - x.cost - x.tax - x.logistics) for x in lines), ZERO))
            continue
        elif ctype == "key_account":
            lines = [x for x in lines if x.key_account_class]
        out.append(sum((x.amount for x in lines), ZERO))
    return out


def _normalised(weights: list[Decimal]) -> list[Decimal] | None:
    total = sum(weights, ZERO)
    if total <= 0:
        return None
    return [w / total for w in weights]


@dataclass(slots=True)
class _Desired:
    key: str
    payee_user_id: int | None
    payee_partner_id: int | None
    order_id: int | None
    share_id: int | None
    plan_id: int
    component: str
    category: str
    base: Decimal
    rate: Decimal | None
    amount: Decimal
    explanation: dict[str, Any]
    kind: str = LineKind.EARNED  # K13 partner rebates are `rebate` lines


@dataclass(slots=True)
class _PayeeResult:
    """The calculator's result for one payee under one plan, with the order slices it is allocated to."""

    calc_key: str
    user_id: int | None
    partner_id: int | None
    plan: CommissionPlan
    rows: list[_ShareRow]
    result: calc.Result


EARNED_KINDS = (LineKind.EARNED, LineKind.REBATE)
# JSON as the ledger's COPY text writes it (compact, Chinese kept as is).
_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@transaction.atomic
def ledger_recalculate(*, period: dt.date) -> LedgerRun:
    """Compute the month's commission ledger from the orders booked in it × their credit shares.

    Set-based: one SQL aggregation of the month's order lines per order, split exactly over the credit
    shares; then payee by payee the calculator once per plan, each component's payee total split over
    the payee's orders exactly (split_by_shares), the lines upserted by `source_key` (new ones stream
    into the database while the next payee is computed). Idempotent: a second run changes nothing. A
    closed month is refused. Then K10 clawbacks and the K8 payable refresh run.
    """
    from partners.models import Partner

    period = month_start(period)
    CommissionPeriod.objects.get_or_create(period=period)
    CommissionPeriod.objects.select_for_update().get(period=period)
    if period_is_closed(period):
        raise Conflict(
            _("%(period)s 已结算关闭，不能重新计算；更正将计入下一个未关闭的月份。")
            % {"period": f"{period:%Y-%m}"}
        )
    run = LedgerRun(period=period)

    directory = PlanDirectory.load(period)
    all_plans = [a.plan for group in directory.by_user.values() for a in group]
    all_plans += [a.plan for group in directory.by_role.values() for a in group]
    all_plans += [a.plan for group in directory.by_partner_kind.values() for a in group]
    by_category = any(
        c["type"] not in calc.PERIOD_COMPONENTS for p in all_plans for c in p.definition.get("components", [])
    )
    t = time.perf_counter()
    slices = _period_slices(period, by_category=by_category)
    t = run.lap("aggregate_sql_and_split", t)
    # Net of every refund/write-off recorded so far; each line stores the factor it used, so a later
    # clawback (once the month is closed) only takes what this run did not already deduct.
    factors = order_net_factors()
    payees = slices.by_payee
    user_ids = [int(k[1:]) for k in payees if k[0] == "u"]
    directory.load_roles(user_ids)
    partner_kinds = dict(
        Partner.objects.filter(pk__in=[int(k[1:]) for k in payees if k[0] == "p"]).values_list("pk", "kind")
    )
    targets = dict(
        SalesTarget.objects.filter(user_id__in=user_ids, period=period, annual=False).values_list(
            "user_id", "amount"
        )
    )
    uplifts = set(
        KeyAccountUplift.objects.filter(user_id__in=user_ids, year=period.year).values_list(
            "user_id", "customer_id"
        )
    )
    order_customer: dict[int, int] = {}
    if uplifts:
        from crm.models import Order

        order_customer = dict(
            Order.objects.filter(pk__in={s[1] for group in payees.values() for s in group}).values_list(
                "pk", "customer_id"
            )
        )
    start, end = _period_bounds(period)
    collected = set(
        collected_orders().filter(booked_at__gte=start, booked_at__lt=end).values_list("pk", flat=True)
    )
    t = run.lap("plans_targets_collected", t)

    calcs: list[PeriodCalculation] = []
    key_head = f"e:{period:%Y%m}:"
    # From here until the writer is finished the connection belongs to the writer: no queries.
    with _LineWriter(period, collected) as writer:
        for payee, payee_slices in payees.items():
            uid, pid = payee_slices[0][2], payee_slices[0][3]
            assignments = (
                directory.for_user(uid) if uid else directory.for_partner(partner_kinds.get(pid or 0, ""))
            )
            if not assignments:
                run.skipped_no_plan += 1
                continue
            run.payees += 1
            payee_rows = slices.share_rows(payee_slices)
            # Net of refunds/write-offs (open month only: closed months are corrected by clawbacks).
            for row in payee_rows:
                f = factors.get(row.order_id, Decimal(1))
                up = bool(uplifts) and (uid, order_customer.get(row.order_id)) in uplifts
                if f != 1 or up:
                    row.lines = [_scaled(x, f, up) for x in row.lines]
                    row.finish()
            for a in assignments:
                facts = calc.Facts(
                    lines=tuple(x for r in payee_rows for x in r.lines),
                    target=targets.get(uid) if uid else None,
                    grade=a.grade,
                )
                r = _PayeeResult(
                    calc_key=f"{period:%Y%m}:{payee}:{a.plan.code}",
                    user_id=uid,
                    partner_id=pid,
                    plan=a.plan,
                    rows=payee_rows,
                    result=calc.calculate(a.plan.definition, facts),
                )
                calcs.append(_calculation(period, r))
                _allocate(r, factors, key_head, writer)
        writer.finish(run)
    run.calculations = len(calcs)
    t = run.lap("calculate_allocate_write_lines", t)
    _calculations_upsert(period, calcs)
    t = run.lap("calculations_upsert", t)
    if period.month == 12:
        _key_account_year_end(period, run)
    run.clawbacks = clawbacks_create(period=period)
    t = run.lap("clawbacks", t)
    run.made_payable = commission_payable_refresh()
    t = run.lap("payable_refresh", t)
    CommissionPeriod.objects.filter(period=period).update(last_run_at=timezone.now())
    run.total = (
        CommissionLine.objects.filter(period=period)
        .exclude(status=LineStatus.FORFEITED)
        .aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    run.lap("month_total", t)
    return run


def _calculation(period: dt.date, r: _PayeeResult) -> PeriodCalculation:
    return PeriodCalculation(
        key=r.calc_key,
        period=period,
        payee_user_id=r.user_id,
        payee_partner_id=r.partner_id,
        plan=r.plan,
        sales=round_fen(r.result.sales),
        total=r.result.total,
        result={
            **r.result.to_dict(),
            "by_component": {k: f"{v:.2f}" for k, v in r.result.by_component().items()},
        },
    )


def _calculations_upsert(period: dt.date, calcs: list[PeriodCalculation]) -> None:
    """One PeriodCalculation per payee and plan (the month's computation its lines point to by key),
    written only where it changed."""
    current = {c.key: c for c in PeriodCalculation.objects.filter(period=period)}
    new_calcs, changed_calcs = [], []
    for c in calcs:
        old = current.get(c.key)
        if old is None:
            new_calcs.append(c)
        elif (old.plan_id, old.sales, old.total, old.result) != (c.plan_id, c.sales, c.total, c.result):
            c.pk = old.pk
            changed_calcs.append(c)
    PeriodCalculation.objects.bulk_create(new_calcs, batch_size=500)
    PeriodCalculation.objects.bulk_update(changed_calcs, ["plan", "sales", "total", "result"], batch_size=500)


def _allocate(r: _PayeeResult, factors: dict[int, Decimal], key_head: str, writer: _LineWriter) -> None:
    """Each component's payee total split over the payee's order slices exactly (split_by_shares,
    weighted by each slice's part of that component's base): one line per credit share and component.

    A line's explanation holds only what is its own (the share, the order's base, the refund factor) and
    the key of the month's calculation (PeriodCalculation.key), which holds the rest (bands, rates,
    totals): the drill-down joins the two (`selectors.line_explanation`)."""
    definition = r.plan.definition
    plan_id = r.plan.pk
    components = {c["id"]: c for c in definition["components"]}
    has_below = any(c["type"] == "below_floor" for c in definition["components"])
    for comp_id, comp_total in r.result.by_component().items():
        comp = components[comp_id]
        amount = comp_total
        note = ""
        if comp["type"] == "key_account" and Decimal(comp.get("advance_ratio", "1")) < 1:
            ratio = Decimal(comp["advance_ratio"])
            amount = round_fen(comp_total * ratio)  # K5: monthly advance, balance at year end
            note = _("月度预发 %(pct)s（%(amount)s），余额年终结算") % {
                "pct": f"{ratio * 100:.0f}%",
                "amount": f"{amount:.2f}",
            }
        weights = _normalised(_component_weights(comp, r.rows, has_below))
        if weights is None:
            continue
        parts = split_by_shares(amount, weights)
        comp_lines = [x for x in r.result.lines if x.component == comp_id]
        rate = comp_lines[0].rate if len(comp_lines) == 1 else None
        kind = LineKind.REBATE if comp["type"] == "rebate" else LineKind.EARNED
        category = comp_lines[0].category if len(comp_lines) == 1 else ""
        key_tail = f":{r.plan.code}:{comp_id}"
        # This loop runs once per credit share × component (220,000× in the benchmark month): keep it lean.
        for row, part, w in zip(r.rows, parts, weights, strict=True):
            if part == 0 and w == 0:
                continue
            base = row.base
            explanation: dict[str, Any] = {
                "calculation": r.calc_key,
                "share": str(row.share),
                "order_base": str(base),
            }
            f = factors.get(row.order_id)
            if f is not None:
                explanation["net_factor"] = str(f)
            if note:
                explanation["note"] = note
            writer.want(
                _Desired(
                    f"{key_head}{row.share_id}{key_tail}",
                    r.user_id,
                    r.partner_id,
                    row.order_id,
                    row.share_id,
                    plan_id,
                    comp_id,
                    category,
                    base if base.as_tuple().exponent == -2 else round_fen(base),
                    rate,
                    part,
                    explanation,
                    kind,
                )
            )


class _LineWriter:
    """Upsert of a month's earned lines by source_key. New lines stream into the database as they are
    computed (`_LineSink`); open lines whose amount or explanation changed are updated; lines whose source
    vanished (order re-dated, share removed) are set to 0.00, never deleted, so a settlement draft that
    references them does not break. Settled, paid and forfeited lines are never touched."""

    def __init__(self, period: dt.date, collected: set[int]) -> None:
        self.period = period
        self.collected = collected
        self.existing = {
            key: (pk, amount, status, base, rate, plan_id, explanation)
            for key, pk, amount, status, base, rate, plan_id, explanation in _raw_rows(
                CommissionLine.objects.filter(
                    period=period, kind__in=EARNED_KINDS, source_key__startswith="e:"
                ).values_list(
                    "source_key", "pk", "amount", "status", "base", "rate", "plan_id", "explanation"
                )
            )
        }
        # Pro rata tranches already released (K8 setting) are subtracted from the pending remainder.
        self.tranches: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for key, amount in CommissionLine.objects.filter(
            period=period, kind__in=EARNED_KINDS, source_key__startswith="t:"
        ).values_list("source_key", "amount"):
            self.tranches[key.split("|")[0][2:]] += amount
        self.seen: set[str] = set()
        self.to_update: list[CommissionLine] = []
        self.created = 0
        self.sink = _LineSink()

    def __enter__(self) -> _LineWriter:
        self.sink.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.sink.__exit__(*exc)

    def want(self, d: _Desired) -> None:
        key = d.key
        self.seen.add(key)
        amount = d.amount - self.tranches[key] if key in self.tranches else d.amount
        cur = self.existing.get(key)
        if cur is None:
            # K8 at insert time: an order already fully collected is payable straight away.
            status = LineStatus.PAYABLE if d.order_id in self.collected else LineStatus.PENDING
            self.sink.add(
                (
                    key,
                    self.period,
                    d.kind,
                    status,
                    d.payee_user_id,
                    d.payee_partner_id,
                    d.order_id,
                    d.share_id,
                    d.plan_id,
                    d.component,
                    d.category,
                    d.base,
                    d.rate,
                    amount,
                    d.explanation,
                    None,
                    "",
                )
            )
            self.created += 1
            return
        pk, old_amount, status, old_base, old_rate, old_plan, old_explanation = cur
        if status in (*LOCKED_STATUSES, LineStatus.FORFEITED):
            return
        if isinstance(old_explanation, str):  # psycopg hands jsonb over as text (Django's loader)
            old_explanation = json.loads(old_explanation)
        if (old_amount, old_base, old_rate, old_plan, old_explanation) != (
            amount,
            d.base,
            d.rate,
            d.plan_id,
            d.explanation,
        ):
            self.to_update.append(
                CommissionLine(
                    pk=pk,
                    amount=amount,
                    base=d.base,
                    rate=d.rate,
                    explanation=d.explanation,
                    plan_id=d.plan_id,
                )
            )

    def finish(self, run: LedgerRun) -> None:
        self.sink.close()
        stale_ids = [
            pk
            for key, (pk, amount, status, *_rest) in self.existing.items()
            if key not in self.seen and status not in (*LOCKED_STATUSES, LineStatus.FORFEITED) and amount != 0
        ]
        stale = [
            CommissionLine(pk=x.pk, amount=ZERO, explanation={**x.explanation, "stale": True})
            for x in CommissionLine.objects.filter(pk__in=stale_ids)
        ]
        lines_update(self.to_update, ["amount", "base", "rate", "explanation", "plan_id"])
        lines_update(stale, ["amount", "explanation"])
        run.lines_db_seconds = round(self.sink.busy, 3)
        run.created += self.created
        run.updated += len(self.to_update)
        run.zeroed += len(stale)


LINE_COLUMNS = (
    "source_key",
    "period",
    "kind",
    "status",
    "payee_user_id",
    "payee_partner_id",
    "order_id",
    "credit_share_id",
    "plan_id",
    "component",
    "category",
    "base",
    "rate",
    "amount",
    "explanation",
    "corrects_id",
    "reason",
)


def _line_row(x: CommissionLine) -> tuple[Any, ...]:
    return tuple(getattr(x, c) for c in LINE_COLUMNS)


def lines_insert(rows: list[tuple[Any, ...]]) -> None:
    """Insert new ledger lines (tuples in LINE_COLUMNS order) in bulk (see `_LineSink`)."""
    with _LineSink() as sink:
        for r in rows:
            sink.add(r)
        sink.close()


def lines_update(lines: list[CommissionLine], fields: list[str]) -> None:
    """Write `fields` of open (pending/payable) lines in bulk; a line settled meanwhile is never rewritten
    (the status is part of the UPDATE's WHERE). On PostgreSQL: COPY into a temporary table and one
    UPDATE … FROM it (Django's bulk_update builds a CASE per row: minutes for 100,000 lines)."""
    if not lines:
        return
    writable = CommissionLine.objects.filter(status__in=[LineStatus.PENDING, LineStatus.PAYABLE])
    if connection.vendor != "postgresql":
        writable.bulk_update(lines, fields, batch_size=1000)
        return
    model_fields = [cast("Field[Any, Any]", CommissionLine._meta.get_field(name)) for name in fields]
    columns: list[str] = [f.column for f in model_fields]
    types = [f.db_type(connection) for f in model_fields]
    table = CommissionLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE _cline_update (id bigint PRIMARY KEY, "
            + ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
            + ") ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY _cline_update (id, {', '.join(columns)}) FROM STDIN") as copy:
            for i in range(0, len(lines), 5000):
                copy.write(
                    "".join(
                        "\t".join(
                            [
                                str(x.pk),
                                *(
                                    "\\N"
                                    if (v := getattr(x, c)) is None
                                    else _copy_text(_json_text(v) if isinstance(v, dict) else str(v))
                                    for c in columns
                                ),
                            ]
                        )
                        + "\n"
                        for x in lines[i : i + 5000]
                    )
                )
        cursor.execute(
            f"UPDATE {table} AS l SET updated_at = now(), "
            + ", ".join(f"{c} = u.{c}" for c in columns)
            + " FROM _cline_update AS u WHERE l.id = u.id AND l.status IN (%s, %s)",
            [LineStatus.PENDING.value, LineStatus.PAYABLE.value],
        )
        cursor.execute("DROP TABLE _cline_update")


class _LineSink:
    """New ledger lines (tuples in LINE_COLUMNS order), written in bulk.

    On PostgreSQL the rows are formatted as COPY text in chunks and each chunk is one COPY, run by a
    worker thread on this transaction's connection while the caller computes the next rows: the
    database parses, indexes and checks them on the other core meanwhile. The ledger's foreign keys are
    set IMMEDIATE for the duration, so each chunk's checks run right after its COPY (in the worker's
    time) rather than all at commit; they are the same checks, the transaction is the same. The caller
    must not use the connection between the first `add` and `close` (the month run only computes then).
    Elsewhere: one bulk_create at `close`."""

    CHUNK = 10000

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.buffer: list[Any] = []
        self.queue: queue.Queue[str | None] | None = None
        self.worker: threading.Thread | None = None
        self.error: BaseException | None = None
        self.constraints: list[str] = []
        self.closed = False
        self.now = timezone.now().isoformat()
        self.busy = 0.0  # seconds the database spent on the COPYs and their key checks (README)

    def __enter__(self) -> _LineSink:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.worker is not None:  # an error in the caller: stop the worker before the rollback
            assert self.queue is not None
            self.queue.put(None)
            self.worker.join()
            self.worker = None

    def add(self, row: tuple[Any, ...]) -> None:
        self.buffer.append(_copy_line(self.now, row) if self.postgres else row)
        if self.postgres and len(self.buffer) >= self.CHUNK:
            self._send()

    def _send(self) -> None:
        if self.worker is None:
            self._start()
        self._raise()
        assert self.queue is not None
        self.queue.put("\n".join(self.buffer) + "\n")
        self.buffer = []

    def _raise(self) -> None:
        """The worker's error, if any, as Django's (IntegrityError, …) like any other query's."""
        if self.error is not None:
            with connection.wrap_database_errors:
                raise self.error

    def _start(self) -> None:
        table = CommissionLine._meta.db_table
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' "
                "AND condeferrable ORDER BY conname",
                [table],
            )
            self.constraints = [connection.ops.quote_name(name) for (name,) in cursor.fetchall()]
            if self.constraints:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} IMMEDIATE")
        raw = connection.connection
        sql = f"COPY {table} (created_at, updated_at, {', '.join(LINE_COLUMNS)}) FROM STDIN"
        self.queue = queue.Queue(maxsize=4)
        work = self.queue

        def run() -> None:
            while (chunk := work.get()) is not None:
                if self.error is not None:
                    continue  # drain: the caller raises at its next send or at close
                began = time.perf_counter()
                try:
                    with raw.cursor() as cur, cur.copy(sql) as copy:
                        copy.write(chunk)
                except BaseException as exc:  # handed to the caller's thread
                    self.error = exc
                self.busy += time.perf_counter() - began

        self.worker = threading.Thread(target=run, name="ledger-copy", daemon=True)
        self.worker.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if not self.postgres:
            if self.buffer:
                CommissionLine.objects.bulk_create(
                    [CommissionLine(**dict(zip(LINE_COLUMNS, r, strict=True))) for r in self.buffer],
                    batch_size=BATCH,
                )
            return
        if self.buffer:
            self._send()
        if self.worker is not None:
            assert self.queue is not None
            self.queue.put(None)
            self.worker.join()
            self.worker = None
        self._raise()
        if self.constraints:
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {', '.join(self.constraints)} DEFERRED")


def _copy_line(now: str, row: tuple[Any, ...]) -> str:
    """One row (LINE_COLUMNS order) as a line of COPY text, after created_at and updated_at (both `now`).
    Unrolled per column: this runs once per new ledger line."""
    (key, period, kind, status, uid, pid, oid, sid, plan, comp, cat, base, rate, amount, exp, fix, reason) = (
        row
    )
    n = "\\N"
    return (
        f"{now}\t{now}\t{_copy_text(key)}\t{period}\t{kind!s}\t{status!s}\t"
        f"{n if uid is None else uid}\t{n if pid is None else pid}\t{n if oid is None else oid}\t"
        f"{n if sid is None else sid}\t{n if plan is None else plan}\t{_copy_text(comp)}\t{_copy_text(cat)}\t"
        f"{base}\t{n if rate is None else rate}\t{amount}\t{_copy_text(_json_text(exp))}\t"
        f"{n if fix is None else fix}\t{_copy_text(reason)}"
    )


def _copy_text(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _key_account_year_end(period: dt.date, run: LedgerRun) -> None:
    """K5 year-end true-up (December run): per payee and key-account plan, the year's key-account
    commission minus the monthly advances, plus the year-end bonus when the annual target is met."""
    year = period.year
    calcs = PeriodCalculation.objects.filter(period__year=year, payee_user__isnull=False).select_related(
        "plan"
    )
    accrued: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    sales: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    plans: dict[int, CommissionPlan] = {}
    for c in calcs:
        assert c.payee_user_id is not None
        sales[c.payee_user_id][c.period] = max(sales[c.payee_user_id].get(c.period, ZERO), c.sales)
        comps = {x["id"]: x for x in c.plan.definition.get("components", []) if x["type"] == "key_account"}
        for comp_id, amount in c.result.get("by_component", {}).items():
            if comp_id in comps:
                accrued[(c.payee_user_id, c.plan_id)] += Decimal(amount)
                plans[c.plan_id] = c.plan
    if not accrued:
        return
    advanced: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for uid, plan_id, amount in (
        CommissionLine.objects.filter(
            period__year=year,
            payee_user_id__in={u for u, _p in accrued},
            plan_id__in=list(plans),
            kind=LineKind.EARNED,
        )
        .exclude(status=LineStatus.FORFEITED)
        .filter(
            component__in={
                x["id"]
                for p in plans.values()
                for x in p.definition["components"]
                if x["type"] == "key_account"
            }
        )
        .values_list("payee_user_id", "plan_id", "amount")
    ):
        advanced[(uid, plan_id)] += amount
    annual_targets = dict(
        SalesTarget.objects.filter(period=dt.date(year, 1, 1), annual=True).values_list("user_id", "amount")
    )
    lines = []
    for (uid, plan_id), total in accrued.items():
        plan = plans[plan_id]
        comp = next(x for x in plan.definition["components"] if x["type"] == "key_account")
        balance = round_fen(total) - advanced[(uid, plan_id)]
        year_sales = sum(sales[uid].values(), ZERO)
        target = annual_targets.get(uid)
        met = target is not None and year_sales >= target
        bonus = round_fen(total * Decimal(comp.get("year_end_bonus", "0"))) if met else ZERO
        for suffix, amount, label in (
            ("balance", balance, _("大客户提成年终结算余额")),
            ("bonus", bonus, _("年度目标达成，年终大客户提成奖励")),
        ):
            if amount == 0:
                continue
            lines.append(
                CommissionLine(
                    source_key=f"ka:{year}:u{uid}:{plan.code}:{suffix}",
                    period=period,
                    kind=LineKind.EARNED if suffix == "balance" else LineKind.REWARD,
                    status=LineStatus.PAYABLE,
                    payee_user_id=uid,
                    plan=plan,
                    component=comp["id"],
                    base=round_fen(total),
                    rate=Decimal(comp.get("year_end_bonus", "0")) if suffix == "bonus" else None,
                    amount=amount,
                    explanation={
                        "plan": plan.code,
                        "component": comp["id"],
                        "label": label,
                        "year_accrued": f"{round_fen(total):.2f}",
                        "advanced": f"{advanced[(uid, plan_id)]:.2f}",
                        "year_sales": f"{year_sales:.2f}",
                        "annual_target": None if target is None else f"{target:.2f}",
                    },
                )
            )
    existing = dict(
        CommissionLine.objects.filter(source_key__in=[x.source_key for x in lines]).values_list(
            "source_key", "status"
        )
    )
    new = [x for x in lines if x.source_key not in existing]
    upd = [x for x in lines if existing.get(x.source_key) in (LineStatus.PENDING, LineStatus.PAYABLE)]
    CommissionLine.objects.bulk_create(new)
    for x in upd:
        CommissionLine.objects.filter(source_key=x.source_key).update(
            amount=x.amount, base=x.base, explanation=x.explanation
        )
    run.created += len(new)


# --------------------------------------------------------------------------------------------------
# K10 clawbacks, K8 payable, K11 forfeit, closing a month
# --------------------------------------------------------------------------------------------------


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


@transaction.atomic
def commission_forfeit(*, payee: User | Partner, reason: str, by: User) -> CommissionForfeit:
    """K11: confirmed fraud/violation forfeits all the payee's unpaid (pending or payable) lines."""
    from crm.models import Role, User

    if not reason.strip():
        raise DomainError(_("请填写没收原因。"), field="reason")
    if not (by.is_superuser or by.has_role(Role.FINANCE, Role.ADMIN, Role.PRESIDENT, Role.VP)):
        raise DomainError(_("只有财务、管理员或公司领导可以没收提成。"), code="forbidden", status=403)
    who = Q(payee_user=payee) if isinstance(payee, User) else Q(payee_partner=payee)
    lines = CommissionLine.objects.select_for_update().filter(
        who, status__in=[LineStatus.PENDING, LineStatus.PAYABLE]
    )
    rows = list(lines.values_list("pk", "amount"))
    amount = sum((a for _pk, a in rows), ZERO)
    record = CommissionForfeit.objects.create(
        payee_user=payee if isinstance(payee, User) else None,
        payee_partner=None if isinstance(payee, User) else payee,
        reason=reason.strip(),
        by=by,
        lines=len(rows),
        amount=amount,
    )
    CommissionLine.objects.filter(pk__in=[pk for pk, _a in rows]).update(
        status=LineStatus.FORFEITED, reason=reason.strip()[:300], updated_at=timezone.now()
    )
    return record


@transaction.atomic
def commission_period_close(*, period: dt.date) -> CommissionPeriod:
    """Called by settlements when a month's settlement is approved — first, in the approval transaction,
    before marking lines settled: the month is never recomputed after that."""
    period = month_start(period)
    CommissionPeriod.objects.get_or_create(period=period)
    # Row lock: waits for a ledger run of this month to finish and blocks new ones until commit.
    obj = CommissionPeriod.objects.select_for_update().get(period=period)
    if not obj.closed:
        obj.closed = True
        obj.closed_at = timezone.now()
        obj.save(update_fields=["closed", "closed_at"])
    return obj
