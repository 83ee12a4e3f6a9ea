"""What-if estimator: what a hypothetical deal would add to a rep's commission this month, under their
real plans and current attainment (the marginal difference, explained). Reads only; no ledger writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from commissions.calculator.engine import what_if
from commissions.calculator.facts import Facts, LineFact
from commissions.calculator.result import Result, ResultLine
from commissions.models import KeyAccountUplift
from commissions.selectors import plans_for_user, target_for
from commissions.services.sales_facts import _aggregate_period, _scaled, order_net_factors
from common.errors import DomainError
from common.money import ZERO
from common.timeutil import local_today, month_start

if TYPE_CHECKING:
    from crm.models import Opportunity, User


@dataclass
class PlanEstimate:
    plan_code: str
    plan_name: str
    before: Result
    after: Result

    @property
    def delta(self) -> Decimal:
        return self.after.total - self.before.total

    def changes(self) -> list[dict[str, Any]]:
        """The lines the deal changes: per component and band, before → after."""

        def key(x: ResultLine) -> tuple[str, str, str]:
            return (x.component, x.band, x.category)

        before = {key(x): x for x in self.before.lines}
        after = {key(x): x for x in self.after.lines}
        out = []
        for k in list(dict.fromkeys([*before, *after])):
            b, a = before.get(k), after.get(k)
            b_amt = b.amount if b else ZERO
            a_amt = a.amount if a else ZERO
            if a_amt == b_amt:
                continue
            line = a or b
            assert line is not None
            out.append(
                {
                    "component": line.label,
                    "band": line.band,
                    "rate": None
                    if line.rate is None
                    else f"{line.rate * 100:.3f}".rstrip("0").rstrip(".") + "%",
                    "base_before": f"{(b.base if b else ZERO):.2f}",
                    "base_after": f"{(a.base if a else ZERO):.2f}",
                    "before": f"{b_amt:.2f}",
                    "after": f"{a_amt:.2f}",
                    "delta": f"{a_amt - b_amt:.2f}",
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan_code,
            "name": self.plan_name,
            "before": f"{self.before.total:.2f}",
            "after": f"{self.after.total:.2f}",
            "delta": f"{self.delta:.2f}",
            "changes": self.changes(),
        }


@dataclass
class Estimate:
    period: dt.date
    amount: Decimal
    category: str
    sales_so_far: Decimal
    target: Decimal | None
    plans: list[PlanEstimate]

    @property
    def delta(self) -> Decimal:
        return sum((p.delta for p in self.plans), ZERO)

    @property
    def attainment_before(self) -> Decimal | None:
        return None if not self.target else self.sales_so_far / self.target

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": f"{self.period:%Y-%m}",
            "amount": f"{self.amount:.2f}",
            "category": self.category,
            "sales_so_far": f"{self.sales_so_far:.2f}",
            "target": None if self.target is None else f"{self.target:.2f}",
            "delta": f"{self.delta:.2f}",
            "plans": [p.as_dict() for p in self.plans],
        }


def what_if_estimate(
    *,
    user: User,
    amount: Decimal | None = None,
    category: str = "regular",
    opportunity: Opportunity | None = None,
    key_account_class: str = "",
    day: dt.date | None = None,
) -> Estimate:
    """The marginal commission of one more deal for `user` this month (or the opportunity's amount)."""
    day = day or local_today()
    period = month_start(day)
    if opportunity is not None:
        if opportunity.owner_id != user.pk:
            raise DomainError(_("只能估算自己的商机。"), field="opportunity", status=404, code="not_found")
        amount = opportunity.amount
        key_account_class = key_account_class or opportunity.customer.key_account_class
    if amount is None or amount <= 0:
        raise DomainError(_("请输入大于 0 的成交金额，或选择一个商机。"), field="amount")
    assignments = plans_for_user(user=user, day=period)
    if not assignments:
        raise DomainError(_("您当前没有适用的提成方案，请联系管理员。"), code="no_plan")
    rows = [r for r in _aggregate_period(period, by_category=True, user_id=user.pk) if r.user_id == user.pk]
    factors = order_net_factors({r.order_id for r in rows})
    uplift_customers = set(
        KeyAccountUplift.objects.filter(user=user, year=period.year).values_list("customer_id", flat=True)
    )
    lines: list[LineFact] = []
    for r in rows:
        f = factors.get(r.order_id, Decimal(1))
        lines += [_scaled(x, f, False) if f != 1 else x for x in r.lines]
    target = target_for(user_id=user.pk, period=period)
    extra = LineFact(
        category=category,
        amount=amount,
        key_account_class=key_account_class,
        key_account_uplift=bool(opportunity and opportunity.customer_id in uplift_customers),
        ref="what-if",
    )
    estimates = []
    for a in assignments:
        facts = Facts(lines=tuple(lines), target=target, grade=a.grade)
        before, after, _delta = what_if(a.plan.definition, facts, [extra])
        estimates.append(PlanEstimate(a.plan.code, a.plan.name, before, after))
    sales = sum((x.amount for x in lines), ZERO)
    return Estimate(period, amount, category, sales, target, estimates)
