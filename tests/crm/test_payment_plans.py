"""Payment plans (回款计划, issue 16): instalments add up to the contract amount exactly (an even plan
split by allocate), plan vs actual on the contract and the customer page, reminders before and after
the due date (once each), the same in the API; scoped like the contract."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.errors import DomainError
from common.models import Notification
from crm.models import PaymentInstalment
from crm.selectors_customer360 import customer_tabs
from crm.services import payment_plans as services
from tests.crm.factories import signed_contract
from tests.crm.pipeline_world import build_world
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D = Decimal


def test_even_plan_adds_up_to_the_contract_to_the_fen(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("100000.00"))
    rows = services.payment_plan_generate_even(
        contract=contract, by=org.rep_a1, count=3, first_due=dt.date(2027, 1, 31)
    )
    assert [(r.seq, r.due_on, r.amount) for r in rows] == [
        (1, dt.date(2027, 1, 31), D("33333.34")),
        (2, dt.date(2027, 2, 28), D("33333.33")),  # month end kept
        (3, dt.date(2027, 3, 31), D("33333.33")),
    ]


def test_a_plan_that_does_not_add_up_is_refused(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("1000.00"))
    with pytest.raises(DomainError) as exc:
        services.payment_plan_set(
            contract=contract,
            by=org.rep_a1,
            instalments=[(dt.date(2027, 1, 1), "600.00"), (dt.date(2027, 2, 1), "300.00")],
        )
    assert str(exc.value.message) == "各期金额合计 ¥900.00 与合同金额 ¥1,000.00 不一致。"
    assert not PaymentInstalment.objects.exists()
    with pytest.raises(DomainError):
        services.payment_plan_set(
            contract=contract, by=org.rep_b1, instalments=[(dt.date(2027, 1, 1), "1000.00")]
        )


def test_received_money_fills_instalments_in_due_order(org):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("1000.00"))
    rows = services.payment_plan_set(
        contract=contract,
        by=org.rep_a1,
        instalments=[
            (dt.date(2026, 10, 1), "300.00"),
            (dt.date(2026, 11, 1), "300.00"),
            (dt.date(2027, 1, 1), "400.00"),
        ],
    )
    status = services.plan_vs_actual(instalments=rows, received=D("450.00"), today=dt.date(2026, 11, 27))
    assert [(r.received, r.outstanding, r.state) for r in status.rows] == [
        (D("300.00"), D("0.00"), "received"),
        (D("150.00"), D("150.00"), "overdue"),
        (D("0.00"), D("400.00"), "upcoming"),
    ]
    assert (status.planned, status.received, status.due_to_date, status.overdue) == (
        D("1000.00"),
        D("450.00"),
        D("600.00"),
        D("150.00"),
    )


def test_reminders_before_and_after_the_due_date_once(org, settings):  # type: ignore[no-untyped-def]
    settings.CRM_PAYMENT_PLAN_REMIND_BEFORE_DAYS = 3
    settings.CRM_PAYMENT_PLAN_REMIND_AFTER_DAYS = 1
    today = dt.date(2026, 11, 27)
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("1000.00"))
    services.payment_plan_set(
        contract=contract,
        by=org.rep_a1,
        instalments=[(dt.date(2026, 11, 26), "400.00"), (dt.date(2026, 11, 30), "600.00")],
    )
    assert services.payment_plan_reminders(today=today) == {"before": 1, "after": 1}
    assert services.payment_plan_reminders(today=today) == {"before": 0, "after": 0}
    n = contract.number
    assert sorted(Notification.objects.filter(user=org.rep_a1).values_list("text", flat=True)) == sorted(
        [
            f"合同 {n} 第2期回款将于 2026-11-30 到期，待收 ¥600.00。",
            f"合同 {n} 第1期回款已逾期（2026-11-26 到期），尚欠 ¥400.00。",
        ]
    )
    assert list(Notification.objects.filter(user=org.manager_a).values_list("text", flat=True)) == [
        f"合同 {n} 第1期回款已逾期（2026-11-26 到期），尚欠 ¥400.00。"
    ]


def test_contract_page_generates_and_shows_plan_vs_actual(org, client_for):  # type: ignore[no-untyped-def]
    world = build_world(org)  # contract ¥100,000.00 with ¥50.00 received on its order
    url = reverse("crm:contract_detail", args=[world.contract.pk])
    client = client_for(org.rep_a1)
    assert "还没有回款计划。" in client.get(url).content.decode()
    bad = client.post(reverse("crm:contract_payment_plan", args=[world.contract.pk]), {"count": "0"})
    assert bad.status_code == 200 and "回款计划" in bad.content.decode()
    assert not PaymentInstalment.objects.exists()
    ok = client.post(
        reverse("crm:contract_payment_plan", args=[world.contract.pk]),
        {"count": "4", "first_due": "2026-01-15", "every_months": "3"},
    )
    assert ok.status_code == 302
    body = client.get(url).content.decode()
    # 4 × ¥25,000.00 planned; the first has ¥50.00 of it received, the other three are all outstanding.
    assert body.count("¥25,000.00") == 4 + 3 and "¥24,950.00" in body
    assert "2026-10-15" in body
    tab = reverse("crm:customer_tab", args=[world.contract.customer_id, "payment_plans"])
    customer = client.get(tab).content.decode()
    assert 'id="payment-plans"' in customer and "¥24,950.00" in customer
    other = client_for(org.rep_b1)
    assert other.get(url).status_code == 404
    assert (
        other.post(reverse("crm:contract_payment_plan", args=[world.contract.pk]), {"count": "1"}).status_code
        == 404
    )


def test_payment_plan_api(org, api_for):  # type: ignore[no-untyped-def]
    contract = signed_contract(org.rep_a1, org.manager_a, amount=D("1000.00"))
    url = reverse("crm_api:contract-payment-plan", args=[contract.pk])
    api = api_for(org.rep_a1)
    made = api.post(
        url,
        {
            "instalments": [
                {"due_on": "2027-01-10", "amount": "250.00"},
                {"due_on": "2026-12-10", "amount": "750.00"},
            ]
        },
        format="json",
    )
    assert made.status_code == 200, made.json()
    assert [(r["seq"], r["due_on"], r["amount"], r["state"]) for r in made.json()["rows"]] == [
        (1, "2026-12-10", "750.00", "upcoming"),
        (2, "2027-01-10", "250.00", "upcoming"),
    ]
    bad = api.post(url, {"instalments": [{"due_on": "2027-01-10", "amount": "999.99"}]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "plan_sum_mismatch"
    assert api_for(org.rep_b1).get(url).status_code == 404
    team = api_for(org.manager_a).post(url, {"count": 2, "first_due": "2027-01-01"}, format="json").json()
    assert [(r["due_on"], r["amount"]) for r in team["rows"]] == [
        ("2027-01-01", "500.00"),
        ("2027-02-01", "500.00"),
    ]


def _plans_tab(client, customer) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("crm:customer_tab", args=[customer.pk, "payment_plans"]))
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_customer_page_has_a_payment_plans_tab_at_a_fixed_query_cost(org, client_for):  # type: ignore[no-untyped-def]
    # Given a customer with one planned contract and one with three (and an unplanned one)
    small, big = CustomerFactory(owner=org.rep_a1), CustomerFactory(owner=org.rep_a1)
    for customer, n in ((small, 1), (big, 3)):
        for _ in range(n):
            contract = signed_contract(org.rep_a1, org.manager_a, amount=D("900.00"), customer=customer)
            services.payment_plan_generate_even(
                contract=contract, by=org.rep_a1, count=3, first_due=dt.date(2027, 1, 15)
            )
    signed_contract(org.rep_a1, org.manager_a, amount=D("500.00"), customer=big)
    # Then the tab counts the planned contracts the user may see: the owner 3, another team's rep none
    assert {t.key: t.count for t in customer_tabs(customer=big, user=org.rep_a1)}["payment_plans"] == 3
    client = client_for(org.rep_a1)
    _plans_tab(client, small)  # warm the per-session caches
    small_body, small_cost = _plans_tab(client, small)
    big_body, big_cost = _plans_tab(client, big)
    # and shows each plan's instalments (¥300.00 × 3 per contract), at the same number of queries
    assert small_body.count("第3期") == 1 and big_body.count("第3期") == 3
    assert "计划合计 <strong>¥900.00</strong>" in big_body
    assert small_cost == big_cost
    assert (
        client_for(org.rep_b1).get(reverse("crm:customer_tab", args=[big.pk, "payment_plans"])).status_code
        == 404
    )
