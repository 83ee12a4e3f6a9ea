"""Reads of the commission ledger: closed periods, plan lookup, statements, visibility."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from commissions.models import (
    CommissionLine,
    CommissionPeriod,
    CommissionPlan,
    CommissionPolicy,
    LineKind,
    LineStatus,
    PeriodCalculation,
    PlanAssignment,
    PlanObjection,
    SalesTarget,
)
from common.deferred_text import words_text
from common.fen import format_cny
from common.money import ZERO
from common.timeutil import month_start, next_month

if TYPE_CHECKING:
    from crm.models import User
    from partners.models import Partner

LOCKED_STATUSES = (LineStatus.SETTLED, LineStatus.PAID)


def period_is_closed(period: dt.date) -> bool:
    """A month is closed once its settlement was approved: settlements either calls
    `commission_period_close` (CommissionPeriod.closed) or has marked any of the month's lines
    settled/paid. A closed month is never recomputed; corrections go to the next open month."""
    period = month_start(period)
    if CommissionPeriod.objects.filter(period=period, closed=True).exists():
        return True
    return CommissionLine.objects.filter(period=period, status__in=LOCKED_STATUSES).exists()


def closed_periods(periods: Iterable[dt.date]) -> set[dt.date]:
    periods = {month_start(p) for p in periods}
    closed = set(
        CommissionPeriod.objects.filter(period__in=periods, closed=True).values_list("period", flat=True)
    )
    closed |= set(
        CommissionLine.objects.filter(period__in=periods, status__in=LOCKED_STATUSES)
        .values_list("period", flat=True)
        .distinct()
    )
    return closed


def next_open_period(*, after: dt.date) -> dt.date:
    """The first month ≥ `after`'s month that is not closed (K10: where a correction goes)."""
    period = month_start(after)
    for _i in range(120):
        if not period_is_closed(period):
            return period
        period = next_month(period)
    raise RuntimeError("no open period within ten years")  # pragma: no cover


def policy_on(day: dt.date) -> CommissionPolicy:
    """The policy row in force on `day`, or the SPEC defaults (unsaved) when none is."""
    row = CommissionPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return row or CommissionPolicy(effective_from=day)


def _in_force(day: dt.date) -> Q:
    return (
        Q(starts_on__lte=day)
        & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        & Q(plan__effective_from__lte=day)
        & (Q(plan__effective_to__isnull=True) | Q(plan__effective_to__gte=day))
        & Q(plan__published_at__isnull=False)
    )


@dataclass
class PlanDirectory:
    """Which plans apply to whom on one day, loaded in two queries (no per-payee lookups).

    Precedence: a direct assignment to the person wins over their role's for the same plan code; of
    several versions of a plan code, the latest effective one applies. A payee may have several plans
    (e.g. sales_progressive and key_account); each is calculated on its own.
    """

    day: dt.date
    by_user: dict[int, list[PlanAssignment]] = field(default_factory=dict)
    by_role: dict[str, list[PlanAssignment]] = field(default_factory=dict)
    by_partner_kind: dict[str, list[PlanAssignment]] = field(default_factory=dict)
    user_roles: dict[int, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, day: dt.date, user_ids: Iterable[int] = ()) -> PlanDirectory:
        out = cls(day=day)
        for a in PlanAssignment.objects.filter(_in_force(day)).select_related("plan").order_by("id"):
            if a.user_id:
                out.by_user.setdefault(a.user_id, []).append(a)
            elif a.role:
                out.by_role.setdefault(a.role, []).append(a)
            elif a.partner_kind:
                out.by_partner_kind.setdefault(a.partner_kind, []).append(a)
        out.load_roles(user_ids)
        return out

    def load_roles(self, user_ids: Iterable[int]) -> None:
        from crm.models import User

        ids = list(set(user_ids))
        if not ids or not self.by_role:
            return
        for uid, role in User.groups.through.objects.filter(user_id__in=ids).values_list(
            "user_id", "group__name"
        ):
            self.user_roles.setdefault(uid, set()).add(role)

    @staticmethod
    def _latest(assignments: list[PlanAssignment]) -> list[PlanAssignment]:
        best: dict[str, PlanAssignment] = {}
        for a in assignments:
            cur = best.get(a.plan.code)
            if cur is None or a.plan.effective_from > cur.plan.effective_from:
                best[a.plan.code] = a
        return sorted(best.values(), key=lambda a: a.plan.code)

    def for_user(self, user_id: int) -> list[PlanAssignment]:
        direct = self._latest(self.by_user.get(user_id, []))
        codes = {a.plan.code for a in direct}
        role_based: list[PlanAssignment] = []
        for role in sorted(self.user_roles.get(user_id, set())):
            role_based += self.by_role.get(role, [])
        return direct + [a for a in self._latest(role_based) if a.plan.code not in codes]

    def for_partner(self, kind: str) -> list[PlanAssignment]:
        return self._latest(self.by_partner_kind.get(kind, []))


