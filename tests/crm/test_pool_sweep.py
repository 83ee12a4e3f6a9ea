"""C9: the nightly sweep — thresholds at exact local-day boundaries, time zones, exemptions, per-grade
days, idempotency, and what the owner and their manager are told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from common.models import Notification
from crm.models import (
    Contract,
    ContractStatus,
    Customer,
    Grade,
    Opportunity,
    OpportunityStage,
    OwnershipChange,
    OwnershipReason,
    PoolGradeRule,
    PoolPolicy,
    PoolRelease,
    PoolThreshold,
    PoolWarning,
)
from crm.services.pool import pool_sweep
from tests.crm.pool_helpers import TODAY, days_ago, set_policy, silent_customer

pytestmark = pytest.mark.django_db


def warned(c: Customer) -> bool:
    return PoolWarning.objects.filter(customer=c, threshold=PoolThreshold.WARN).exists()


def released(c: Customer) -> bool:
    c.refresh_from_db()
    return c.owner_id is None and PoolRelease.objects.filter(customer=c).exists()


@pytest.mark.parametrize(("days", "expect_warn"), [(29, False), (30, True), (31, True)])
def test_warn_threshold_at_exact_day_boundary(rep, days, expect_warn):
    # given a customer last contacted `days` local days ago
    c = silent_customer(rep, days=days)
    # when the sweep runs
    result = pool_sweep(today=TODAY)
    # then only 30+ days are warned, and nobody is released
    assert warned(c) is expect_warn
    assert result.warned == int(expect_warn)
    assert result.released == 0
    c.refresh_from_db()
    assert c.owner == rep


@pytest.mark.parametrize(("days", "expect_release"), [(59, False), (60, True), (61, True)])
def test_release_threshold_at_exact_day_boundary(rep, days, expect_release):
    c = silent_customer(rep, days=days)
    result = pool_sweep(today=TODAY)
    assert released(c) is expect_release
    assert result.released == int(expect_release)
    if not expect_release:
        assert warned(c)  # 59 days: still warned at the 30-day threshold
        assert c.owner == rep


def test_followup_at_2359_shanghai_counts_for_that_local_day(rep):
    # given: contact at 23:59 Shanghai on the day 30 days ago = 15:59 UTC, and one at 00:01 the next
    # local day, which is still the *same UTC date* as the first one
    late = silent_customer(rep, days=30, hour=23, minute=59)
    early_next = silent_customer(rep, days=29, hour=0, minute=1)
    assert (
        late.last_contacted_at.astimezone(dt.UTC).date()
        == early_next.last_contacted_at.astimezone(dt.UTC).date()
    )
    # when
    pool_sweep(today=TODAY)
    # then days are Shanghai dates: 30 days for the first, 29 for the second
    assert warned(late)
    assert not warned(early_next)
    assert PoolWarning.objects.get(customer=late).days == 30


def test_release_at_2359_boundary(rep):
    late = silent_customer(rep, days=60, hour=23, minute=59)
    early_next = silent_customer(rep, days=59, hour=0, minute=0)
    pool_sweep(today=TODAY)
    assert released(late)
    early_next.refresh_from_db()
    assert early_next.owner == rep


@pytest.mark.parametrize(("days", "expect"), [(29, "none"), (30, "warn"), (60, "release")])
def test_never_followed_up_counts_from_owned_since(rep, days, expect):
    c = silent_customer(rep, days=days, contacted=False)
    pool_sweep(today=TODAY)
    assert warned(c) is (expect == "warn")
    assert released(c) is (expect == "release")


def test_claimed_customer_counts_from_when_the_new_owner_got_it(rep):
    # given an old follow-up by a previous owner 90 days ago, but the current rep got it 10 days ago
    c = silent_customer(rep, days=90)
    Customer.objects.filter(pk=c.pk).update(owned_since=days_ago(10))
    result = pool_sweep(today=TODAY)
    assert result.warned == 0 and result.released == 0
    c.refresh_from_db()
    assert c.owner == rep


def test_release_records_history_pool_release_and_notifies_owner_and_manager(org, rep, manager):
    c = silent_customer(rep, days=75)
    result = pool_sweep(today=TODAY)
    c.refresh_from_db()
    assert c.owner is None and c.owned_since is None
    change = OwnershipChange.objects.get(customer=c, reason=OwnershipReason.RELEASED)
    assert change.from_user == rep and change.to_user is None and change.changed_by is None
    assert change.note == "60 天未联系，已转入公海"
    release = PoolRelease.objects.get(customer=c)
    assert release.previous_owner == rep and release.reason == "60 天未联系，已转入公海"
    owner_note = Notification.objects.get(user=rep)
    assert owner_note.text == f"客户“{c.name}”已 75 天未联系，已转入公海。"
    manager_note = Notification.objects.get(user=manager)
    assert manager_note.text == f"您团队销售甲一的客户“{c.name}”已 75 天未联系，已转入公海。"
    assert result.notifications == 2
    # the 30-day warning is not sent once the customer is already gone
    assert not warned(c)


def test_warning_notification_text_link_and_email(rep, django_capture_on_commit_callbacks):
    rep.email = "rep@example.com"
    rep.save()
    c = silent_customer(rep, days=45)
    with django_capture_on_commit_callbacks(execute=True):
        pool_sweep(today=TODAY)
    note = Notification.objects.get(user=rep)
    assert note.text == f"客户“{c.name}”已 45 天未联系，15 天后将转入公海，请尽快跟进。"
    assert note.link == f"/customers/{c.pk}/"
    assert [m.to for m in mail.outbox] == [["rep@example.com"]]
    assert c.name in mail.outbox[0].body


def test_sweep_twice_warns_once_per_threshold_and_releases_once(rep):
    w = silent_customer(rep, days=40)
    r = silent_customer(rep, days=70)
    first = pool_sweep(today=TODAY)
    second = pool_sweep(today=TODAY)
    third = pool_sweep(today=TODAY + dt.timedelta(days=1))
    assert (first.warned, first.released) == (1, 1)
    assert (second.warned, second.released, second.notifications) == (0, 0, 0)
    assert (third.warned, third.released) == (0, 0)
    assert PoolWarning.objects.filter(customer=w).count() == 1
    assert PoolWarning.objects.filter(customer=r, threshold=PoolThreshold.RELEASE).count() == 1
    assert PoolRelease.objects.filter(customer=r).count() == 1
    assert OwnershipChange.objects.filter(customer=r, reason=OwnershipReason.RELEASED).count() == 1
    assert Notification.objects.filter(user=rep).count() == 2


def test_warned_customer_is_released_later_and_a_new_ownership_is_warned_again(rep, other_rep):
    c = silent_customer(rep, days=30)
    pool_sweep(today=TODAY)
    assert warned(c)
    pool_sweep(today=TODAY + dt.timedelta(days=30))
    assert released(c)
    # a new owner gets it: a new ownership, warned again at its own 30 days
    Customer.objects.filter(pk=c.pk).update(
        owner=other_rep, owned_since=days_ago(0, today=TODAY + dt.timedelta(days=31))
    )
    pool_sweep(today=TODAY + dt.timedelta(days=61))
    assert PoolWarning.objects.filter(customer=c, threshold=PoolThreshold.WARN).count() == 2
    assert PoolWarning.objects.filter(customer=c, owner=other_rep, threshold=PoolThreshold.WARN).exists()


def test_exemptions_contract_in_delivery_and_negotiation_by_default(rep):
    delivering = silent_customer(rep, days=90)
    signed = silent_customer(rep, days=90)
    negotiating = silent_customer(rep, days=90)
    completed = silent_customer(rep, days=90)
    for c, status in (
        (delivering, ContractStatus.IN_DELIVERY),
        (signed, ContractStatus.SIGNED),
        (completed, ContractStatus.COMPLETED),
    ):
        Contract.objects.create(
            number=f"HT{c.pk}", customer=c, owner=rep, title="合同", amount="1000.00", status=status
        )
    Opportunity.objects.create(
        customer=negotiating,
        owner=rep,
        name="商机",
        stage=OpportunityStage.NEGOTIATION,
        registered_at=days_ago(100),
    )
    result = pool_sweep(today=TODAY)
    assert result.released == 1
    assert released(completed)
    for c in (delivering, signed, negotiating):
        c.refresh_from_db()
        assert c.owner == rep
        assert not warned(c)


def test_exemptions_can_be_turned_off(rep):
    c = silent_customer(rep, days=90)
    Opportunity.objects.create(
        customer=c, owner=rep, name="商机", stage=OpportunityStage.NEGOTIATION, registered_at=days_ago(100)
    )
    set_policy(exempt_final_stage_opportunity=False)
    pool_sweep(today=TODAY)
    assert released(c)


def test_custom_thresholds_and_per_grade_days(rep):
    policy = set_policy(warn_days=45, release_days=90)
    PoolGradeRule.objects.create(policy=policy, grade=Grade.A, warn_days=60, release_days=120)
    a_100 = silent_customer(rep, days=100, grade=Grade.A)
    a_60 = silent_customer(rep, days=60, grade=Grade.A)
    c_60 = silent_customer(rep, days=60, grade=Grade.C)
    c_90 = silent_customer(rep, days=90, grade=Grade.C)
    a_120 = silent_customer(rep, days=120, grade=Grade.A)
    c_44 = silent_customer(rep, days=44, grade=Grade.C)
    pool_sweep(today=TODAY)
    assert warned(a_100) and not released(a_100)
    assert warned(a_60)
    assert warned(c_60)
    assert released(c_90)
    assert released(a_120)
    assert not warned(c_44)
    note = Notification.objects.get(user=rep, text__contains=a_60.name)
    assert note.text.endswith("已 60 天未联系，60 天后将转入公海，请尽快跟进。")
    assert PoolRelease.objects.get(customer=c_90).reason == "90 天未联系，已转入公海"
    assert PoolRelease.objects.get(customer=a_120).reason == "120 天未联系，已转入公海"
    assert OwnershipChange.objects.get(customer=a_120, reason=OwnershipReason.RELEASED).note == (
        "120 天未联系，已转入公海"
    )


def test_pool_customers_and_unowned_are_ignored(rep):
    c = silent_customer(rep, days=90)
    Customer.objects.filter(pk=c.pk).update(owner=None)
    result = pool_sweep(today=TODAY)
    assert (result.warned, result.released) == (0, 0)


def test_dry_run_reports_without_writing(rep):
    silent_customer(rep, days=40)
    r = silent_customer(rep, days=70)
    result = pool_sweep(today=TODAY, dry_run=True)
    assert (result.warned, result.released) == (1, 1)
    assert result.released_sample == [r.name]
    assert not PoolWarning.objects.exists() and not PoolRelease.objects.exists()
    assert not Notification.objects.exists()
    r.refresh_from_db()
    assert r.owner == rep


def test_dry_run_predicts_the_sweep_with_grade_days_and_switched_exemptions(rep):
    # Given per-grade days for A, the contract exemption switched off, the opportunity one on
    policy = set_policy(warn_days=45, release_days=90, exempt_contract_in_delivery=False)
    PoolGradeRule.objects.create(policy=policy, grade=Grade.A, warn_days=60, release_days=120)
    a_100 = silent_customer(rep, days=100, grade=Grade.A)  # A: warned at 60, released at 120
    c_90 = silent_customer(rep, days=90, grade=Grade.C)
    c_50 = silent_customer(rep, days=50, grade=Grade.C)
    negotiating = silent_customer(rep, days=95, grade=Grade.C)
    Opportunity.objects.create(
        customer=negotiating,
        owner=rep,
        name="商机",
        stage=OpportunityStage.NEGOTIATION,
        registered_at=days_ago(100),
    )
    delivering = silent_customer(rep, days=95, grade=Grade.C)
    Contract.objects.create(
        number=f"HT{delivering.pk}",
        customer=delivering,
        owner=rep,
        title="合同",
        amount="1000.00",
        status=ContractStatus.IN_DELIVERY,
    )
    # When finance previews the night, then the sweep runs
    preview = pool_sweep(today=TODAY, dry_run=True)
    result = pool_sweep(today=TODAY)
    # Then the preview named exactly the customers the sweep then warned and released
    assert (preview.warned, preview.released) == (2, 2)
    assert preview.warned_sample == [a_100.name, c_50.name]
    assert preview.released_sample == [c_90.name, delivering.name]
    assert (result.warned, result.warned_sample) == (preview.warned, preview.warned_sample)
    assert (result.released, result.released_sample) == (preview.released, preview.released_sample)
    assert PoolRelease.objects.get(customer=delivering).reason == "90 天未联系，已转入公海"
    negotiating.refresh_from_db()
    assert negotiating.owner == rep


def test_names_with_quotes_and_percent_signs_reach_the_notifications_as_typed(rep):
    c = silent_customer(rep, days=35, name="O'Neil 100% 科技 (上海) 有限公司")
    pool_sweep(today=TODAY)
    note = Notification.objects.get(user=rep)
    assert (
        note.text == "客户“O'Neil 100% 科技 (上海) 有限公司”已 35 天未联系，25 天后将转入公海，请尽快跟进。"
    )
    assert note.link == f"/customers/{c.pk}/"


def test_management_command_prints_what_it_did(rep, capsys):
    r = silent_customer(rep, days=70)
    call_command("pool_sweep", "--dry-run", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "将释放 1 个客户到公海" in out and r.name in out and "dry_run=True" in out
    r.refresh_from_db()
    assert r.owner == rep
    call_command("pool_sweep", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "已释放 1 个客户到公海" in out and "released=1" in out
    assert released(r)


def test_management_command_rejects_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("pool_sweep", "--today", "2026-13-01")


def test_task_runs_the_sweep_and_schedule_is_registered(rep):
    from django_celery_beat.models import PeriodicTask

    from crm.tasks import POOL_SWEEP_TASK
    from crm.tasks import pool_sweep as task

    r = silent_customer(rep, days=70)
    out = task.delay(TODAY.isoformat()).get()
    assert out == {"today": TODAY.isoformat(), "warned": 0, "released": 1}
    assert released(r)
    periodic = PeriodicTask.objects.get(task=POOL_SWEEP_TASK)
    assert periodic.enabled and periodic.crontab.hour == "1"


def test_policy_defaults():
    p = PoolPolicy.load()
    assert (p.warn_days, p.release_days, p.daily_claim_limit, p.max_owned, p.cooling_off_days) == (
        30,
        60,
        10,
        300,
        30,
    )
    assert p.exempt_contract_in_delivery and p.exempt_final_stage_opportunity
