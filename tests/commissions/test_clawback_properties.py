"""Issue 12 points 3 and 4 (K10) as properties: a refund, return or write-off costs the same whichever
months were locked when it arrived, and each order's lines add up to what the payees earn."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commissions.models import CommissionLine, LineStatus, PeriodCalculation
from commissions.selectors import period_is_closed
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.periods import commission_period_close
from crm.models import ProductCategory, Role, WriteOff, WriteOffStatus
from partners.models import CreditRole, CreditShare
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import make_order

pytestmark = pytest.mark.django_db

OCT, NOV, DEC = dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)
MONTHS = (OCT, NOV, DEC)
CATEGORIES = (ProductCategory.REGULAR, ProductCategory.HIGH_END, ProductCategory.NEW_PRODUCT)

order_st = st.tuples(
    st.sampled_from(CATEGORIES),
    st.decimals(min_value=D("1000"), max_value=D("700000"), places=2),
    st.integers(min_value=1, max_value=28),  # day of October
    st.booleans(),  # an account executive shares it (70:30)
)
event_st = st.tuples(
    st.integers(min_value=0, max_value=5),  # which order (modulo the number of orders)
    st.decimals(min_value=D("0.01"), max_value=D("1"), places=2),  # what fraction of it
    st.sampled_from([dt.date(2026, 10, 25), dt.date(2026, 11, 10), dt.date(2026, 12, 10)]),
    st.sampled_from(["refund", "writeoff"]),
)


class _Rollback(Exception):
    pass


def _holder_totals(users):
    out = {}
    for u in users:
        qs = CommissionLine.objects.filter(payee_user=u).exclude(status=LineStatus.FORFEITED)
        out[u.username] = sum((x.amount for x in qs), D("0.00"))
    return out


def _scenario(org, orders, events, locks):
    """Book the orders; then, month by month, run the open months and lock those `locks` says, with each
    event recorded right after the run of the month `locks` names for it. Returns each holder's total
    over all months, then rolls everything back."""
    rep, executive = org.rep_a1, org.executive
    result = {}
    try:
        with transaction.atomic():
            install_plan("sales_progressive", role=Role.REP)
            install_plan("category_rates", role=Role.REP)
            made = []
            for category, amount, day, shared in orders:
                order = make_order(
                    owner=rep, lines=[(category, D("1"), amount)], booked_at=booked(dt.date(2026, 10, day))
                )
                if shared:
                    order.credit_shares.all().delete()
                    CreditShare.objects.create(order=order, user=rep, role=CreditRole.OWNER, share=D("0.7"))
                    CreditShare.objects.create(
                        order=order, user=executive, role=CreditRole.EXECUTIVE, share=D("0.3")
                    )
                pay(order, str(amount), dt.date(2026, 10, 28), org.finance)
                made.append(order)
            pending = list(events)
            for i, month in enumerate(MONTHS):
                if not period_is_closed(month):
                    ledger_recalculate(period=month)
                if locks[i]:
                    commission_period_close(period=month)
                # the events this scenario records after this month's run
                for ev in [e for e in pending if e[4] == i]:
                    pending.remove(ev)
                    which, fraction, on, kind, _when = ev
                    order = made[which % len(made)]
                    amount = (order.total * fraction).quantize(D("0.01"))
                    if kind == "refund":
                        pay(order, str(-amount), on, org.finance)
                    else:
                        WriteOff.objects.create(
                            order=order,
                            amount=amount,
                            reason="坏账",
                            status=WriteOffStatus.APPROVED,
                            proposed_by=org.finance,
                            approved_by=org.president,
                            approved_on=on,
                        )
            # Finally every month that is still open is run once more (the nightly job does this).
            for month in MONTHS:
                if not period_is_closed(month):
                    ledger_recalculate(period=month)
            result = _holder_totals([rep, executive])
            result["calcs"] = PeriodCalculation.objects.count()
            raise _Rollback
    except _Rollback:
        pass
    return result


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    orders=st.lists(order_st, min_size=1, max_size=3),
    events=st.lists(event_st, min_size=1, max_size=2),
    when=st.lists(st.integers(min_value=0, max_value=2), min_size=2, max_size=2),
    locks=st.tuples(st.booleans(), st.booleans(), st.just(False)),
)
def test_every_holders_commission_is_the_same_whichever_months_were_locked_when(
    org, orders, events, when, locks
):
    # Each event is recorded after the run of month `when[i]` (October, November or December), with
    # October and November locked or not; the baseline records everything at the end, nothing locked.
    events = [(*e, when[i]) for i, e in enumerate(events)]
    baseline = _scenario(org, orders, [(*e[:4], 2) for e in events], (False, False, False))
    locked = _scenario(org, orders, events, locks)
    assert baseline["rep_a1"] == locked["rep_a1"]
    assert baseline["exec"] == locked["exec"]