def plans_for_user(*, user: User, day: dt.date) -> list[PlanAssignment]:
    return PlanDirectory.load(day, [user.pk]).for_user(user.pk)


def plans_for_partner(*, partner: Partner, day: dt.date) -> list[PlanAssignment]:
    return PlanDirectory.load(day).for_partner(partner.kind)


def target_for(*, user_id: int, period: dt.date) -> Decimal | None:
    row = SalesTarget.objects.filter(user_id=user_id, period=month_start(period), annual=False).first()
    return row.amount if row else None


def plan_get(*, code: str, effective_from: dt.date) -> CommissionPlan | None:
    return CommissionPlan.objects.filter(code=code, effective_from=effective_from).first()


# --------------------------------------------------------------------------------------------------
# Statements and visibility
# --------------------------------------------------------------------------------------------------


def visible_payee_ids(*, user: User) -> set[int] | None:
    """Whose statements `user` may see: None = everyone (finance, admin, president, VP)."""
    from crm.models import Role
    from crm.policy import team_member_ids

    if user.sees_everything or user.has_role(Role.FINANCE):
        return None
    cached = getattr(user, "_commission_visible_ids", None)  # once per request (the user object)
    if cached is None:
        cached = team_member_ids(user)
        user._commission_visible_ids = cached  # type: ignore[attr-defined]
    return set(cached)


def lines_visible_to(*, user: User) -> QuerySet[CommissionLine]:
    qs = CommissionLine.objects.all()
    ids = visible_payee_ids(user=user)
    if ids is None:
        return qs
    own_partner = Q(payee_partner__user=user)
    return qs.filter(Q(payee_user_id__in=ids) | own_partner)


def line_get_visible(*, user: User, pk: int) -> CommissionLine | None:
    return (
        lines_visible_to(user=user)
        .select_related("payee_user", "payee_partner", "order", "order__customer", "plan", "corrects")
        .filter(pk=pk)
        .first()
    )


def line_calculation(*, line: CommissionLine) -> PeriodCalculation | None:
    """The month's calculation a ledger line was allocated from: its explanation names it by key (lines
    written before the key was used name it by id)."""
    ref = line.explanation.get("calculation") if isinstance(line.explanation, dict) else None
    if isinstance(ref, str) and ref:
        return PeriodCalculation.objects.filter(key=ref).first()
    if isinstance(ref, int):
        return PeriodCalculation.objects.filter(pk=ref).first()
    return None


