"""C10: claiming and assigning pool customers — limits, cooling-off, messages, history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.errors import Conflict, DomainError
from common.models import Notification
from crm.models import (
    Customer,
    OwnershipChange,
    OwnershipReason,
    PoolClaim,
    PoolGradeRule,
    PoolPolicy,
    PoolRelease,
)
from crm.services.pool import pool_assign, pool_claim, pool_sweep
from tests.crm.pool_helpers import set_policy, silent_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def pool_customer(**kw) -> Customer:
    return CustomerFactory(owner=None, owned_since=None, **kw)


def test_claim_takes_the_customer_and_records_history(rep):
    c = pool_customer()
    claimed = pool_claim(customer=c, by=rep)
    assert claimed.owner == rep and claimed.owned_since is not None
    change = OwnershipChange.objects.get(customer=c)
    assert (change.from_user, change.to_user, change.reason, change.changed_by) == (
        None,
        rep,
        OwnershipReason.CLAIMED,
        rep,
    )
    claim = PoolClaim.objects.get(customer=c)
    assert claim.user == rep and claim.assigned_by is None


def test_claim_of_owned_customer_is_refused(rep, other_rep):
    c = CustomerFactory(owner=other_rep)
    with pytest.raises(Conflict) as exc:
        pool_claim(customer=c, by=rep)
    assert "已不在公海中" in str(exc.value.message)
    c.refresh_from_db()
    assert c.owner == other_rep


def test_daily_claim_limit(rep):
    set_policy(daily_claim_limit=2)
    a, b, c = pool_customer(), pool_customer(), pool_customer()
    pool_claim(customer=a, by=rep)
    pool_claim(customer=b, by=rep)
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=c, by=rep)
    assert exc.value.code == "claim_daily_limit"
    assert str(exc.value.message) == "您今天已领取 2 个公海客户，已达每日上限（2 个），请明天再领。"
    c.refresh_from_db()
    assert c.owner is None
    # claims of yesterday do not count
    PoolClaim.objects.update(claimed_at=timezone.now() - dt.timedelta(days=1))
    pool_claim(customer=c, by=rep)


def test_manager_assignments_do_not_use_up_the_reps_daily_claims(rep, manager):
    set_policy(daily_claim_limit=1)
    pool_assign(customer=pool_customer(), to_user=rep, by=manager)
    pool_claim(customer=pool_customer(), by=rep)


def test_max_owned_limit(rep):
    set_policy(max_owned=2)
    CustomerFactory(owner=rep)
    CustomerFactory(owner=rep)
    c = pool_customer()
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=c, by=rep)
    assert exc.value.code == "claim_max_owned"
    assert "您名下已有 2 个客户，已达上限（2 个）" in str(exc.value.message)


def test_previous_owner_cooling_off(rep, other_rep):
    # given a customer released from rep today by the real sweep
    c = silent_customer(rep, days=61)
    pool_sweep()
    c.refresh_from_db()
    assert c.owner is None
    today = timezone.localdate()
    # when rep tries to take it back
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=c, by=rep)
    # then refused, with the date it becomes claimable again
    assert exc.value.code == "claim_cooling_off"
    free = (today + dt.timedelta(days=30)).isoformat()
    assert str(exc.value.message) == (
        f"该客户于 {today.isoformat()} 从您名下释放到公海，30 天内不能重新领取，{free} 起可以领取。"
    )
    # another rep may claim it at once
    assert pool_claim(customer=c, by=other_rep).owner == other_rep


def test_cooling_off_ends_after_k_days(rep):
    c = silent_customer(rep, days=61)
    pool_sweep()
    PoolRelease.objects.filter(customer=c).update(released_at=timezone.now() - dt.timedelta(days=30))
    assert pool_claim(customer=c, by=rep).owner == rep


def test_only_sales_may_claim(org):
    c = pool_customer()
    with pytest.raises(DomainError) as exc:
        pool_claim(customer=c, by=org.finance)
    assert exc.value.status == 403


def test_manager_assigns_to_own_team_and_rep_is_notified(
    manager, rep, other_rep, django_capture_on_commit_callbacks
):
    c = pool_customer()
    with django_capture_on_commit_callbacks(execute=True):
        pool_assign(customer=c, to_user=rep, by=manager)
    c.refresh_from_db()
    assert c.owner == rep
    claim = PoolClaim.objects.get(customer=c)
    assert claim.assigned_by == manager
    assert OwnershipChange.objects.get(customer=c).reason == OwnershipReason.ASSIGNED
    assert Notification.objects.get(user=rep).text == f"经理甲 把公海客户“{c.name}”分配给了您。"
    # another team's rep: refused
    d = pool_customer()
    with pytest.raises(DomainError) as exc:
        pool_assign(customer=d, to_user=other_rep, by=manager)
    assert exc.value.code == "not_in_team"


def test_rep_cannot_assign(rep, other_rep):
    with pytest.raises(DomainError) as exc:
        pool_assign(customer=pool_customer(), to_user=other_rep, by=rep)
    assert exc.value.status == 403


def test_settings_validation_refuses_warn_not_before_release():
    p = PoolPolicy.load()
    p.warn_days, p.release_days = 60, 60
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    assert "提醒天数必须小于释放天数" in str(exc.value)
    p.warn_days = 61
    with pytest.raises(ValidationError):
        p.full_clean()
    p.warn_days, p.release_days = 0, 10
    with pytest.raises(ValidationError):
        p.full_clean()
    p.warn_days, p.release_days = 30, 45
    p.full_clean()


def test_grade_rule_validation():
    rule = PoolGradeRule(policy=PoolPolicy.load(), grade="A", warn_days=90, release_days=60)
    with pytest.raises(ValidationError):
        rule.full_clean()


def test_database_refuses_warn_after_release_even_without_forms():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        PoolPolicy.objects.create(pk=2, warn_days=60, release_days=30)


def test_admin_refuses_nonsense_settings(org, client):
    client.force_login(org.admin)
    PoolPolicy.load()
    url = "/admin/crm/poolpolicy/1/change/"
    data = {
        "warn_days": "60",
        "release_days": "45",
        "exempt_contract_in_delivery": "on",
        "daily_claim_limit": "10",
        "max_owned": "300",
        "cooling_off_days": "30",
        "grade_rules-TOTAL_FORMS": "0",
        "grade_rules-INITIAL_FORMS": "0",
    }
    resp = client.post(url, data)
    assert resp.status_code == 200
    assert "提醒天数必须小于释放天数" in resp.content.decode()
    assert PoolPolicy.load().warn_days == 30
    data["warn_days"] = "40"
    resp = client.post(url, data)
    assert resp.status_code == 302
    assert PoolPolicy.load().warn_days == 40
