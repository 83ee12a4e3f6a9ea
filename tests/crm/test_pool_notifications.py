"""The shared in-app notification service (C9 uses it; settlements and others will too)."""

from __future__ import annotations

import pytest
from django.core import mail

from common.models import Notification
from common.notifications import email_enabled, notifications_mark_read, notifications_unread_count, notify

pytestmark = pytest.mark.django_db


def test_notify_creates_one_row_per_user_and_emails_those_with_an_address(rep, other_rep):
    rep.email = "rep@example.com"
    rep.save()
    created = notify(users=[rep, other_rep, rep], text="您的结算单已审批", link="/settlements/1/")
    assert len(created) == 2
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"rep_a1", "rep_b1"}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rep@example.com"]
    assert mail.outbox[0].subject == "您的结算单已审批"
    assert "/settlements/1/" in mail.outbox[0].body


def test_no_email_when_turned_off(rep, settings):
    settings.NOTIFY_BY_EMAIL = False
    rep.email = "rep@example.com"
    rep.save()
    assert not email_enabled()
    notify(users=[rep], text="提醒")
    assert Notification.objects.filter(user=rep).count() == 1
    assert mail.outbox == []


def test_no_email_with_the_dummy_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    assert not email_enabled()


def test_mark_read_and_unread_count(rep):
    a, b = notify(users=[rep], text="一"), notify(users=[rep], text="二")
    assert notifications_unread_count(user=rep) == 2
    assert notifications_mark_read(user=rep, ids=[a[0].pk]) == 1
    assert notifications_unread_count(user=rep) == 1
    assert notifications_mark_read(user=rep) == 1
    assert notifications_unread_count(user=rep) == 0
    assert Notification.objects.get(pk=b[0].pk).read


def test_batch_email_task_is_safe_to_run_twice(rep, other_rep):
    from common.tasks import notifications_email_batch

    rep.email = "rep@example.com"
    rep.save()
    Notification.objects.create(user=rep, text="甲", created_at=rep.date_joined, batch="b1")
    Notification.objects.create(user=other_rep, text="乙", created_at=rep.date_joined, batch="b1")
    Notification.objects.create(user=rep, text="别的批次", created_at=rep.date_joined, batch="b2")
    assert notifications_email_batch.delay("b1").get() == 1
    assert notifications_email_batch.delay("b1").get() == 0
    assert [m.subject for m in mail.outbox] == ["甲"]
