"""003 §4.2 (review by the department manager or the department's assistant) and §4.3 (entry within 7
days of first contact, 10 at most), in the service, the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from common.errors import DomainError
from crm.models import Customer, ReviewStatus, Role
from crm.selectors import customer_review_queue
from crm.services import customers as services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "南京启明教育咨询有限公司",
    "contact_person": "周洁",
    "contact_position": "校长",
    "phone": "025-86001234",
    "status": "intent",
}


def _days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def dept_assistant(org):  # type: ignore[no-untyped-def]
    return UserFactory(
        username="dept_asst_a",
        display_name="部门助理甲",
        roles=[Role.DEPARTMENT_ASSISTANT],
        department=org.dept_a,
    )


def test_department_assistant_reviews_own_department_only(org, dept_assistant):  # type: ignore[no-untyped-def]
    ours = services.customer_create(by=org.rep_a1, **NEW)
    theirs = services.customer_create(
        by=org.rep_b1, **{**NEW, "name": "北京另一家公司", "phone": "010-66001234"}
    )
    queue = list(customer_review_queue(user=dept_assistant))
    assert queue == [ours]
    services.customer_review_transition(customer=ours, by=dept_assistant, to=ReviewStatus.APPROVED)
    ours.refresh_from_db()
    assert ours.review_status == ReviewStatus.APPROVED and ours.reviewed_by == dept_assistant
    with pytest.raises(DomainError) as exc:
        services.customer_review_transition(customer=theirs, by=dept_assistant, to=ReviewStatus.APPROVED)
    assert exc.value.status == 403
    theirs.refresh_from_db()
    assert theirs.review_status == ReviewStatus.PENDING


def test_department_assistant_reviews_through_the_api(api_for, org, dept_assistant):  # type: ignore[no-untyped-def]
    customer = services.customer_create(by=org.rep_a1, **NEW)
    queue = api_for(dept_assistant).get("/api/customers/review-queue/").json()["results"]
    assert [c["id"] for c in queue] == [customer.pk]
    ok = api_for(dept_assistant).post(
        f"/api/customers/{customer.pk}/review/", {"decision": "approved"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["review_status"] == "approved"


def test_first_contact_six_days_ago_is_kept(org):  # type: ignore[no-untyped-def]
    customer = services.customer_create(by=org.rep_a1, first_contact_on=_days_ago(6), **NEW)
    assert timezone.localtime(customer.first_contact_at).date() == _days_ago(6)


def test_eight_days_needs_a_reason_and_eleven_is_refused(org):  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as exc:
        services.customer_create(by=org.rep_a1, first_contact_on=_days_ago(8), **NEW)
    assert exc.value.code == "late_entry_reason_required"
    assert "首次接触已过去 8 天，超过 7 天须填写逾期录入原因" in str(exc.value.message)
    customer = services.customer_create(
        by=org.rep_a1, first_contact_on=_days_ago(10), late_entry_reason="出差十天刚回", **NEW
    )
    assert customer.late_entry_reason == "出差十天刚回"
    customer.delete()
    with pytest.raises(DomainError) as exc:
        services.customer_create(
            by=org.rep_a1, first_contact_on=_days_ago(11), late_entry_reason="出差", **NEW
        )
    assert "超过新客户录入的最长期限（10 天）" in str(exc.value.message)
    assert not Customer.objects.filter(name=NEW["name"]).exists()


def test_limits_are_settings(org, settings):  # type: ignore[no-untyped-def]
    settings.CUSTOMER_ENTRY_MAX_DAYS = 14
    settings.CUSTOMER_ENTRY_DAYS = 14
    customer = services.customer_create(by=org.rep_a1, first_contact_on=_days_ago(12), **NEW)
    assert timezone.localtime(customer.first_contact_at).date() == _days_ago(12)


def test_api_takes_the_first_contact_date_and_refuses_late_entry_in_english(api_for, org):  # type: ignore[no-untyped-def]
    ok = api_for(org.rep_a1).post(
        "/api/customers/", {**NEW, "first_contact_on": _days_ago(3).isoformat()}, format="json"
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["first_contact_at"].startswith(_days_ago(3).isoformat())
    late = api_for(org.rep_a1).post(
        "/api/customers/",
        {
            **NEW,
            "name": "上海晚录公司",
            "phone": "021-66001234",
            "first_contact_on": _days_ago(11).isoformat(),
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert late.status_code == 400
    assert late.json()["code"] == "entry_too_late"
    assert "10 days" in str(late.json())
    future = api_for(org.rep_a1).post(
        "/api/customers/",
        {
            **NEW,
            "name": "上海未来公司",
            "phone": "021-66001299",
            "first_contact_on": _days_ago(-1).isoformat(),
        },
        format="json",
    )
    assert future.status_code == 400 and future.json()["code"] == "first_contact_future"


def test_page_form_has_first_contact_date_and_shows_the_refusal(client, org):  # type: ignore[no-untyped-def]
    client.force_login(org.rep_a1)
    page = client.get("/customers/new/")
    assert "首次接触日期" in page.content.decode()
    response = client.post(
        "/customers/new/", {**NEW, "grade": "C", "first_contact_on": _days_ago(12).isoformat()}
    )
    assert response.status_code == 200
    assert "超过新客户录入的最长期限（10 天）" in response.content.decode()
    assert not Customer.objects.filter(name=NEW["name"]).exists()
