"""Pages and API from the outside: inbox, case page, actions, visibility, query counts, portal, credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from crm.models import Customer
from partners.models import CollisionCase, CollisionStatus, PartnerKind
from partners.services import (
    account_executive_attach,
    collision_open,
    collision_transition,
    credit_shares_freeze,
    partner_register,
    referral_create,
)
from tests.factories import NAV_QUERIES, CustomerFactory, FollowUpFactory
from tests.partners.factories import PartnerFactory, book_order

DATA = {
    "name": "杭州瑞丰贸易有限公司",
    "contact_person": "李经理",
    "contact_position": "采购",
    "phone": "13911112222",
    "status": "prospect",
    "grade": "C",
}


def old_customer(org, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("owner", org.rep_a1)
    return CustomerFactory(owned_since=timezone.now() - dt.timedelta(days=9), region=org.region, **kw)


def make_cases(org, n: int) -> list[CollisionCase]:  # type: ignore[no-untyped-def]
    return [
        collision_open(customer=old_customer(org), claimant=org.rep_b1, source="customer_create")
        for _ in range(n)
    ]


class TestCustomerCreationTellsTheClaimant:
    def test_page_redirects_to_the_case_with_a_message(self, org, client_for):
        CustomerFactory(owner=org.rep_a1, name=DATA["name"])
        resp = client_for(org.rep_b1).post(
            reverse("crm:customer_create"), {**DATA, "phone": "13900001111"}, follow=True
        )
        case = CollisionCase.objects.get()
        assert resp.redirect_chain[-1][0] == reverse("partners:collision_detail", args=[case.pk])
        body = resp.content.decode()
        assert f"#{case.pk}" in body and "撞单" in body
        assert Customer.objects.filter(name=DATA["name"]).count() == 1

    def test_api_answers_409_with_the_case_id(self, org, api_for):
        CustomerFactory(owner=org.rep_a1, name=DATA["name"])
        resp = api_for(org.rep_b1).post("/api/customers/", {**DATA, "phone": "13900001111"}, format="json")
        assert resp.status_code == 409
        assert resp.json()["code"] == "collision_opened"
        assert resp.json()["collision_id"] == CollisionCase.objects.get().pk


class TestInboxAndList:
    def test_inbox_page_for_each_party_and_the_regional_manager(self, org, client_for):
        (case,) = make_cases(org, 1)
        for user in (org.rep_a1, org.rep_b1, org.regional_manager):
            body = client_for(user).get(reverse("partners:collision_list")).content.decode()
            assert f"#{case.pk}" in body
        body = client_for(org.rep_a2).get(reverse("partners:collision_list") + "?scope=all").content.decode()
        assert f"#{case.pk}" not in body

    def test_inbox_api_and_filters(self, org, api_for):
        cases = make_cases(org, 3)
        collision_transition(case=cases[0], action="accept", by=org.rep_b1)
        api = api_for(org.rep_b1)
        inbox = api.get("/api/partners/collisions/?inbox=1").json()["results"]
        assert {c["id"] for c in inbox} == {cases[1].pk, cases[2].pk}
        resolved = api.get("/api/partners/collisions/?status=resolved").json()["results"]
        assert [c["id"] for c in resolved] == [cases[0].pk]
        assert api_for(org.rep_a2).get("/api/partners/collisions/").json()["results"] == []

    def test_list_query_counts_do_not_grow(self, org, client_for, api_for, django_assert_max_num_queries):
        make_cases(org, 12)
        client = client_for(org.rep_b1)
        with django_assert_max_num_queries(12 + NAV_QUERIES):
            assert client.get(reverse("partners:collision_list") + "?scope=all").status_code == 200
        api = api_for(org.rep_b1)
        with django_assert_max_num_queries(8):
            assert len(api.get("/api/partners/collisions/").json()["results"]) == 12


class TestCasePage:
    def test_a_non_party_gets_404_in_page_and_api(self, org, client_for, api_for):
        (case,) = make_cases(org, 1)
        assert (
            client_for(org.rep_a2).get(reverse("partners:collision_detail", args=[case.pk])).status_code
            == 404
        )
        assert api_for(org.rep_a2).get(f"/api/partners/collisions/{case.pk}/").status_code == 404
        resp = api_for(org.rep_a2).post(
            f"/api/partners/collisions/{case.pk}/transition/", {"action": "accept"}, format="json"
        )
        assert resp.status_code == 404

    def test_claimant_sees_only_his_own_evidence_the_decider_sees_both(self, org, client_for, api_for):
        # issue 17: the case does not show the owner's follow-ups to the claimant; the regional manager
        # who decides sees both sides' follow-ups of this customer (and nothing of the rest of the book)
        customer = old_customer(org)
        FollowUpFactory(customer=customer, author=org.rep_a1, topic="甲方上门拜访")
        FollowUpFactory(
            customer=CustomerFactory(owner=org.rep_a1), author=org.rep_a1, topic="甲方其他客户机密"
        )
        case = collision_open(customer=customer, claimant=org.rep_b1, source="customer_create")
        FollowUpFactory(customer=customer, author=org.rep_b1, topic="乙方电话沟通")
        url = reverse("partners:collision_detail", args=[case.pk])
        body = client_for(org.rep_b1).get(url).content.decode()
        assert "乙方电话沟通" in body and "甲方上门拜访" not in body and "甲方其他客户机密" not in body
        assert "仅大区经理（裁决人）可见" in body
        assert customer.phone not in body  # the customer's contact details stay with its owner
        data = api_for(org.rep_b1).get(f"/api/partners/collisions/{case.pk}/").json()
        assert sorted(f["topic"] for e in data["evidence"] for f in e["followups"]) == ["乙方电话沟通"]
        decider = client_for(org.regional_manager).get(url).content.decode()
        assert "甲方上门拜访" in decider and "乙方电话沟通" in decider and "甲方其他客户机密" not in decider

    def test_split_form_refuses_a_split_not_summing_to_100(self, org, client_for):
        (case,) = make_cases(org, 1)
        a, b = (case.parties.get(user=u) for u in (org.rep_a1, org.rep_b1))
        url = reverse("partners:collision_act", args=[case.pk])
        resp = client_for(org.rep_b1).post(
            url, {"action": "propose_split", f"share_{a.pk}": "60", f"share_{b.pk}": "30"}
        )
        assert resp.status_code == 200
        body = resp.content.decode()
        assert "100%" in body and 'value="60"' in body
        case.refresh_from_db()
        assert case.status == CollisionStatus.OPEN

    def test_split_then_confirm_through_the_api(self, org, api_for):
        (case,) = make_cases(org, 1)
        a, b = (case.parties.get(user=u) for u in (org.rep_a1, org.rep_b1))
        resp = api_for(org.rep_b1).post(
            f"/api/partners/collisions/{case.pk}/transition/",
            {"action": "propose_split", "shares": {str(a.pk): "0.5", str(b.pk): "0.4"}},
            format="json",
        )
        assert resp.status_code == 400 and resp.json()["code"] == "split_not_100"
        resp = api_for(org.rep_b1).post(
            f"/api/partners/collisions/{case.pk}/transition/",
            {"action": "propose_split", "shares": {str(a.pk): "0.5", str(b.pk): "0.5"}},
            format="json",
        )
        assert resp.json()["status"] == "split_proposed"
        resp = api_for(org.rep_a1).post(
            f"/api/partners/collisions/{case.pk}/transition/", {"action": "confirm_split"}, format="json"
        )
        assert resp.json()["status"] == "resolved" and resp.json()["resolution"] == "cooperation"

    def test_rejecting_a_proposed_split_asks_for_confirmation(self, org, api_for, client_for):
        (case,) = make_cases(org, 1)
        a, b = (case.parties.get(user=u) for u in (org.rep_a1, org.rep_b1))
        api_for(org.rep_b1).post(
            f"/api/partners/collisions/{case.pk}/transition/",
            {"action": "propose_split", "shares": {str(a.pk): "0.5", str(b.pk): "0.5"}},
            format="json",
        )
        page = (
            client_for(org.rep_a1).get(reverse("partners:collision_detail", args=[case.pk])).content.decode()
        )
        assert 'value="reject_split" data-confirm="确定拒绝这项合作分成提议？"' in page

    def test_decision_page_only_for_the_regional_manager(self, org, client_for, api_for):
        (case,) = make_cases(org, 1)
        collision_transition(case=case, action="escalate", by=org.rep_b1)
        b = case.parties.get(user=org.rep_b1)
        url = f"/api/partners/collisions/{case.pk}/transition/"
        resp = api_for(org.manager_b).post(
            url, {"action": "decide", "winner": b.pk, "reason": "x"}, format="json"
        )
        assert resp.status_code == 403
        resp = api_for(org.regional_manager).post(
            url, {"action": "decide", "winner": b.pk, "reason": ""}, format="json"
        )
        assert resp.status_code == 400 and "理由" in resp.json()["detail"]
        page = (
            client_for(org.regional_manager)
            .get(reverse("partners:collision_detail", args=[case.pk]))
            .content.decode()
        )
        assert "大区经理裁决" in page
        resp = client_for(org.regional_manager).post(
            reverse("partners:collision_act", args=[case.pk]),
            {"action": "decide", "winner": b.pk, "reason": "乙方首接"},
        )
        assert resp.status_code == 302
        assert Customer.objects.get(pk=case.customer_id).owner == org.rep_b1


class TestReport:
    def test_report_counts_per_team(self, org, client_for, api_for):
        cases = make_cases(org, 3)
        collision_transition(case=cases[0], action="accept", by=org.rep_b1)
        data = api_for(org.regional_manager).get("/api/partners/collisions/report/").json()
        rows = {r["team"]: r for r in data["rows"]}
        assert rows["销售一部"]["opened"] == 3 and rows["销售一部"]["open"] == 2
        assert rows["销售二部"]["by_rule"] == {"first_registered": 1}
        assert rows["销售二部"]["avg_days"] == "0.0"
        from django.db.models import F

        CollisionCase.objects.filter(pk=cases[0].pk).update(
            resolved_at=F("opened_at") + dt.timedelta(hours=60)
        )
        data = api_for(org.regional_manager).get("/api/partners/collisions/report/").json()
        assert {r["team"]: r for r in data["rows"]}["销售二部"]["avg_days"] == "2.5"
        assert client_for(org.manager_a).get(reverse("partners:collision_report")).status_code == 200
        assert client_for(org.rep_a1).get(reverse("partners:collision_report")).status_code == 404
        assert (
            api_for(org.regional_manager).get("/api/partners/collisions/report/?month=bad").status_code == 400
        )


class TestOrderCredit:
    def test_credit_page_and_api(self, org, client_for, api_for):
        customer = CustomerFactory(owner=org.rep_a1)
        account_executive_attach(customer=customer, executive=org.executive, by=org.rep_a1)
        order = book_order(owner=org.rep_a1, customer=customer)
        credit_shares_freeze(order=order)
        body = client_for(org.rep_a1).get(reverse("partners:order_credit", args=[order.pk])).content.decode()
        assert "70%" in body and "30%" in body
        assert "0.700000" not in body  # issue 15: shares in percent only
        data = api_for(org.executive).get(f"/api/partners/orders/{order.pk}/credit/").json()
        assert data["total"] == "1.000000"
        assert {s["role"]: s["share"] for s in data["shares"]} == {
            "owner": "0.700000",
            "executive": "0.300000",
        }
        assert (
            client_for(org.rep_b1).get(reverse("partners:order_credit", args=[order.pk])).status_code == 404
        )
        assert api_for(org.rep_b1).get(f"/api/partners/orders/{order.pk}/credit/").status_code == 404

    def test_executive_attach_api_and_detach_refused(self, org, api_for, client_for):
        customer = CustomerFactory(owner=org.rep_a1)
        url = f"/api/partners/customers/{customer.pk}/executive/"
        assert (
            api_for(org.rep_b1).post(url, {"executive": org.executive.pk}, format="json").status_code == 404
        )
        assert (
            api_for(org.rep_a1).post(url, {"executive": org.executive.pk}, format="json").status_code == 201
        )
        resp = api_for(org.rep_a1).delete(url)
        assert resp.status_code == 409 and resp.json()["code"] == "executive_locked"
        customer.refresh_from_db()
        assert customer.account_executive == org.executive
        page = client_for(org.rep_a1).post(
            reverse("partners:executive_attach", args=[customer.pk]), {"executive": org.executive.pk}
        )
        assert page.status_code == 200  # no confirmation ticked: form redisplayed


class TestPartnerPortal:
    def _partner_with_login(self, org, name, username):  # type: ignore[no-untyped-def]
        return partner_register(
            by=org.admin,
            name=name,
            kind=PartnerKind.STRATEGIC,
            region=org.region,
            username=username,
            password="demo12345",
        )

    def test_partner_sees_only_their_own(self, org, client_for, api_for):
        p1 = self._partner_with_login(org, "合伙人甲", "partner_x")
        p2 = self._partner_with_login(org, "合伙人乙", "partner_y")
        c1 = CustomerFactory(owner=org.rep_a1, name="甲推荐客户有限公司")
        c2 = CustomerFactory(owner=org.rep_a1, name="乙推荐客户有限公司")
        own = CustomerFactory(owner=p1.user, name="甲自有客户有限公司")
        referral_create(partner=p1, customer=c1, by=org.admin, share=Decimal("0.1"))
        referral_create(partner=p2, customer=c2, by=org.admin, share=Decimal("0.1"))
        o1 = book_order(owner=org.rep_a1, customer=c1)
        o2 = book_order(owner=org.rep_a1, customer=c2)
        credit_shares_freeze(order=o1)
        credit_shares_freeze(order=o2)
        body = client_for(p1.user).get(reverse("partners:portal")).content.decode()
        assert "甲推荐客户" in body and "甲自有客户" in body and o1.number in body and "10%" in body
        assert "乙推荐客户" not in body and o2.number not in body
        api = api_for(p1.user)
        assert {c["id"] for c in api.get("/api/partners/portal/customers/").json()["results"]} == {
            c1.pk,
            own.pk,
        }
        assert [o["id"] for o in api.get("/api/partners/portal/orders/").json()["results"]] == [o1.pk]
        assert [r["customer"] for r in api.get("/api/partners/portal/referrals/").json()["results"]] == [
            c1.pk
        ]
        # another partner's order credit, and the partner admin list, are invisible
        assert api.get(f"/api/partners/orders/{o2.pk}/credit/").status_code == 404
        assert api.get(f"/api/partners/orders/{o1.pk}/credit/").status_code == 200
        assert api.get("/api/partners/partners/").status_code == 404
        assert client_for(org.rep_a1).get(reverse("partners:portal")).status_code == 404

    def test_portal_query_count(self, org, client_for, django_assert_max_num_queries):
        p1 = self._partner_with_login(org, "合伙人甲", "partner_x")
        for _i in range(8):
            c = CustomerFactory(owner=org.rep_a1)
            referral_create(partner=p1, customer=c, by=org.admin, share=Decimal("0.1"))
            credit_shares_freeze(order=book_order(owner=org.rep_a1, customer=c))
        client = client_for(p1.user)
        with django_assert_max_num_queries(12 + NAV_QUERIES):
            assert client.get(reverse("partners:portal")).status_code == 200


class TestPartnerAdmin:
    def test_admin_registers_a_partner_with_login(self, org, client_for):
        client = client_for(org.admin)
        resp = client.post(
            reverse("partners:partner_create"),
            {
                "name": "王合伙",
                "kind": "strategic",
                "region": org.region.pk,
                "username": "pw",
                "password": "demo12345",
            },
        )
        assert resp.status_code == 302
        from partners.models import Partner

        p = Partner.objects.get(name="王合伙")
        assert p.user.has_role("partner")
        # a strategic partner without a region is refused, input kept
        resp = client.post(reverse("partners:partner_create"), {"name": "赵合伙", "kind": "strategic"})
        assert (
            resp.status_code == 200
            and "区域" in resp.content.decode()
            and 'value="赵合伙"' in resp.content.decode()
        )
        assert client_for(org.rep_a1).get(reverse("partners:partner_list")).status_code == 404

    def test_partner_list_query_count(self, org, client_for, api_for, django_assert_max_num_queries):
        for _ in range(10):
            PartnerFactory(kind=PartnerKind.ORDINARY)
        client, api = client_for(org.admin), api_for(org.admin)
        with django_assert_max_num_queries(6 + NAV_QUERIES):
            assert client.get(reverse("partners:partner_list")).status_code == 200
        with django_assert_max_num_queries(4):
            assert len(api.get("/api/partners/partners/").json()["results"]) == 10


class TestReferralEntry:
    def test_manager_records_a_referral_page_and_api(self, org, client_for, api_for):
        partner = PartnerFactory()
        customer = CustomerFactory(owner=org.rep_a1, name="推荐目标有限公司")
        resp = client_for(org.manager_a).post(
            reverse("partners:referral_create"),
            {"partner": partner.pk, "customer_name": "推荐目标有限公司", "share": "8"},
        )
        assert resp.status_code == 302
        from partners.models import Referral

        assert Referral.objects.get().share == Decimal("0.08")
        # bad share: form redisplayed with the message, nothing saved
        resp = client_for(org.manager_a).post(
            reverse("partners:referral_create"),
            {"partner": partner.pk, "customer_name": "推荐目标有限公司", "share": "120"},
        )
        assert resp.status_code == 200 and "100%" in resp.content.decode()
        api = api_for(org.manager_a)
        resp = api.post(
            "/api/partners/referrals/",
            {"partner": partner.pk, "customer": customer.pk, "share": "0.05"},
            format="json",
        )
        assert resp.status_code == 201 and resp.json()["share"] == "0.050000"
        # a customer the manager cannot see → 404; a rep may not record → 403
        hidden = CustomerFactory(owner=org.rep_b1)
        assert (
            api.post(
                "/api/partners/referrals/", {"partner": partner.pk, "customer": hidden.pk}, format="json"
            ).status_code
            == 404
        )
        assert (
            api_for(org.rep_a1)
            .post("/api/partners/referrals/", {"partner": partner.pk, "customer": customer.pk}, format="json")
            .status_code
            == 403
        )
        assert Referral.objects.count() == 2
        assert client_for(org.rep_a1).get(reverse("partners:referral_create")).status_code == 404


def test_escalation_task_is_scheduled_and_runs(org):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from partners.signals import ESCALATION_TASK
    from partners.tasks import escalate_overdue_collisions

    call_command("migrate", "partners", verbosity=0)  # post_migrate registers it (idempotently)
    call_command("migrate", "partners", verbosity=0)
    assert PeriodicTask.objects.filter(task=ESCALATION_TASK).count() == 1
    (case,) = make_cases(org, 1)
    CollisionCase.objects.filter(pk=case.pk).update(deadline=dt.date(2020, 1, 1))
    assert escalate_overdue_collisions.delay().get() == 1
    assert escalate_overdue_collisions.delay().get() == 0
    case.refresh_from_db()
    assert case.status == CollisionStatus.ESCALATED


def test_case_page_prefills_the_default_split_and_manager_winner_beats_prefilled_shares(org, client_for):
    (case,) = make_cases(org, 1)
    a, b = (case.parties.get(user=u) for u in (org.rep_a1, org.rep_b1))
    body = client_for(org.rep_b1).get(reverse("partners:collision_detail", args=[case.pk])).content.decode()
    assert f'name="share_{a.pk}" value="50"' in body
    collision_transition(case=case, action="escalate", by=org.rep_b1)
    resp = client_for(org.regional_manager).post(
        reverse("partners:collision_act", args=[case.pk]),
        {
            "action": "decide",
            "winner": a.pk,
            "reason": "甲方先录",
            f"share_{a.pk}": "50",
            f"share_{b.pk}": "50",
        },
    )
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.winner_id == a.pk


def test_portal_and_inbox_api_query_counts(org, api_for, django_assert_max_num_queries):
    p = partner_register(
        by=org.admin, name="合伙人丙", kind=PartnerKind.ORDINARY, username="partner_z", password="demo12345"
    )
    for _ in range(6):
        c = CustomerFactory(owner=org.rep_a1)
        referral_create(partner=p, customer=c, by=org.admin, share=Decimal("0.1"))
        credit_shares_freeze(order=book_order(owner=org.rep_a1, customer=c))
    make_cases(org, 6)
    api = api_for(p.user)
    for url in (
        "/api/partners/portal/customers/",
        "/api/partners/portal/orders/",
        "/api/partners/portal/referrals/",
    ):
        with django_assert_max_num_queries(4):
            assert len(api.get(url).json()["results"]) == 6
    rm = api_for(org.regional_manager)
    with django_assert_max_num_queries(6):
        assert len(rm.get("/api/partners/collisions/?inbox=1").json()["results"]) == 6


def test_owner_sees_the_case_on_the_customer_page(org, client_for):
    # issue 16: the customer 360's 撞单 tab (its own URL; the page's tab header counts it)
    (case,) = make_cases(org, 1)
    client = client_for(org.rep_a1)
    page = client.get(reverse("crm:customer_detail", args=[case.customer_id])).content.decode()
    assert 'data-tab="collisions"' in page
    tab = client.get(reverse("crm:customer_tab", args=[case.customer_id, "collisions"])).content.decode()
    assert reverse("partners:collision_detail", args=[case.pk]) in tab
