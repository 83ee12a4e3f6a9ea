"""commissions.demo: plans loaded and assigned; the ledger runs for the last 3 months of demo orders."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D

from django.utils import timezone

from commissions import demo
from commissions.models import CommissionLine, CommissionPlan, PlanAssignment, SalesTarget
from crm.models import ProductCategory
from tests.factories import make_order


def test_demo_seed_without_orders_skips_the_ledger(org):
    ctx = {"rng": random.Random(1), "admin": org.admin, "reps": [org.rep_a1, org.rep_a2]}
    demo.seed(ctx)
    assert CommissionPlan.objects.filter(published_at__isnull=False).count() == 5
    assert PlanAssignment.objects.filter(role="rep", plan__code="sales_progressive").exists()
    assert PlanAssignment.objects.filter(partner_kind="ordinary", plan__code="partner_rebate").exists()
    assert SalesTarget.objects.filter(user=org.rep_a1).count() == 3
    assert not CommissionLine.objects.exists()


def test_demo_seed_runs_the_ledger_over_demo_orders(org):
    order = make_order(
        owner=org.rep_a1,
        lines=[(ProductCategory.REGULAR, D("1"), D("100000"))],
        booked_at=timezone.now() - dt.timedelta(days=1) if timezone.localdate().day > 1 else timezone.now(),
    )
    ctx = {"rng": random.Random(1), "admin": org.admin, "reps": [org.rep_a1], "orders": [order]}
    demo.seed(ctx)
    lines = CommissionLine.objects.filter(payee_user=org.rep_a1)
    # sales_progressive: 3,000.00; key_account: not a key account → nothing
    assert sum(x.amount for x in lines) == D("3000.00")
