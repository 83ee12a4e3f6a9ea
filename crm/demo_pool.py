"""Demo for the public pool (C9/C10): run the real nightly sweep over the demo customers, so ~1/8 of them
(60+ days without contact) land in the pool and ~1/4 carry the "30 天未联系" warning; then one rep claims
a pool customer so the claim history has an example."""

from __future__ import annotations

from typing import Any

from crm.models import Customer, PoolPolicy, Role, User
from crm.services.pool import pool_claim, pool_sweep


def seed(ctx: dict[str, Any]) -> None:
    PoolPolicy.load()
    result = pool_sweep()
    ctx["pool_released"] = result.released
    ctx["pool_warned"] = result.warned
    reps = [u for u in ctx.get("reps", []) if isinstance(u, User) and u.has_role(Role.REP)]
    pool = list(Customer.objects.filter(owner__isnull=True).order_by("id")[:1])
    if reps and pool:
        # Somebody other than the previous owner (the cooling-off would refuse them).
        previous = set(pool[0].pool_releases.values_list("previous_owner_id", flat=True))
        claimer = next((r for r in reps if r.pk not in previous), None)
        if claimer is not None:
            pool_claim(customer=pool[0], by=claimer)
    if "stdout" in ctx:
        ctx["stdout"].write(
            f"公海：{result.released} 个客户已转入公海，{result.warned} 个客户已发出未联系提醒。"
        )
