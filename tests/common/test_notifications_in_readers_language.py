"""Issue 15: a notification reads in the reader's language — whether a service wrote it (`notify` with
words) or the nightly pool sweep wrote it set-based in SQL — while its stored text (e-mail, the admin)
stays the Chinese wording. Runs on SQLite here and on PostgreSQL in CI (the sweep builds the words with
each database's JSON function)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.models import Notification
from common.notifications import notify
from crm.models import Task
from crm.services.pool import pool_sweep
from crm.services.pool_release import customers_release_to_pool
from crm.services.tasks import tasks_send_reminders
from tests.crm.pool_helpers import TODAY, silent_customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def read(user, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    with translation.override(language):
        return [n.message for n in Notification.objects.filter(user=user).order_by("id")]


def test_the_sweeps_warning_and_release_read_in_each_language(org, rep, manager) -> None:  # type: ignore[no-untyped-def]
    # given one customer silent for 45 days (warned) and one for 75 days (released)
    warn = silent_customer(rep, days=45)
    gone = silent_customer(rep, days=75)
    # when the nightly sweep runs
    pool_sweep(today=TODAY)
    # then the rep reads both in Chinese or in English, and the stored text is the Chinese one
    zh = [
        f"客户“{gone.name}”已 75 天未联系，已转入公海。",
        f"客户“{warn.name}”已 45 天未联系，15 天后将转入公海，请尽快跟进。",
    ]
    assert sorted(read(rep, "zh-hans")) == sorted(zh)
    assert sorted(Notification.objects.filter(user=rep).values_list("text", flat=True)) == sorted(zh)
    assert sorted(read(rep, "en")) == sorted(
        [
            f"Customer “{gone.name}” has not been contacted for 75 days and has been moved to the "
            "public pool.",
            f"Customer “{warn.name}” has not been contacted for 45 days and will move to the public pool "
            "in 15 days; please follow up soon.",
        ]
    )
    assert read(manager, "en") == [
        f"Customer “{gone.name}” of your team member {rep} has not been contacted for 75 days and has been "
        "moved to the public pool."
    ]


def test_a_release_by_hand_reads_in_each_language(org) -> None:  # type: ignore[no-untyped-def]
    customer = CustomerFactory(owner=org.rep_a1, name="区里释放的")
    customers_release_to_pool(customer_ids=[customer.pk], reason="重复客户", by=org.regional_manager)
    assert read(org.manager_a, "zh-hans") == [
        "您团队销售甲一的客户“区里释放的”已由区经理释放到公海，原因：重复客户。"
    ]
    assert read(org.manager_a, "en") == [
        f"{org.rep_a1}'s customer “区里释放的” in your team was released to the public pool by "
        f"{org.regional_manager}. Reason: 重复客户."
    ]


def test_a_reminder_written_by_the_job_reads_in_english_on_an_english_page(org, rep, client_for) -> None:  # type: ignore[no-untyped-def]
    # given a task due on a fixed date, reminded by the job (which runs in no reader's language)
    Task.objects.create(
        owner=rep,
        created_by=rep,
        title="回访王总",
        due_on=dt.date(2026, 12, 5),
        remind_at=dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC),
    )
    assert tasks_send_reminders(now=dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)) == 1
    client = client_for(rep)
    assert (
        "待办提醒：“回访王总”，截止 2026-12-05。" in client.get(reverse("crm:notifications")).content.decode()
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("crm:notifications")).content.decode()
    assert "Task reminder: “回访王总”, due 2026-12-05." in html and "待办提醒" not in html
    api = client.get("/api/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [n["text"] for n in api["results"]] == ["Task reminder: “回访王总”, due 2026-12-05."]


def test_plain_text_still_works_and_reads_as_written(rep) -> None:  # type: ignore[no-untyped-def]
    notify(users=[rep], text="系统维护通知")
    assert read(rep, "en") == ["系统维护通知"]