def _explanation_labels() -> dict[str, str]:
    return {
        "share": _("业绩分配比例"),
        "order_base": _("本单计提基数"),
        "net_factor": _("扣除退款/坏账后比例"),
        "note": _("说明"),
        "text": _("说明"),
        "label": _("说明"),
        "component_total": _("本组成本月合计"),
        "payee_sales": _("本月业绩"),
        "original_period": _("原所属月份"),
        "original_amount": _("原金额"),
        "clawed_before": _("此前已追回"),
        "repriced_amount": _("重新计算后应为"),
        "order_commission": _("本单提成（分成前）"),
        "pro_rata": _("按回款比例发放"),
        "earned_total": _("提成总额"),
        "year_accrued": _("全年大客户提成"),
        "advanced": _("已预发"),
        "year_sales": _("全年业绩"),
        "annual_target": _("年度目标"),
        "attainment": _("目标完成率"),
        "booked": _("本年已计提"),
        "band": _("计算方式"),
        "quantity": _("数量"),
        "unit_price": _("单价"),
        "stale": _("来源已变更，金额归零"),
        # K14: a sales champion's award
        "period": _("评比期间"),
        "sales": _("销售额"),
        "tied": _("并列第一人数"),
        "prize": _("奖金总额"),
    }


# Bookkeeping keys the page does not show as such (the calculation has its own section; `fp` was the
# fingerprint older runs compared; plan/component/type repeat the line's own columns).
# Issue 15: `*_words` keys are the same text as words (read through the line's `explanation_text`), and a
# champion's period kind is in its award's name.
_HIDDEN_KEYS = frozenset(
    {"calculation", "fp", "plan", "component", "type", "corrects", "corrects_line", "period_kind"}
)
_RATIO_KEYS = frozenset({"share", "net_factor", "pro_rata"})
_MONEY_KEYS = frozenset(
    {
        "sales",
        "prize",
        "order_base",
        "component_total",
        "payee_sales",
        "original_amount",
        "clawed_before",
        "repriced_amount",
        "order_commission",
        "earned_total",
        "year_accrued",
        "advanced",
        "year_sales",
        "annual_target",
        "booked",
        "unit_price",
    }
)


def calculation_notes(calculation: PeriodCalculation) -> list[str]:
    """The month's plan rules (target gate, leaver, outsourced sales) in the reader's language (issue 15);
    a calculation stored before they were kept as words reads as stored."""
    result = calculation.result if isinstance(calculation.result, dict) else {}
    notes, said = result.get("notes") or [], result.get("notes_words") or []
    return [
        words_text(said[i] if i < len(said) else None, fallback=str(note)) for i, note in enumerate(notes)
    ]


def line_explanation(*, line: CommissionLine, calculation: PeriodCalculation | None) -> list[tuple[str, str]]:
    """The line's explanation as (label, value) rows in the user's language: the month's figures for
    its component (from the calculation), then what is the line's own (share, order base, …)."""
    rows: list[tuple[str, str]] = []
    if calculation is not None:
        by_component = (
            calculation.result.get("by_component", {}) if isinstance(calculation.result, dict) else {}
        )
        if line.component in by_component:
            rows.append((_("本组成本月合计"), f"¥{Decimal(by_component[line.component]):,.2f}"))
        rows.append((_("本月业绩"), f"¥{calculation.sales:,.2f}"))
        rows += [(_("方案规则"), note) for note in calculation_notes(calculation)]
    labels = _explanation_labels()
    explanation = line.explanation if isinstance(line.explanation, dict) else {}
    for key, value in explanation.items():
        if key in _HIDDEN_KEYS or key.endswith("_words"):
            continue
        if calculation is not None and key in ("component_total", "payee_sales"):
            continue
        if key == "stale":
            rows.append((labels[key], "✓"))
            continue
        text = line.explanation_text if key == "text" else "—" if value is None else str(value)
        if key != "text":  # issue 15: a note or band written as words reads in the reader's language
            text = words_text(explanation.get(f"{key}_words"), fallback=text)
        if key in _RATIO_KEYS:
            with contextlib.suppress(ArithmeticError):
                text = f"{Decimal(text) * 100:.2f}".rstrip("0").rstrip(".") + "%"
        if key in _MONEY_KEYS:
            with contextlib.suppress(ArithmeticError):
                text = format_cny(Decimal(text))
        rows.append((labels.get(key) or str(key), text))
    return rows


