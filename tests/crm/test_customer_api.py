"""The customer book through the REST API: same services, same visibility (C11) as the pages."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm.models import (
    Contact,
    Customer,
    FollowUp,
    GradeChange,
    Outing,
    OwnershipChange,
    OwnershipReason,
    ReviewStatus,
)
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "南京启明教育咨询有限公司",
    "contact_person": "周洁",
    "contact_position": "校长",
    "phone": "025-86001234",
    "status": "intent",
}


def url(path: str) -> str:
    return f"/api/{path}"


# --- auth and visibility ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["customers/", "customers/1/", "customers/review-queue/", "outings/", "org/users/", "org/regions/"],
)
def test_anonymous_gets_401_or_403(path):
    response = APIClient().get(url(path))
    assert response.status_code in (401, 403)


def test_token_auth_works(rep):
    CustomerFactory(owner=rep, name="令牌客户")
    token = Token.objects.create(user=rep)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get(url("customers/"))
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["令牌客户"]


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("get", ""),
        ("patch", ""),
        ("get", "followups/"),
        ("post", "followups/"),
        ("get", "contacts/"),
        ("post", "contacts/"),
        ("get", "timeline/"),
        ("post", "review/"),
        ("post", "assign/"),
    ],
)
def test_another_reps_customer_is_404_everywhere(api_for, rep, other_rep, method, suffix):
    theirs = CustomerFactory(owner=other_rep)
    response = getattr(api_for(rep), method)(url(f"customers/{theirs.pk}/{suffix}"), {}, format="json")
    assert response.status_code == 404
    assert FollowUp.objects.count() == 0 and Contact.objects.count() == 0


def test_list_scope_rep_manager_president(api_for, org):
    CustomerFactory(owner=org.rep_a1, name="甲一的客户")
    CustomerFactory(owner=org.rep_a2, name="甲二的客户")
    CustomerFactory(owner=org.rep_b1, name="乙一的客户")

    def names(user):  # type: ignore[no-untyped-def]
        return {c["name"] for c in api_for(user).get(url("customers/")).json()["results"]}

    assert names(org.rep_a1) == {"甲一的客户"}
    assert names(org.manager_a) == {"甲一的客户", "甲二的客户"}
    assert names(org.regional_manager) == {"甲一的客户", "甲二的客户", "乙一的客户"}
    assert names(org.president) == {"甲一的客户", "甲二的客户", "乙一的客户"}
    assert names(org.admin) == {"甲一的客户", "甲二的客户", "乙一的客户"}
    # Finance has no customer book (crm.policy.can_open_customers): the route answers 404, as the page.
    assert api_for(org.finance).get(url("customers/")).status_code == 404


def test_manager_gets_404_for_other_team(api_for, org):
    other = CustomerFactory(owner=org.rep_b1)
    assert api_for(org.manager_a).get(url(f"customers/{other.pk}/")).status_code == 404


# --- create, update, C2, C3 ---------------------------------------------------------------------------


def test_create_pending_then_manager_approves(api_for, rep, manager):
    response = api_for(rep).post(url("customers/"), NEW, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["review_status"] == "pending" and body["owner"] == rep.pk and body["phone"] == "02586001234"

    queue = api_for(manager).get(url("customers/review-queue/")).json()["results"]
    assert [c["id"] for c in queue] == [body["id"]]
    refused = api_for(manager).post(
        url(f"customers/{body['id']}/review/"), {"decision": "rejected"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    ok = api_for(manager).post(
        url(f"customers/{body['id']}/review/"), {"decision": "approved"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["review_status"] == "approved"
    again = api_for(manager).post(
        url(f"customers/{body['id']}/review/"), {"decision": "rejected", "reason": "x"}
    )
    assert again.status_code == 409


def test_rep_cannot_review_own_customer_via_api(api_for, rep):
    customer = CustomerFactory(owner=rep, review_status=ReviewStatus.PENDING)
    response = api_for(rep).post(
        url(f"customers/{customer.pk}/review/"), {"decision": "approved"}, format="json"
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.review_status == ReviewStatus.PENDING


def test_create_duplicate_is_409_with_owner_not_contacts(api_for, rep, other_rep):
    CustomerFactory(
        owner=other_rep, name="南京启明教育咨询有限公司", phone="13955556666", contact_person="秘密"
    )
    response = api_for(rep).post(
        url("customers/"), {**NEW, "name": "南京启明 教育咨询有限公司"}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    # C2 + P3: someone else's customer opens a collision case instead of a twin.
    assert body["code"] == "collision_opened" and str(other_rep) in body["detail"]
    assert body["collision_id"] > 0
    assert "13955556666" not in str(body) and "秘密" not in str(body)
    assert Customer.objects.count() == 1


def test_create_duplicate_by_credit_code(api_for, rep, other_rep):
    CustomerFactory(owner=other_rep, credit_code="91310000MA1FL1234X")
    response = api_for(rep).post(
        url("customers/"), {**NEW, "credit_code": "91310000ma1fl1234x"}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"name": ""}, "name"),
        ({"contact_person": ""}, "contact_person"),
        ({"phone": "12345"}, "phone"),
        ({"name": "长" * 201}, "name"),
        ({"notes": "备" * 2001}, "notes"),
        ({"status": "nonsense"}, "status"),
        ({"region": 987654}, "region"),
        ({"credit_code": "123"}, "credit_code"),
    ],
)
def test_create_bad_input_is_400_naming_the_field(api_for, rep, patch, field):
    response = api_for(rep).post(url("customers/"), {**NEW, **patch}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Customer.objects.count() == 0


def test_create_missing_everything(api_for, rep):
    response = api_for(rep).post(url("customers/"), {}, format="json")
    assert response.status_code == 400
    assert {"name", "contact_person", "contact_position", "phone", "status"} <= set(response.json())


def test_malformed_json_is_400(api_for, rep):
    response = api_for(rep).post(url("customers/"), "{not json", content_type="application/json")
    assert response.status_code == 400


def test_update_grade_records_history_with_reason(api_for, rep):
    customer = CustomerFactory(owner=rep, grade="D")
    response = api_for(rep).patch(
        url(f"customers/{customer.pk}/"), {"grade": "B", "grade_reason": "预算已批"}, format="json"
    )
    assert response.status_code == 200 and response.json()["grade"] == "B"
    change = GradeChange.objects.get(customer=customer)
    assert (change.from_grade, change.to_grade, change.changed_by, change.reason) == (
        "D",
        "B",
        rep,
        "预算已批",
    )
    timeline = api_for(rep).get(url(f"customers/{customer.pk}/timeline/")).json()
    assert timeline[0]["kind"] == "grade" and "D → B" in timeline[0]["text"] and timeline[0]["by"] == str(rep)


def test_update_bad_phone_changes_nothing(api_for, rep):
    customer = CustomerFactory(owner=rep, grade="D", phone="13900000000")
    response = api_for(rep).patch(
        url(f"customers/{customer.pk}/"), {"grade": "A", "phone": "x"}, format="json"
    )
    assert response.status_code == 400 and "phone" in response.json()
    customer.refresh_from_db()
    assert (customer.grade, customer.phone) == ("D", "13900000000")
    assert not GradeChange.objects.exists()


def test_update_cannot_change_owner(api_for, rep, other_rep):
    customer = CustomerFactory(owner=rep)
    api_for(rep).patch(url(f"customers/{customer.pk}/"), {"owner": other_rep.pk}, format="json")
    customer.refresh_from_db()
    assert customer.owner == rep


# --- contacts, follow-ups (C7), timeline --------------------------------------------------------------


def test_contacts_and_followups(api_for, rep):
    customer = CustomerFactory(owner=rep)
    client = api_for(rep)
    contact = client.post(
        url(f"customers/{customer.pk}/contacts/"),
        {"name": "钱七", "position": "采购", "role": "purchasing", "phone": "13512345678"},
        format="json",
    )
    assert contact.status_code == 201
    followup = client.post(
        url(f"customers/{customer.pk}/followups/"),
        {"channel": "phone_first", "topic": "首次电话", "contact": contact.json()["id"]},
        format="json",
    )
    assert followup.status_code == 201, followup.json()
    customer.refresh_from_db()
    assert customer.last_contacted_at is not None
    listed = client.get(url(f"customers/{customer.pk}/followups/")).json()["results"]
    assert [f["topic"] for f in listed] == ["首次电话"]
    assert client.get(url(f"customers/{customer.pk}/timeline/")).json()[0]["text"] == "电话·首次 首次电话"


def test_followup_bad_input(api_for, rep):
    customer = CustomerFactory(owner=rep)
    other_contact = CustomerFactory(owner=rep).contacts.create(name="别家", position="经理")
    client = api_for(rep)
    cases = [
        ({"channel": "phone_first"}, "topic"),
        ({"channel": "carrier_pigeon", "topic": "x"}, "channel"),
        ({"channel": "phone_first", "topic": "x", "contact": other_contact.pk}, "contact"),
        ({"channel": "phone_first", "topic": "x", "contact": 999999}, "contact"),
        ({"channel": "phone_first", "topic": "长" * 201}, "topic"),
        ({"channel": "phone_first", "topic": "x", "occurred_at": "2999-01-01T10:00:00+08:00"}, "occurred_at"),
        ({"channel": "phone_first", "topic": "x", "occurred_at": "yesterday"}, "occurred_at"),
    ]
    for data, field in cases:
        response = client.post(url(f"customers/{customer.pk}/followups/"), data, format="json")
        assert response.status_code == 400, data
        assert field in response.json(), (data, response.json())
    assert not FollowUp.objects.exists()


def test_contact_malformed_phone(api_for, rep):
    customer = CustomerFactory(owner=rep)
    response = api_for(rep).post(
        url(f"customers/{customer.pk}/contacts/"),
        {"name": "甲", "position": "乙", "phone": "555"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_phone"
    assert customer.contacts.count() == 0


# --- assign, outings, org ------------------------------------------------------------------------------


def test_manager_assigns_within_team_only(api_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    client = api_for(org.manager_a)
    other_team = client.post(
        url(f"customers/{customer.pk}/assign/"), {"to_user": org.rep_b1.pk}, format="json"
    )
    assert other_team.status_code == 400 and other_team.json()["code"] == "not_in_team"
    ok = client.post(url(f"customers/{customer.pk}/assign/"), {"to_user": org.rep_a2.pk}, format="json")
    assert ok.status_code == 200 and ok.json()["owner"] == org.rep_a2.pk
    assert OwnershipChange.objects.filter(customer=customer, reason=OwnershipReason.ASSIGNED).count() == 1


def test_rep_cannot_assign(api_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    response = api_for(org.rep_a1).post(
        url(f"customers/{customer.pk}/assign/"), {"to_user": org.rep_a2.pk}, format="json"
    )
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1


def test_outings_register_and_refuse_vague(api_for, org):
    CustomerFactory(owner=org.rep_a1, name="青岛东升物流有限公司")
    client = api_for(org.rep_a1)
    vague = client.post(url("outings/"), {"customer_name": "外出"}, format="json")
    assert vague.status_code == 400 and vague.json()["code"] == "vague_destination"
    unknown = client.post(url("outings/"), {"customer_name": "不存在的公司"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_customer"
    assert not Outing.objects.exists()
    ok = client.post(
        url("outings/"), {"customer_name": "青岛东升物流有限公司", "purpose": "签合同"}, format="json"
    )
    assert ok.status_code == 201 and ok.json()["customer_display"] == "青岛东升物流有限公司"
    team = api_for(org.manager_a).get(url("outings/"), {"scope": "team"}).json()["results"]
    assert [o["customer_display"] for o in team] == ["青岛东升物流有限公司"]
    other_team = api_for(org.manager_b).get(url("outings/"), {"scope": "team"}).json()["results"]
    assert other_team == []
    bad_day = client.get(url("outings/"), {"day": "tomorrow"})
    assert bad_day.status_code == 400


def test_outing_to_another_reps_customer_refused(api_for, org):
    CustomerFactory(owner=org.rep_b1, name="别人的客户有限公司")
    response = api_for(org.rep_a1).post(
        url("outings/"), {"customer_name": "别人的客户有限公司"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "unknown_customer"


def test_org_endpoints(api_for, org):
    client = api_for(org.rep_a1)
    regions = {r["name"] for r in client.get(url("org/regions/")).json()["results"]}
    assert regions == {"华东大区", "华北大区"}
    users = client.get(url("org/users/"), {"department": org.dept_a.pk}).json()["results"]
    assert {u["username"] for u in users} == {"mgr_a", "rep_a1", "rep_a2", "exec"}
    assert "phone" not in users[0] and "email" not in users[0]
    assert client.get(url("org/departments/")).status_code == 200
    assert client.get(url("org/industries/")).status_code == 200


# --- pagination and filters ------------------------------------------------------------------------


def test_list_keyset_pages_and_bad_cursor(api_for, rep):
    made = [CustomerFactory(owner=rep) for _ in range(5)]
    client = api_for(rep)
    first = client.get(url("customers/"), {"page_size": 2}).json()
    assert "count" not in first
    assert [c["id"] for c in first["results"]] == [made[4].pk, made[3].pk]
    second = client.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [made[2].pk, made[1].pk]
    bad = client.get(url("customers/"), {"cursor": "garbage"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


def test_list_filters_and_bad_filter(api_for, rep, org):
    CustomerFactory(owner=rep, name="上海星河科技有限公司", grade="A", region=org.region)
    CustomerFactory(owner=rep, name="天津华信贸易有限公司", grade="B")
    client = api_for(rep)

    def names(**params):  # type: ignore[no-untyped-def]
        return [c["name"] for c in client.get(url("customers/"), params).json()["results"]]

    assert names(q="星河") == ["上海星河科技有限公司"]
    assert names(grade="B") == ["天津华信贸易有限公司"]
    assert names(region=org.region.pk) == ["上海星河科技有限公司"]
    assert client.get(url("customers/"), {"grade": "Z"}).status_code == 400
    assert client.get(url("customers/"), {"region": "abc"}).status_code == 400


def test_followups_in_timeline_are_visible_to_manager(api_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    FollowUpFactory(customer=customer, author=org.rep_a1, topic="季度回访", occurred_at=timezone.now())
    body = api_for(org.manager_a).get(url(f"customers/{customer.pk}/timeline/")).json()
    assert any("季度回访" in row["text"] for row in body)


def test_schema_and_docs(api_for, rep):
    client = api_for(rep)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/customers/{id}/timeline/" in schema.content
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.parametrize("path", ["customers/999999/", "customers/999999/timeline/", "customers/abc/"])
def test_unknown_or_malformed_ids_are_404(api_for, rep, path):
    response = api_for(rep).get(url(path))
    assert response.status_code == 404
    assert response.json()["detail"]
