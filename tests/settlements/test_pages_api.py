"""Pages and API from the outside: visibility (404 for others), query counts, workflow through both."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.conf import settings
from openpyxl import load_workbook

from settlements.models import Dispute, ExportJob, Settlement, SettlementStatus
from settlements.services.generation import settlement_generate
from settlements.services.workflow import settlement_transition
from tests.factories import NAV_QUERIES
from tests.settlements.factories import cline, partner

pytestmark = pytest.mark.django_db
SEP = dt.date(2026, 9, 1)


@pytest.fixture
def month(org):
    cline(user=org.rep_a1, amount="100.00")
    cline(user=org.rep_a2, amount="200.00")
    cline(user=org.rep_b1, amount="300.00")
    p = partner(region=org.region)
    cline(partner=p, kind="rebate", category="微课程", amount="50.00")
    settlement_generate(month=SEP, by=org.finance)
    return {s.payee_name: s for s in Settlement.objects.all()}


def mine(org, user):
    return Settlement.objects.get(payee_user=user, month=SEP)


def test_rep_sees_only_their_own_in_page_and_api(org, month, client_for, api_for):
    own, other = mine(org, org.rep_a1), mine(org, org.rep_a2)
    c = client_for(org.rep_a1)
    assert c.get(f"/settlements/{own.pk}/").status_code == 200
    assert c.get(f"/settlements/{other.pk}/").status_code == 404
    assert c.get(f"/settlements/{other.pk}/export.xlsx").status_code == 404
    page = c.get("/settlements/").content.decode()
    assert own.payee_name in page and other.payee_name not in page
    api = api_for(org.rep_a1)
    assert api.get(f"/api/settlements/settlements/{other.pk}/").status_code == 404
    assert api.get(f"/api/settlements/settlements/{other.pk}/lines/").status_code == 404
    ids = [row["id"] for row in api.get("/api/settlements/settlements/").json()["results"]]
    assert ids == [own.pk]


def test_manager_sees_team_finance_and_president_see_all(org, month, api_for):
    team = {
        r["payee_name"] for r in api_for(org.manager_a).get("/api/settlements/settlements/").json()["results"]
    }
    assert team == {"销售甲一", "销售甲二"}
    assert len(api_for(org.finance).get("/api/settlements/settlements/").json()["results"]) == 4
    assert len(api_for(org.president).get("/api/settlements/settlements/").json()["results"]) == 4
    # the partner's region manager sees the partner's settlement
    rm = {
        r["payee_name"]
        for r in api_for(org.regional_manager).get("/api/settlements/settlements/").json()["results"]
    }
    assert "张合伙" in rm


def test_bank_account_is_masked_in_page_and_api_but_not_for_finance(org, month, client_for, api_for):
    s = Settlement.objects.get(payee_partner__isnull=False)
    body = api_for(org.regional_manager).get(f"/api/settlements/settlements/{s.pk}/").json()
    assert body["bank_account"] == "6222 **** **** 0123" and "account_number" not in body
    assert (
        "6222021234567890123"
        not in client_for(org.regional_manager).get(f"/settlements/{s.pk}/").content.decode()
    )
    assert "6222021234567890123" in client_for(org.finance).get(f"/settlements/{s.pk}/").content.decode()


def test_list_page_and_api_query_counts(org, month, client_for, api_for, django_assert_max_num_queries):
    for i in range(30):
        cline(user=org.rep_a1, amount="1.00", period=dt.date(2025, 1 + i % 12, 1))
    for m in range(1, 13):
        settlement_generate(month=dt.date(2025, m, 1), by=org.finance)
    c = client_for(org.finance)
    with django_assert_max_num_queries(8 + NAV_QUERIES):
        r = c.get("/settlements/?status=draft")
    assert r.status_code == 200
    api = api_for(org.finance)
    with django_assert_max_num_queries(6):
        r = api.get("/api/settlements/settlements/?month=2025-03")
    assert r.status_code == 200 and len(r.json()["results"]) == 1
    with django_assert_max_num_queries(12 + NAV_QUERIES):
        assert c.get(f"/settlements/{mine(org, org.rep_a1).pk}/").status_code == 200


def test_workflow_through_api_and_page(org, month, api_for, client_for):
    s = mine(org, org.rep_a1)
    fin = api_for(org.finance)
    r = fin.post(f"/api/settlements/settlements/{s.pk}/transition/", {"action": "submit"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    # the payee confirms on the page
    c = client_for(org.rep_a1)
    r = c.post(
        f"/settlements/{s.pk}/transition/",
        {"action": "confirm", "expected_status": "submitted", "comment": "无误"},
    )
    assert r.status_code == 302
    # a rep may not approve: clear message, nothing changes
    r = api_for(org.rep_a2).post(
        f"/api/settlements/settlements/{s.pk}/transition/", {"action": "approve"}, format="json"
    )
    assert r.status_code == 404  # not even visible to another rep
    r = c.post(f"/settlements/{s.pk}/transition/", {"action": "approve", "expected_status": "sales_review"})
    assert r.status_code == 400 and "不能处理自己的结算单" in r.content.decode()
    # reject without a reason: 400 JSON with the field
    r = api_for(org.manager_a).post(
        f"/api/settlements/settlements/{s.pk}/transition/", {"action": "reject"}, format="json"
    )
    assert r.status_code == 400 and r.json()["field"] == "comment"
    s.refresh_from_db()
    assert s.status == SettlementStatus.SALES_REVIEW
    # bulk approve from the inbox page
    r = client_for(org.manager_a).post(
        "/settlements/inbox/", {"ids": [s.pk], "action": "approve", "comment": "同意"}
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.status == SettlementStatus.FINANCE_CONFIRMATION
    trail = api_for(org.finance).get(f"/api/settlements/settlements/{s.pk}/steps/").json()
    assert [t["to_status"] for t in trail] == ["submitted", "sales_review", "finance_confirmation"]
    page = client_for(org.finance).get(f"/settlements/{s.pk}/").content.decode()
    assert "经理甲" in page and "同意" in page  # the trail on the settlement page


def test_dispute_and_answer_via_page_and_api(org, month, client_for, api_for):
    s = mine(org, org.rep_a1)
    line = s.lines.get()
    c = client_for(org.rep_a1)
    r = c.post(f"/settlements/{s.pk}/disputes/", {"line": line.pk, "reason": ""})
    assert r.status_code == 400 and Dispute.objects.count() == 0
    r = api_for(org.rep_a2).post(
        "/api/settlements/disputes/", {"line": line.pk, "reason": "x"}, format="json"
    )
    assert r.status_code == 404
    from unittest import mock

    with mock.patch("settlements.services.disputes.local_today", return_value=dt.date(2026, 10, 1)):
        r = api_for(org.rep_a1).post(
            "/api/settlements/disputes/", {"line": line.pk, "reason": "比例不对"}, format="json"
        )
    assert r.status_code == 201, r.content
    d = Dispute.objects.get()
    r = client_for(org.manager_a).post(
        f"/settlements/{s.pk}/disputes/{d.pk}/resolve/",
        {"outcome": "adjusted", "answer": "补发", "amount": ""},
    )
    assert r.status_code == 400 and "调整金额" in r.content.decode()
    r = client_for(org.manager_a).post(
        f"/settlements/{s.pk}/disputes/{d.pk}/resolve/",
        {"outcome": "adjusted", "answer": "补发", "amount": "12.50"},
    )
    assert r.status_code == 302
    s.refresh_from_db()
    assert s.line_total == Decimal("112.50")


def test_payout_bulk_api_and_single_export(org, month, api_for, client_for):
    ids = []
    for user in (org.rep_a1, org.rep_a2):
        s = mine(org, user)
        for action, by in [
            ("submit", org.finance),
            ("confirm", org.finance),
            ("approve", org.manager_a),
            ("approve", org.finance),
            ("approve", org.vp),
        ]:
            s = settlement_transition(settlement=s, action=action, by=by)
        ids.append(s.pk)
    r = api_for(org.manager_a).post(
        "/api/settlements/settlements/bulk-payout/",
        {"ids": ids, "paid_on": "2026-10-15", "bank_reference": "B"},
        format="json",
    )
    assert r.json()["done"] == []
    r = api_for(org.finance).post(
        "/api/settlements/settlements/bulk-payout/",
        {"ids": ids, "paid_on": "2026-10-15", "bank_reference": "PAY-202610"},
        format="json",
    )
    assert sorted(r.json()["done"]) == sorted(ids)
    assert set(Settlement.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"paid"}
    r = client_for(org.rep_a1).get(f"/settlements/{ids[0]}/export.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert wb.worksheets[0].title == "结算信息一览表" and len(wb.worksheets) == 2


def test_background_export_job_with_progress_and_download(
    org, month, client_for, django_capture_on_commit_callbacks
):
    c = client_for(org.finance)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/settlements/exports/", {"month": "2026-09"})
    job = ExportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/settlements/exports/{job.pk}/"
    status = c.get(f"/settlements/exports/{job.pk}/?format=json").json()
    assert status["status"] == "done" and status["progress"] == 100 and status["download"]
    r = c.get(status["download"])
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    assert len(wb.worksheets) == 1 + Settlement.objects.filter(month=SEP).count()
    # someone else's job is a 404; a rep cannot start one
    assert client_for(org.rep_a1).get(f"/settlements/exports/{job.pk}/").status_code == 404
    assert client_for(org.rep_a1).post("/settlements/exports/", {"month": "2026-09"}).status_code == 404


def test_dashboard_shows_due_days_and_generate_refuses_bad_month(org, month, client_for):
    page = client_for(org.finance).get("/settlements/dashboard/").content.decode()
    assert "本期结算日历" in page and "异议截止日" in page
    r = client_for(org.finance).post("/settlements/generate/", {"month": "2026-13"}, follow=True)
    assert r.status_code == 200 and "月份格式" in r.content.decode()
    assert client_for(org.rep_a1).post("/settlements/generate/", {"month": "2026-09"}).status_code == 404


def test_partner_with_a_login_sees_only_their_own_statement(org, month, client_for, api_for):
    from tests.factories import UserFactory

    login = UserFactory(username="partner_login", roles=["partner"])
    p = Settlement.objects.get(payee_partner__isnull=False).payee_partner
    p.user = login
    p.save()
    own = Settlement.objects.get(payee_partner=p)
    ids = [r["id"] for r in api_for(login).get("/api/settlements/settlements/").json()["results"]]
    assert ids == [own.pk]
    assert client_for(login).get(f"/settlements/{mine(org, org.rep_a1).pk}/").status_code == 404
    page = client_for(login).get(f"/settlements/{own.pk}/").content.decode()
    assert "微课程" in page and "6222 **** **** 0123" in page


def test_inbox_and_dispute_lists_query_counts(org, client_for, api_for, django_assert_max_num_queries):
    from tests.factories import UserFactory

    reps = [
        UserFactory(username=f"r{i}", roles=["rep"], manager=org.manager_a, department=org.dept_a)
        for i in range(15)
    ]
    for u in reps:
        cline(user=u, amount="10.00")
    settlement_generate(month=SEP, by=org.finance)
    for s in Settlement.objects.all():
        s = settlement_transition(settlement=s, action="submit", by=org.finance)
        settlement_transition(settlement=s, action="confirm", by=org.finance)
    c = client_for(org.manager_a)
    with django_assert_max_num_queries(14 + NAV_QUERIES):
        page = c.get("/settlements/inbox/")
    assert page.status_code == 200 and page.content.decode().count('name="ids"') == 15
    with django_assert_max_num_queries(10):
        r = api_for(org.manager_a).get("/api/settlements/settlements/inbox/")
    assert len(r.json()) == 15
    with django_assert_max_num_queries(8):
        r = api_for(org.manager_a).get("/api/settlements/disputes/?status=open")
    assert r.status_code == 200


def test_settlement_page_shows_category_and_payee_kind_in_words(org, month, client_for):
    own = mine(org, org.rep_a1)
    page = client_for(org.rep_a1).get(f"/settlements/{own.pk}/").content.decode()
    assert "常规产品" in page and ">regular<" not in page and "regular " not in page
    c = client_for(org.rep_a1)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = c.get(f"/settlements/{own.pk}/").content.decode()
    assert "Regular product" in text and "Sales rep" in text and "销售人员" not in text


def test_settlement_list_shows_the_payee_category_in_the_readers_language(org, month, client_for):
    c = client_for(org.finance)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = c.get("/settlements/").content.decode()
    assert '<td data-label="Category">Sales rep</td>' in text and "销售人员" not in text


def test_the_approval_cards_history_puts_a_comment_the_readers_way(org, month, client_for):
    # given finance submitted the rep's sheet with a comment and the rep confirmed it: the manager reviews
    s = mine(org, org.rep_a1)
    settlement_transition(settlement=s, action="submit", by=org.finance, comment="已与收款人核对无误")
    settlement_transition(settlement=s, action="confirm", by=org.rep_a1)
    c = client_for(org.manager_a)
    assert "：已与收款人核对无误" in c.get("/approvals/?tab=settlements").content.decode()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = c.get("/approvals/?tab=settlements").content.decode()
    assert ": 已与收款人核对无误" in text and "：已与收款人核对无误" not in text