@dataclass
class Statement:
    """K8/K10: one payee's month — earned, payable, pending collection, clawbacks — and its lines."""

    period: dt.date
    earned: Decimal
    payable: Decimal
    pending: Decimal
    clawbacks: Decimal
    settled: Decimal
    forfeited: Decimal
    total: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.isoformat(),
            **{
                k: f"{getattr(self, k):.2f}"
                for k in ("earned", "payable", "pending", "clawbacks", "settled", "forfeited", "total")
            },
        }


def statement_lines(
    *, viewer: User, period: dt.date, payee_id: int | None = None, status: str = "", kind: str = ""
) -> QuerySet[CommissionLine]:
    qs = lines_visible_to(user=viewer).filter(period=month_start(period))
    if payee_id is not None:
        qs = qs.filter(payee_user_id=payee_id)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.select_related("payee_user", "payee_partner", "order", "plan").order_by("-id")


def statement_summary(lines: QuerySet[CommissionLine]) -> Statement:
    """Totals in one query (conditional sums)."""
    agg = lines.order_by().aggregate(
        earned=Sum("amount", filter=Q(kind__in=[LineKind.EARNED, LineKind.REBATE, LineKind.REWARD])),
        payable=Sum("amount", filter=Q(status=LineStatus.PAYABLE)),
        pending=Sum("amount", filter=Q(status=LineStatus.PENDING)),
        clawbacks=Sum("amount", filter=Q(kind=LineKind.CLAWBACK)),
        settled=Sum("amount", filter=Q(status__in=LOCKED_STATUSES)),
        forfeited=Sum("amount", filter=Q(status=LineStatus.FORFEITED)),
        total=Sum("amount", filter=~Q(status=LineStatus.FORFEITED)),
    )
    return Statement(period=dt.date.min, **{k: v or ZERO for k, v in agg.items()})


@dataclass
class PlanView:
    """K12: one plan version in words, as the people it pays see it."""

    plan: CommissionPlan
    words: list[str]
    objection_deadline: dt.date | None = None
    my_objections: list[PlanObjection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.plan.pk,
            "code": self.plan.code,
            "name": self.plan.name,
            "effective_from": self.plan.effective_from.isoformat(),
            "published_at": self.plan.published_at.isoformat() if self.plan.published_at else None,
            "source": self.plan.definition.get("source", ""),
            "words": self.words,
            "objection_deadline": self.objection_deadline.isoformat() if self.objection_deadline else None,
            "my_objections": [{"text": o.text, "at": o.created_at.isoformat()} for o in self.my_objections],
        }


def plan_concerns(*, user: User, plan: CommissionPlan, today: dt.date) -> bool:
    """K12: the plan version will pay `user` — assigned to them (or their role) on its effective date,
    or a new version of a plan that pays them today."""
    if plan.pk in {a.plan_id for a in plans_for_user(user=user, day=plan.effective_from)}:
        return True
    return plan.code in {a.plan.code for a in plans_for_user(user=user, day=today)}


def my_plans(*, user: User, today: dt.date) -> tuple[list[PlanView], list[PlanView]]:
    """K12: the plans that pay `user` today, in words, and every published version announced to take
    effect later that will pay them, with the deadline for an objection."""
    from commissions.services.plans import plan_objection_deadline
    from commissions.words import plan_words

    current = [PlanView(a.plan, plan_words(a.plan.definition)) for a in plans_for_user(user=user, day=today)]
    announced = []
    for plan in CommissionPlan.objects.filter(published_at__isnull=False, effective_from__gt=today).order_by(
        "effective_from", "code"
    ):
        if plan_concerns(user=user, plan=plan, today=today):
            announced.append(
                PlanView(
                    plan,
                    plan_words(plan.definition),
                    plan_objection_deadline(plan),
                    list(PlanObjection.objects.filter(plan=plan, user=user)),
                )
            )
    return current, announced
