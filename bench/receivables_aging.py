"""Benchmark: receivables aging lists and the approver inbox on a big book.

Run by hand (`make bench-aging`). Uses $DATABASE_URL, or a throwaway SQLite file. Builds 20,000 booked
orders (with 30,000 payments and refunds) and 2,000 pending approvals, then times the first page (50 rows)
of each aging list and of the inbox. Floor: every first page under 250 ms on a laptop.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from crm.models import (  # noqa: E402
    ApprovalRequest,
    ApprovalStep,
    AuthorityRule,
    Customer,
    Order,
    Payment,
    Quote,
    Role,
    StepStatus,
    User,
)
from crm.selectors import keyset_page, normalize_name  # noqa: E402
from crm.services.approvals import approvals_waiting_for  # noqa: E402
from crm.services.receivables import receivables_overdue, receivables_visible_to  # noqa: E402

N_ORDERS = 20_000
N_APPROVALS = 2_000
FLOOR_MS = 250.0


def build() -> User:
    call_command("migrate", verbosity=0)
    from django.contrib.auth.models import Group

    finance, _ = User.objects.get_or_create(username="bench_finance")
    finance.groups.add(Group.objects.get_or_create(name=Role.FINANCE)[0])
    assistant, _ = User.objects.get_or_create(username="bench_assistant")
    assistant.groups.add(Group.objects.get_or_create(name=Role.PRESIDENTS_ASSISTANT)[0])
    if Order.objects.filter(number__startswith="BENCH").exists():
        return finance
    rep, _ = User.objects.get_or_create(username="bench_rep")
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"基准客户{i}",
            name_normalized=normalize_name(f"基准客户{i}"),
            contact_person="王",
            contact_position="经理",
            phone=f"135{i:08d}",
            status="customer",
            owner=rep,
        )
        for i in range(1000)
    )
    now = timezone.now()
    orders = Order.objects.bulk_create(
        (
            Order(
                number=f"BENCH{i:06d}",
                customer=customers[i % 1000],
                owner=rep,
                booked_at=now - dt.timedelta(days=i % 400),
                due_on=(now - dt.timedelta(days=i % 400 - 30)).date(),
                total=Decimal("1000.00") + i,
            )
            for i in range(N_ORDERS)
        ),
        batch_size=2000,
    )
    pays = []
    for i, o in enumerate(orders):
        if i % 2 == 0:
            pays.append(
                Payment(order=o, amount=Decimal("400.00"), received_on=now.date(), recorded_by=finance)
            )
        if i % 4 == 0:
            pays.append(
                Payment(
                    order=o,
                    kind="refund",
                    amount=Decimal("-100.00"),
                    reason="退货",
                    received_on=now.date(),
                    recorded_by=finance,
                )
            )
    Payment.objects.bulk_create(pays, batch_size=5000)
    rule = AuthorityRule.objects.filter(kind="quote_discount", chain=[[Role.PRESIDENTS_ASSISTANT]]).first()
    ct = ContentType.objects.get_for_model(Quote)
    reqs = ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            kind="quote_discount",
            title=f"报价{i}",
            content_type=ct,
            object_id=i + 1,
            rule=rule,
            requested_by=rep,
        )
        for i in range(N_APPROVALS)
    )
    ApprovalStep.objects.bulk_create(
        ApprovalStep(request=r, order=1, roles=f",{Role.PRESIDENTS_ASSISTANT},", status=StepStatus.PENDING)
        for r in reqs
    )
    return finance


def timed(label: str, fn) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm
    start = time.perf_counter()
    rows = fn()
    ms = (time.perf_counter() - start) * 1000
    print(f"{label:<36} {ms:8.1f} ms  ({rows} rows)")
    return ms


def main() -> int:
    finance = build()
    from django.db import connection

    if connection.vendor == "postgresql":  # fresh bulk load: give the planner statistics
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    assistant = User.objects.get(username="bench_assistant")
    worst = 0.0
    for months in (0, 2, 4, 6):
        qs = receivables_overdue(receivables_visible_to(user=finance), months=months).select_related(
            "customer"
        )
        worst = max(
            worst,
            timed(
                f"aging > {months} months, first page",
                lambda qs=qs: len(keyset_page(qs, after=None, size=50)[0]),
            ),
        )
    worst = max(
        worst,
        timed("inbox (待我审批) first page", lambda: len(list(approvals_waiting_for(user=assistant)[:50]))),
    )
    print(f"worst {worst:.1f} ms; floor {FLOOR_MS:.0f} ms → {'OK' if worst <= FLOOR_MS else 'TOO SLOW'}")
    return 0 if worst <= FLOOR_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
