"""Q6: aging buckets at their boundaries, write-offs as negative sales."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.errors import DomainError
from common.timeutil import local_today, start_of_local_day
from crm.models import ApprovalRequest, PipelinePolicy, WriteOff, WriteOffStatus
from crm.services import payments as payment_services
from crm.services.approvals import approval_decide
from crm.services.receivables import (
    aging_bucket,
    months_before,
    pipeline_policy,
    receivables_overdue,
    receivables_visible_to,
    sales_by_department,
    sales_by_rep,
    sales_records,
    writeoff_board_resolution_record,
    writeoff_propose,
)
from tests.factories import make_order

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = dt.date(2026, 8, 31)


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        (dt.date(2026, 8, 31), "current"),
        (dt.date(2026, 8, 30), "overdue"),
        (dt.date(2026, 6, 30), "overdue"),  # exactly 2 months: not more than 2
        (dt.date(2026, 6, 29), "watch"),
        (dt.date(2026, 4, 30), "watch"),  # exactly 4 months
        (dt.date(2026, 4, 29), "meeting"),
        (dt.date(2026, 2, 28), "meeting"),  # exactly 6 months (Aug 31 − 6 months clamps to Feb 28)
        (dt.date(2026, 2, 27), "bad_debt"),
    ],
)
def test_aging_bucket_boundaries(due, bucket):  # type: ignore[no-untyped-def]
    policy = PipelinePolicy(effective_from=TODAY)
    assert aging_bucket(due=due, today=TODAY, policy=policy) == bucket


def test_months_before_clamps_month_end():
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 2) == dt.date(2025, 11, 15)


def test_overdue_query_matches_the_bucket_boundary(org):  # type: ignore[no-untyped-def]
    at_2 = make_order(owner=org.rep_a1)
    at_2.due_on = dt.date(2026, 6, 30)
    at_2.save()
    past_2 = make_order(owner=org.rep_a1)
    past_2.due_on = dt.date(2026, 6, 29)
    past_2.save()
    paid = make_order(owner=org.rep_a1)
    paid.due_on = dt.date(2026, 1, 1)
    paid.save()
    payment_services.payment_record(order=paid, amount=paid.total, by=org.finance)
    qs = receivables_visible_to(user=org.finance)
    assert list(receivables_overdue(qs, months=2, today=TODAY).values_list("pk", flat=True)) == [past_2.pk]
    assert set(receivables_overdue(qs, months=0, today=TODAY).values_list("pk", flat=True)) == {
        at_2.pk,
        past_2.pk,
    }


def test_due_date_falls_back_to_booked_date_plus_terms(org):  # type: ignore[no-untyped-def]
    PipelinePolicy.objects.create(effective_from=dt.date(2020, 1, 1), payment_terms_days=10)
    booked = start_of_local_day(dt.date(2026, 6, 19))  # due 2026-06-29: more than 2 months overdue
    order = make_order(owner=org.rep_a1, booked_at=booked)
    later = make_order(owner=org.rep_a1, booked_at=start_of_local_day(dt.date(2026, 6, 20)))
    qs = receivables_visible_to(user=org.admin)
    got = list(receivables_overdue(qs, months=2, today=TODAY).values_list("pk", flat=True))
    assert got == [order.pk]
    assert later.pk not in got
    assert pipeline_policy(on=TODAY).payment_terms_days == 10


def _old_debt(org, total="10000.00"):  # type: ignore[no-untyped-def]
    last_year = local_today().year - 1
    order = make_order(
        owner=org.rep_a1,
        lines=[("regular", D("1"), D(total))],
        booked_at=start_of_local_day(dt.date(last_year, 1, 5)),
    )
    order.due_on = dt.date(last_year, 2, 4)
    order.save()
    return order


def _resolution_file():  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("决议.pdf", b"%PDF-1.4 board", content_type="application/pdf")


def _board_resolution(wo, org):  # type: ignore[no-untyped-def]
    return writeoff_board_resolution_record(
        writeoff=wo,
        by=org.finance,
        number="董决2026-07",
        resolved_on=dt.date(2026, 7, 20),
        file=_resolution_file(),
    )


def test_finance_alone_cannot_write_off_without_the_board_resolution(org):  # type: ignore[no-untyped-def]
    # 002 §8.3: the board decides what is bad debt
    order = _old_debt(org, "5000.00")
    wo = writeoff_propose(order=order, amount="5000.00", reason="客户失联", by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=wo.pk)
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.finance, approve=True, reason="同意")
    assert exc.value.code == "board_resolution_required"
    assert "须由董事会决定" in str(exc.value.message)
    wo.refresh_from_db()
    order.refresh_from_db()
    assert wo.status == WriteOffStatus.PROPOSED and order.outstanding == D("5000.00")
    # a rep cannot record the resolution; a resolution without its document is refused
    with pytest.raises(DomainError):
        writeoff_board_resolution_record(
            writeoff=wo, by=org.rep_a1, number="X", resolved_on=dt.date(2026, 7, 1), file=_resolution_file()
        )
    with pytest.raises(DomainError) as exc:
        writeoff_board_resolution_record(
            writeoff=wo, by=org.finance, number="董决2026-07", resolved_on=dt.date(2026, 7, 1), file=None
        )
    assert exc.value.field == "file"
    _board_resolution(wo, org)
    approval_decide(request=req, by=org.finance, approve=True, reason="按董事会决议核销")
    wo.refresh_from_db()
    order.refresh_from_db()
    assert (wo.status, wo.board_resolution_no, order.outstanding) == (
        WriteOffStatus.APPROVED,
        "董决2026-07",
        D("0.00"),
    )


def test_board_resolution_through_the_api_and_the_page(org, api_for, client):  # type: ignore[no-untyped-def]
    order = _old_debt(org, "300.00")
    wo = writeoff_propose(order=order, amount="300.00", reason="客户破产", by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=wo.pk)
    refused = api_for(org.finance).post(f"/api/approvals/{req.pk}/decide/", {"approve": True}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "board_resolution_required"
    client.force_login(org.finance)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "待登记董事会决议" in page and "登记董事会决议" in page
    url = f"/api/orders/{order.pk}/writeoffs/{wo.pk}/resolution/"
    by_rep = api_for(org.rep_a1).post(
        url, {"number": "董决1", "resolved_on": "2026-07-01", "file": _resolution_file()}, format="multipart"
    )
    assert by_rep.status_code == 404  # crm policy: finance only (can_record_money_decisions)
    ok = api_for(org.finance).post(
        url, {"number": "董决1", "resolved_on": "2026-07-01", "file": _resolution_file()}, format="multipart"
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["board_resolution_no"] == "董决1"
    assert "董事会决议 董决1" in client.get(f"/orders/{order.pk}/").content.decode()


def test_writeoff_approved_is_negative_sales_this_year(org):  # type: ignore[no-untyped-def]
    order = _old_debt(org)
    payment_services.payment_record(order=order, amount="2000.00", by=org.finance)
    wo = writeoff_propose(order=order, amount="8000.00", reason="客户破产", by=org.rep_a1)
    assert wo.status == WriteOffStatus.PROPOSED
    req = ApprovalRequest.objects.get(kind="write_off", object_id=wo.pk)
    with pytest.raises(DomainError):
        approval_decide(request=req, by=org.manager_a, approve=True)
    _board_resolution(wo, org)
    approval_decide(request=req, by=org.finance, approve=True, reason="确认无法收回")
    wo.refresh_from_db()
    assert (wo.status, wo.approved_by, wo.approved_on) == (
        WriteOffStatus.APPROVED,
        org.finance,
        local_today(),
    )
    order.refresh_from_db()
    assert order.outstanding == D("0.00")
    this_year = local_today().year
    assert sales_by_rep(year=this_year) == {org.rep_a1.pk: D("-8000.00")}
    assert sales_by_rep(year=this_year - 1) == {org.rep_a1.pk: D("10000.00")}
    assert sales_by_department(year=this_year) == {org.dept_a.pk: D("-8000.00")}
    assert [r["kind"] for r in sales_records(year=this_year)] == ["write_off"]


def test_writeoff_only_for_debts_over_six_months_and_not_above_outstanding(org):  # type: ignore[no-untyped-def]
    fresh = make_order(owner=org.rep_a1)
    with pytest.raises(DomainError) as exc:
        writeoff_propose(order=fresh, amount="1.00", reason="坏账", by=org.rep_a1)
    assert exc.value.code == "not_bad_debt"
    old = _old_debt(org, "100.00")
    with pytest.raises(DomainError):
        writeoff_propose(order=old, amount="100.01", reason="坏账", by=org.rep_a1)
    with pytest.raises(DomainError):  # another team's rep cannot propose it
        writeoff_propose(order=old, amount="100.00", reason="坏账", by=org.rep_b1)
    assert WriteOff.objects.count() == 0


def test_rejected_writeoff_does_not_change_sales(org):  # type: ignore[no-untyped-def]
    order = _old_debt(org, "100.00")
    wo = writeoff_propose(order=order, amount="100.00", reason="坏账", by=org.rep_a1)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=wo.pk)
    approval_decide(request=req, by=org.finance, approve=False, reason="继续催收")
    assert sales_by_rep(year=local_today().year) == {}
    order.refresh_from_db()
    assert order.outstanding == D("100.00")


def test_writeoff_approval_refused_when_payment_arrived_meanwhile(org):  # type: ignore[no-untyped-def]
    order = _old_debt(org, "100.00")
    wo = writeoff_propose(order=order, amount="100.00", reason="坏账", by=org.rep_a1)
    payment_services.payment_record(order=order, amount="40.00", by=org.finance)
    _board_resolution(wo, org)
    req = ApprovalRequest.objects.get(kind="write_off", object_id=wo.pk)
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, by=org.finance, approve=True)
    assert exc.value.code == "writeoff_exceeds_outstanding"
    wo.refresh_from_db()
    assert wo.status == WriteOffStatus.PROPOSED
