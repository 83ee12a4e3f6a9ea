"""Demo commissions: the shipped plan files, assigned to roles, monthly targets for the reps, and the
ledger for the last three months of the demo orders (from crm.demo_pipeline, `ctx["orders"]`)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from commissions.models import PlanAssignment, SalesTarget
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.plans import plan_assign, plan_import
from common.timeutil import local_today, month_start
from crm.models import Role
from partners.models import PartnerKind

PLANS = Path(__file__).resolve().parent / "plans"
# plan file → who it is assigned to (role or partner kind)
ASSIGN: dict[str, dict[str, Any]] = {
    "sales_progressive": {"role": Role.REP},
    "sales_bracket": {},
    "category_rates": {"role": Role.ACCOUNT_EXECUTIVE},
    "key_account": {},
    "partner_rebate": {"partner_kind": [PartnerKind.STRATEGIC, PartnerKind.ORDINARY]},
}


def seed(ctx: dict[str, Any]) -> None:
    out = ctx.get("stdout")
    today = local_today()
    this_month = month_start(today)
    start = month_start(this_month - dt.timedelta(days=180))
    admin = ctx.get("admin")
    plans = {}
    for name, who in ASSIGN.items():
        data = json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8"))
        plan = plan_import(
            data=data,
            effective_from=start,
            publish=admin is not None,
            override_reason="演示数据：方案追溯生效" if admin is not None else "",
            by=admin,
            skip_approval=True,  # the shipped rule books, loaded at installation
        )
        plans[name] = plan
        if who.get("role"):
            plan_assign(plan=plan, role=who["role"], starts_on=start)
        for kind in who.get("partner_kind", []):
            plan_assign(plan=plan, partner_kind=kind, starts_on=start)
    reps = ctx.get("reps") or []
    rng = ctx["rng"]
    months = [this_month]
    for _ in range(2):
        months.insert(0, month_start(months[0] - dt.timedelta(days=1)))
    SalesTarget.objects.bulk_create(
        [
            SalesTarget(user=rep, period=m, amount=Decimal(rng.choice([200000, 300000, 500000])))
            for rep in reps
            for m in months
        ],
        ignore_conflicts=True,
    )
    if reps:  # the first rep also earns key-account commission (K5), to show the 80% advance
        plan_assign(plan=plans["key_account"], user=reps[0], starts_on=start)
    ctx["commission_plans"] = plans
    if not ctx.get("orders"):
        if out:
            out.write("commissions: no demo orders (crm.demo_pipeline not loaded) — ledger not run")
        return
    for month in months:
        run = ledger_recalculate(period=month)
        if out:
            out.write(
                f"commissions {month:%Y-%m}: {run.payees} payees, {run.created} lines, ¥{run.total:,.2f}"
            )
    ctx["commission_months"] = months
    assert PlanAssignment.objects.exists()
