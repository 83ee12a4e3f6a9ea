"""The customer book from the outside, in the browser's pages: what a rep and a manager see and do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, FollowUp, GradeChange, Outing, OwnershipChange, OwnershipReason, ReviewStatus
from tests.factories import CustomerFactory, FollowUpFactory

pytestmark = pytest.mark.django_db

NEW = {
    "name": "杭州云帆信息技术有限公司",
    "contact_person": "李娜",
    "contact_position": "信息中心主任",
    "phone": "13700001111",
    "status": "prospect",
    "grade": "C",
}


def detail_url(customer: Customer) -> str:
    return reverse("crm:customer_detail", args=[customer.pk])


# --- visibility (C11) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["customer_detail", "customer_edit", "followup_create", "contact_create", "customer_review"]
)
def test_rep_opening_another_reps_customer_gets_404(client_for, rep, other_rep, name):
    theirs = CustomerFactory(owner=other_rep)
    response = client_for(rep).get(reverse(f"crm:{name}", args=[theirs.pk]))
    assert response.status_code == 404


def test_rep_posting_a_followup_on_another_reps_customer_gets_404_and_nothing_saved(
    client_for, rep, other_rep
):
    theirs = CustomerFactory(owner=other_rep)
    response = client_for(rep).post(
        reverse("crm:followup_create", args=[theirs.pk]), {"channel": "phone_regular", "topic": "偷看"}
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()


def test_unknown_customer_id_is_404(client_for, rep):
    assert client_for(rep).get(reverse("crm:customer_detail", args=[999999])).status_code == 404


def test_manager_sees_team_but_not_other_team(client_for, org):
    mine = CustomerFactory(owner=org.rep_a2, name="甲队客户")
    other = CustomerFactory(owner=org.rep_b1, name="乙队客户")
    client = client_for(org.manager_a)
    assert client.get(detail_url(mine)).status_code == 200
    assert client.get(detail_url(other)).status_code == 404
    listing = client.get(reverse("crm:customer_list")).content.decode()
    assert "甲队客户" in listing
    assert "乙队客户" not in listing


@pytest.mark.parametrize("who", ["president", "admin", "vp"])
def test_top_roles_see_every_team(client_for, org, who):
    a = CustomerFactory(owner=org.rep_a1, name="甲队客户")
    b = CustomerFactory(owner=org.rep_b1, name="乙队客户")
    client = client_for(getattr(org, who))
    listing = client.get(reverse("crm:customer_list")).content.decode()
    assert "甲队客户" in listing and "乙队客户" in listing
    assert client.get(detail_url(a)).status_code == 200
    assert client.get(detail_url(b)).status_code == 200


def test_account_executive_sees_the_shared_customer(client_for, org):
    shared = CustomerFactory(owner=org.rep_b1, account_executive=org.executive, name="共享客户")
    assert client_for(org.executive).get(detail_url(shared)).status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/customers/", "/customers/new/", "/reviews/", "/outings/", "/outings/new/"]
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_customer_page_redirects_to_login(client, rep):
    customer = CustomerFactory(owner=rep)
    response = client.get(detail_url(customer))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- list, search, filters, keyset pages -------------------------------------------------------------


def test_list_search_and_filters(client_for, rep, org):
    CustomerFactory(owner=rep, name="上海星河科技有限公司", grade="A", region=org.region)
    CustomerFactory(owner=rep, name="北京远航贸易有限公司", grade="B", region=org.region_b)
    client = client_for(rep)
    page = client.get(reverse("crm:customer_list"), {"q": "星河"}).content.decode()
    assert "上海星河科技" in page and "北京远航" not in page
    page = client.get(reverse("crm:customer_list"), {"grade": "B"}).content.decode()
    assert "北京远航" in page and "上海星河科技" not in page
    page = client.get(reverse("crm:customer_list"), {"region": org.region.pk}).content.decode()
    assert "上海星河科技" in page and "北京远航" not in page


def test_list_search_by_phone(client_for, rep):
    CustomerFactory(owner=rep, name="按电话找到的公司", phone="13812345678")
    page = client_for(rep).get(reverse("crm:customer_list"), {"q": "138-1234-5678"}).content.decode()
    assert "按电话找到的公司" in page


def test_list_pages_with_a_cursor(client_for, rep, settings):
    settings.CRM_CUSTOMER_LIST_PAGE_SIZE = 2
    customers = [CustomerFactory(owner=rep, name=f"翻页客户{i}号") for i in range(5)]
    client = client_for(rep)
    first = client.get(reverse("crm:customer_list"))
    assert [c.pk for c in first.context["customers"]] == [customers[4].pk, customers[3].pk]
    cursor = first.context["next_cursor"]
    second = client.get(reverse("crm:customer_list"), {"after": cursor})
    assert [c.pk for c in second.context["customers"]] == [customers[2].pk, customers[1].pk]


@pytest.mark.parametrize("bad", ["abc", "-5", "1e9999", "0"])
def test_bad_cursor_on_list_page_shows_first_page(client_for, rep, bad):
    CustomerFactory(owner=rep, name="唯一客户")
    response = client_for(rep).get(reverse("crm:customer_list"), {"after": bad})
    assert response.status_code == 200
    assert "唯一客户" in response.content.decode()


def test_bad_filter_value_says_so_and_lists_nothing(client_for, rep):
    CustomerFactory(owner=rep, name="某客户")
    response = client_for(rep).get(reverse("crm:customer_list"), {"grade": "Z", "region": "abc"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "筛选条件无效" in body
    assert "某客户" not in body


# --- create: C1 required fields, C2 duplicates, C5 review ---------------------------------------------


def test_rep_creates_customer_pending_review(client_for, rep):
    response = client_for(rep).post(reverse("crm:customer_create"), NEW)
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(customer)
    assert customer.owner == rep and customer.review_status == ReviewStatus.PENDING


def test_create_missing_required_fields_keeps_input_and_saves_nothing(client_for, rep):
    response = client_for(rep).post(reverse("crm:customer_create"), {"name": "只填了名称的公司", "phone": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "该字段是必填项" in body
    assert 'value="只填了名称的公司"' in body
    assert not Customer.objects.exists()


def test_create_overlong_name_refused(client_for, rep):
    response = client_for(rep).post(reverse("crm:customer_create"), {**NEW, "name": "长" * 201})
    assert response.status_code == 200
    assert "不超过 200 字符" in response.content.decode()
    assert not Customer.objects.exists()


def test_create_malformed_phone_refused_with_message(client_for, rep):
    response = client_for(rep).post(reverse("crm:customer_create"), {**NEW, "phone": "12-34"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "电话号码格式不正确" in body
    assert 'value="杭州云帆信息技术有限公司"' in body
    assert not Customer.objects.exists()


def test_unknown_region_id_refused(client_for, rep):
    response = client_for(rep).post(reverse("crm:customer_create"), {**NEW, "region": "987654"})
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Customer.objects.exists()


def test_duplicate_tells_owner_not_contacts_and_saves_nothing(client_for, rep, other_rep):
    CustomerFactory(
        owner=other_rep, name="杭州云帆信息技术有限公司", phone="13911112222", contact_person="秘密联系人"
    )
    response = client_for(rep).post(
        reverse("crm:customer_create"), {**NEW, "name": "杭州云帆信息技术有限公司 ", "phone": "13700009999"}
    )
    # C2 + P3: no twin; the rep is taken to the collision case; issue 17: it says the customer exists and
    # names the other side only as "对方（员工）" — not the owner, not the contacts.
    assert response.status_code == 302 and "/partners/collisions/" in response.url
    body = client_for(rep).get(response.url).content.decode()
    assert str(other_rep) not in body and "对方（员工）" in body
    assert "13911112222" not in body and "秘密联系人" not in body
    assert Customer.objects.count() == 1


# --- customer page: timeline, edit with grade history, contacts, quick follow-up -----------------------


def test_customer_page_shows_whole_timeline(client_for, rep, org):
    customer = CustomerFactory(owner=rep, grade="C")
    FollowUpFactory(customer=customer, author=rep, topic="电话确认需求")
    GradeChange.objects.create(
        customer=customer, from_grade="C", to_grade="A", changed_by=org.manager_a, reason="已立项"
    )
    OwnershipChange.objects.create(
        customer=customer,
        from_user=org.rep_a2,
        to_user=rep,
        reason=OwnershipReason.ASSIGNED,
        changed_by=org.manager_a,
        changed_at=timezone.now(),
    )
    body = client_for(rep).get(detail_url(customer)).content.decode()
    assert "电话确认需求" in body
    assert "C → A" in body and "已立项" in body
    assert "销售甲二 → 销售甲一" in body and "分配" in body


def test_edit_grade_with_reason_is_kept_in_history_and_shown(client_for, rep):
    customer = CustomerFactory(owner=rep, grade="C", name="等级测试公司")
    client = client_for(rep)
    form = client.get(reverse("crm:customer_edit", args=[customer.pk])).context["form"]
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items() if v is not None}
    data.update(grade="A", grade_reason="客户下月采购")
    response = client.post(reverse("crm:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 302
    change = GradeChange.objects.get(customer=customer)
    assert (change.from_grade, change.to_grade, change.changed_by, change.reason) == (
        "C",
        "A",
        rep,
        "客户下月采购",
    )
    assert "客户下月采购" in client.get(detail_url(customer)).content.decode()


def test_edit_with_bad_phone_keeps_input_and_changes_nothing(client_for, rep):
    customer = CustomerFactory(owner=rep, grade="C", name="原名公司", phone="13900000001")
    client = client_for(rep)
    form = client.get(reverse("crm:customer_edit", args=[customer.pk])).context["form"]
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items() if v is not None}
    data.update(name="新名公司", phone="abc", grade="A")
    response = client.post(reverse("crm:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 200
    assert 'value="新名公司"' in response.content.decode()
    customer.refresh_from_db()
    assert (customer.name, customer.grade, customer.phone) == ("原名公司", "C", "13900000001")
    assert not GradeChange.objects.exists()


def test_add_contact_and_bad_contact_phone(client_for, rep):
    customer = CustomerFactory(owner=rep)
    client = client_for(rep)
    url = reverse("crm:contact_create", args=[customer.pk])
    bad = client.post(url, {"name": "赵敏", "position": "财务经理", "role": "finance", "phone": "99"})
    assert bad.status_code == 200 and "电话号码格式不正确" in bad.content.decode()
    assert 'value="赵敏"' in bad.content.decode()
    assert not customer.contacts.exists()
    ok = client.post(url, {"name": "赵敏", "position": "财务经理", "role": "finance", "phone": "13600000000"})
    assert ok.status_code == 302
    assert customer.contacts.get().name == "赵敏"


def test_quick_log_from_customer_page(client_for, rep):
    customer = CustomerFactory(owner=rep)
    client = client_for(rep)
    page = client.get(detail_url(customer)).content.decode()
    assert 'id="quick-log"' in page
    response = client.post(
        reverse("crm:followup_create", args=[customer.pk]),
        {"channel": "visit_old", "topic": "回访设备使用", "outcome": "运行正常"},
        follow=True,
    )
    assert "沟通记录已保存" in response.content.decode()
    assert "回访设备使用" in response.content.decode()
    customer.refresh_from_db()
    assert customer.last_contacted_at is not None


def test_followup_without_topic_keeps_input_and_saves_nothing(client_for, rep):
    customer = CustomerFactory(owner=rep)
    response = client_for(rep).post(
        reverse("crm:followup_create", args=[customer.pk]), {"channel": "visit_old", "outcome": "聊得不错"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "该字段是必填项" in body and "聊得不错" in body
    assert not FollowUp.objects.exists()


def test_followup_in_the_future_refused(client_for, rep):
    customer = CustomerFactory(owner=rep)
    later = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client_for(rep).post(
        reverse("crm:followup_create", args=[customer.pk]),
        {"channel": "phone_regular", "topic": "未来的电话", "occurred_at": later},
    )
    assert response.status_code == 200
    assert "沟通时间不能晚于现在" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_followup_with_another_customers_contact_refused(client_for, rep):
    customer = CustomerFactory(owner=rep)
    elsewhere = CustomerFactory(owner=rep).contacts.create(name="别家", position="经理")
    response = client_for(rep).post(
        reverse("crm:followup_create", args=[customer.pk]),
        {"channel": "phone_regular", "topic": "电话", "contact": elsewhere.pk},
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not FollowUp.objects.exists()


# --- C5 review queue ----------------------------------------------------------------------------------


def test_manager_review_queue_approve_and_reject(client_for, org):
    first = CustomerFactory(owner=org.rep_a1, name="待审一号", review_status=ReviewStatus.PENDING)
    second = CustomerFactory(owner=org.rep_a2, name="待审二号", review_status=ReviewStatus.PENDING)
    CustomerFactory(owner=org.rep_b1, name="别队待审", review_status=ReviewStatus.PENDING)
    client = client_for(org.manager_a)
    queue = client.get(reverse("crm:review_queue")).content.decode()
    assert "待审一号" in queue and "待审二号" in queue and "别队待审" not in queue

    url = reverse("crm:customer_review", args=[first.pk])
    response = client.post(url, {"decision": "approved", "next": reverse("crm:review_queue")})
    assert response.status_code == 302 and response["Location"] == reverse("crm:review_queue")
    first.refresh_from_db()
    assert first.review_status == ReviewStatus.APPROVED and first.reviewed_by == org.manager_a

    url = reverse("crm:customer_review", args=[second.pk])
    refused = client.post(url, {"decision": "rejected", "reason": ""})
    assert refused.status_code == 400 and "驳回时请填写原因" in refused.content.decode()
    second.refresh_from_db()
    assert second.review_status == ReviewStatus.PENDING
    client.post(url, {"decision": "rejected", "reason": "信息不全"})
    second.refresh_from_db()
    assert (second.review_status, second.review_reason) == (ReviewStatus.REJECTED, "信息不全")
    assert "信息不全" in client.get(detail_url(second)).content.decode()


def test_rep_cannot_review_even_a_team_mates_customer(client_for, org):
    customer = CustomerFactory(owner=org.rep_a2, review_status=ReviewStatus.PENDING)
    CustomerFactory(owner=org.rep_a1)  # so the rep has a customer page of their own
    response = client_for(org.rep_a1).post(
        reverse("crm:customer_review", args=[customer.pk]), {"decision": "approved"}
    )
    assert response.status_code == 404  # not even visible to a fellow rep
    customer.refresh_from_db()
    assert customer.review_status == ReviewStatus.PENDING


# --- assign -------------------------------------------------------------------------------------------


def test_manager_assigns_customer_to_team_rep(client_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    client = client_for(org.manager_a)
    response = client.post(
        reverse("crm:customer_assign", args=[customer.pk]), {"to_user": org.rep_a2.pk, "note": "区域调整"}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.owner == org.rep_a2
    change = OwnershipChange.objects.get(customer=customer, reason=OwnershipReason.ASSIGNED)
    assert (change.from_user, change.to_user, change.changed_by, change.note) == (
        org.rep_a1,
        org.rep_a2,
        org.manager_a,
        "区域调整",
    )


def test_manager_cannot_assign_to_other_team(client_for, org):
    customer = CustomerFactory(owner=org.rep_a1)
    response = client_for(org.manager_a).post(
        reverse("crm:customer_assign", args=[customer.pk]), {"to_user": org.rep_b1.pk}
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    customer.refresh_from_db()
    assert customer.owner == org.rep_a1


def test_rep_has_no_assign_page(client_for, rep):
    customer = CustomerFactory(owner=rep)
    assert client_for(rep).get(reverse("crm:customer_assign", args=[customer.pk])).status_code == 404


# --- C8 outings ---------------------------------------------------------------------------------------


def test_outing_vague_text_refused_and_input_kept(client_for, rep):
    CustomerFactory(owner=rep, name="苏州瑞丰实业有限公司")
    client = client_for(rep)
    response = client.post(reverse("crm:outing_create"), {"customer_name": "见客户", "purpose": "聊聊"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "不是客户名称" in body and 'value="见客户"' in body
    assert not Outing.objects.exists()
    ok = client.post(reverse("crm:outing_create"), {"customer_name": "苏州瑞丰实业有限公司"})
    assert ok.status_code == 302
    assert Outing.objects.get().customer.name == "苏州瑞丰实业有限公司"


def test_manager_sees_who_is_out_and_unregistered_visits(client_for, org):
    registered = CustomerFactory(owner=org.rep_a1, name="已登记客户")
    unregistered = CustomerFactory(owner=org.rep_a2, name="未登记客户")
    Outing.objects.create(user=org.rep_a1, customer=registered, planned_at=timezone.now())
    FollowUpFactory(customer=registered, author=org.rep_a1, channel="visit_old", occurred_at=timezone.now())
    FollowUpFactory(
        customer=unregistered,
        author=org.rep_a2,
        channel="visit_new",
        occurred_at=timezone.now(),
        topic="突然上门",
    )
    body = client_for(org.manager_a).get(reverse("crm:outing_list")).content.decode()
    outings, unreg = body.split('id="unregistered"')
    assert "已登记客户" in outings and "销售甲一" in outings
    assert "未登记客户" in unreg and "突然上门" in unreg and "已登记客户" not in unreg


def test_outing_list_bad_day_falls_back_to_today(client_for, rep):
    response = client_for(rep).get(reverse("crm:outing_list"), {"day": "2026-13-45"})
    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()


# --- my day -------------------------------------------------------------------------------------------


def test_my_day_for_a_rep(client_for, rep):
    due = CustomerFactory(owner=rep, name="今天该打电话的公司")
    FollowUpFactory(
        customer=due,
        author=rep,
        occurred_at=timezone.now() - dt.timedelta(days=5),
        next_date=timezone.localdate(),
        topic="约好今天再联系",
    )
    later = CustomerFactory(owner=rep, name="下周再联系的公司")
    FollowUpFactory(customer=later, author=rep, next_date=timezone.localdate() + dt.timedelta(days=7))
    response = client_for(rep).get(reverse("crm:my_day"))
    due_section = response.content.decode().split('id="due"')[1].split("</section>")[0]
    assert "今天该打电话的公司" in due_section and "下周再联系的公司" not in due_section
    assert "约好今天再联系" in response.content.decode()
    assert "待我审核的新客户" not in response.content.decode()


def test_my_day_for_a_manager_shows_review_queue(client_for, org):
    CustomerFactory(owner=org.rep_a1, name="等经理审核的公司", review_status=ReviewStatus.PENDING)
    body = client_for(org.manager_a).get(reverse("crm:my_day")).content.decode()
    assert "待我审核的新客户" in body and "等经理审核的公司" in body


# --- i18n, admin ----------------------------------------------------------------------------------------


def test_switching_to_english_renders_english(client_for, rep):
    customer = CustomerFactory(owner=rep, name="英文界面测试公司")
    client = client_for(rep)
    assert "我的一天" in client.get(reverse("crm:my_day")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(detail_url(customer)).content.decode()
    assert "Timeline" in body and "Quick follow-up" in body and "No contacts yet:" in body
    assert "时间线" not in body
    body = client.get(reverse("crm:my_day")).content.decode()
    assert "My day" in body and "Customers to contact today" in body


def test_admin_manages_the_org(client_for, org):
    client = client_for(org.admin)
    for model in ("region", "department", "industry", "user", "customer"):
        assert client.get(reverse(f"admin:crm_{model}_changelist")).status_code == 200
    assert client.get(reverse("admin:crm_user_change", args=[org.rep_a1.pk])).status_code == 200
    response = client.post(reverse("admin:crm_region_add"), {"name": "华南大区"})
    assert response.status_code == 302


def test_outing_form_suggests_only_my_customers(client_for, rep, other_rep):
    CustomerFactory(owner=rep, name="我的客户有限公司")
    CustomerFactory(owner=other_rep, name="别人的客户有限公司")
    body = client_for(rep).get(reverse("crm:outing_create")).content.decode()
    assert '<option value="我的客户有限公司">' in body
    assert "别人的客户有限公司" not in body
