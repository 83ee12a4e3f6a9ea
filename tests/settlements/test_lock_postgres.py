"""S3 in the database (PostgreSQL): a locked settlement and its lines refuse any write, by any path.
And S2 concurrency: 20 simultaneous approvals of one step make one transition and one history row."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections, transaction

from commissions.models import LineStatus
from common.errors import DomainError
from settlements.models import Settlement, SettlementLine, SettlementStatus, SettlementStep
from settlements.services.generation import settlement_generate
from settlements.services.payouts import payout_record
from settlements.services.workflow import settlement_transition
from tests.settlements.factories import cline

SEP = dt.date(2026, 9, 1)


def _approved(org):
    cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1)
    for action, by in [
        ("submit", org.finance),
        ("confirm", org.finance),
        ("approve", org.manager_a),
        ("approve", org.finance),
        ("approve", org.president),
    ]:
        s = settlement_transition(settlement=s, action=action, by=by)
    return s


def _refused(fn) -> None:
    with pytest.raises(DatabaseError) as exc, transaction.atomic():
        fn()
    assert "locked" in str(exc.value)


@pytest.mark.postgres
@pytest.mark.django_db
def test_orm_and_raw_sql_cannot_change_a_locked_settlement(org):
    s = _approved(org)
    line = s.lines.get()
    # ORM save (a buggy service), queryset update, delete
    s.line_total = Decimal("999.00")
    _refused(lambda: s.save())
    _refused(lambda: Settlement.objects.filter(pk=s.pk).update(payout_amount=Decimal("1")))
    _refused(lambda: Settlement.objects.filter(pk=s.pk).update(status="draft"))
    _refused(lambda: SettlementLine.objects.filter(pk=line.pk).update(rebate=Decimal("1")))
    _refused(lambda: SettlementLine.objects.filter(pk=line.pk).delete())
    _refused(
        lambda: SettlementLine.objects.create(
            settlement=s,
            commission_line=cline(user=org.rep_a1, amount="5.00"),
            kind="earned",
            rebate=Decimal("5"),
        )
    )

    # raw SQL
    def raw(sql, params):
        with connection.cursor() as cur:
            cur.execute(sql, params)

    _refused(lambda: raw("UPDATE settlements_settlement SET line_total = 0 WHERE id = %s", [s.pk]))
    _refused(lambda: raw("DELETE FROM settlements_settlementline WHERE id = %s", [line.pk]))
    _refused(
        lambda: raw("UPDATE settlements_settlementstep SET comment = 'x' WHERE settlement_id = %s", [s.pk])
    )
    fresh = Settlement.objects.get(pk=s.pk)
    assert (fresh.status, fresh.line_total, fresh.lines.get().rebate) == (
        "approved",
        Decimal("100.00"),
        Decimal("100.00"),
    )
    # the one change allowed: the payout (approved → paid)
    payout_record(settlement=s, by=org.finance, paid_on=dt.date(2026, 10, 15), bank_reference="B-1")
    fresh.refresh_from_db()
    assert fresh.status == SettlementStatus.PAID
    _refused(lambda: raw("UPDATE settlements_settlement SET status = 'approved' WHERE id = %s", [s.pk]))


@pytest.mark.postgres
@pytest.mark.django_db
def test_api_cannot_change_a_locked_settlement(org, api_for):
    s = _approved(org)
    api = api_for(org.president)
    r = api.post(
        f"/api/settlements/settlements/{s.pk}/transition/",
        {"action": "reject", "comment": "改"},
        format="json",
    )
    assert r.status_code == 409
    for method in ("put", "patch", "delete"):
        r = getattr(api, method)(
            f"/api/settlements/settlements/{s.pk}/", {"line_total": "1.00"}, format="json"
        )
        assert r.status_code == 405
    s.refresh_from_db()
    assert (s.status, s.line_total) == ("approved", Decimal("100.00"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_approvals_make_one_transition(org):
    cline(user=org.rep_a1, amount="100.00")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1)
    s = settlement_transition(settlement=s, action="submit", by=org.finance)
    s = settlement_transition(settlement=s, action="confirm", by=org.finance)
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    refusals: list[str] = []
    approvers = [org.manager_a] * 10 + [org.regional_manager] * 10  # double clicks and a rival reviewer

    def approve(user) -> None:
        try:
            barrier.wait(timeout=30)
            settlement_transition(
                settlement=s.pk, action="approve", by=user, comment="同意", expected_status="sales_review"
            )
        except DomainError as exc:  # a clean refusal ("already moved"), not an error
            refusals.append(exc.code)
        except BaseException as exc:  # pragma: no cover - what the test must never see
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(u,)) for u in approvers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    s.refresh_from_db()
    assert s.status == SettlementStatus.FINANCE_CONFIRMATION
    steps = SettlementStep.objects.filter(settlement=s, action="approve")
    assert steps.count() == 1
    winner = steps.get().actor
    # the winner's own repeats are no-ops; only the rival's clicks are refused as conflicts
    assert len(refusals) == 10 and set(refusals) == {"conflict"}
    assert winner in (org.manager_a, org.regional_manager)
    assert s.lines.get().commission_line.status == LineStatus.PAYABLE
