"""Issue 15: the public-pool notices and the `pool_sweep` command count in English — "in 1 day", "released
1 customer" — and read the same in Chinese whatever the count. The sweep builds its notices in SQL, so
this runs on SQLite here and on PostgreSQL in CI (each database's JSON function)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from common.models import Notification
from crm.services.pool import pool_sweep
from tests.crm.pool_helpers import TODAY, set_policy, silent_customer

pytestmark = pytest.mark.django_db


def read(user, language: str) -> list[str]:  # type: ignore[no-untyped-def]
    with translation.override(language):
        return [n.message for n in Notification.objects.filter(user=user).order_by("id")]


def test_a_warning_one_day_before_the_release_says_in_1_day(rep) -> None:  # type: ignore[no-untyped-def]
    # given a customer silent 59 days (warned at 30, released at 60)
    c = silent_customer(rep, days=59, name="明日科技")
    # when the nightly sweep runs
    pool_sweep(today=TODAY)
    # then the owner reads "in 1 day" in English, and the same Chinese as ever
    assert read(rep, "en") == [
        "Customer “明日科技” has not been contacted for 59 days and will move to the public pool in 1 day; "
        "please follow up soon."
    ]
    zh = "客户“明日科技”已 59 天未联系，1 天后将转入公海，请尽快跟进。"
    assert read(rep, "zh-hans") == [zh]
    assert Notification.objects.get(user=rep).text == zh  # the stored text (e-mail, admin)
    assert c.pk


def test_one_day_without_contact_reads_1_day(rep) -> None:  # type: ignore[no-untyped-def]
    # given a policy that warns after 1 day and releases after 3
    set_policy(warn_days=1, release_days=3)
    silent_customer(rep, days=1, name="次日科技")
    pool_sweep(today=TODAY)
    assert read(rep, "en") == [
        "Customer “次日科技” has not been contacted for 1 day and will move to the public pool in 2 days; "
        "please follow up soon."
    ]
    assert read(rep, "zh-hans") == ["客户“次日科技”已 1 天未联系，2 天后将转入公海，请尽快跟进。"]


def test_a_release_notice_counts_its_days(rep, manager) -> None:  # type: ignore[no-untyped-def]
    set_policy(warn_days=1, release_days=2)
    silent_customer(rep, days=2, name="后天科技")
    pool_sweep(today=TODAY)
    assert read(rep, "en") == [
        "Customer “后天科技” has not been contacted for 2 days and has been moved to the public pool."
    ]
    assert read(manager, "zh-hans") == [f"您团队{rep}的客户“后天科技”已 2 天未联系，已转入公海。"]


def test_a_notice_written_before_the_days_were_counted_still_reads_in_english(rep) -> None:  # type: ignore[no-untyped-def]
    # given a warning stored by the earlier sweep (days as text in the sentence)
    Notification.objects.create(
        user=rep,
        created_at=timezone.now(),
        text="客户“旧科技”已 45 天未联系，15 天后将转入公海，请尽快跟进。",
        words={
            "m": "客户“%(name)s”已 %(days)s 天未联系，%(left)s 天后将转入公海，请尽快跟进。",
            "a": {"name": "旧科技", "days": "45", "left": "15"},
        },
    )
    assert read(rep, "en") == [
        "Customer “旧科技” has not been contacted for 45 days and will move to the public pool in 15 days; "
        "please follow up soon."
    ]


@pytest.mark.parametrize(
    ("lang", "warn", "release", "said"),
    [
        # one warning: the owner is told (1 notice)
        ("en", 1, 0, ["Reminded 1 customer (", "Released 0 customers to", "Sent 1 notification\n"]),
        # a release tells the owner and the manager: 2 notices each
        ("en", 0, 1, ["Reminded 0 customers (", "Released 1 customer to", "Sent 2 notifications\n"]),
        ("en", 2, 2, ["Reminded 2 customers (", "Released 2 customers to", "Sent 6 notifications\n"]),
        ("zh-hans", 1, 1, ["已提醒 1 个客户（", "已释放 1 个客户到公海", "发出 3 条通知\n"]),
    ],
)
def test_the_command_counts_what_it_did(rep, manager, capsys, lang, warn, release, said) -> None:  # type: ignore[no-untyped-def]
    # given customers due for a warning and for release
    for i in range(warn):
        silent_customer(rep, days=40, name=f"提醒{i}")
    for i in range(release):
        silent_customer(rep, days=70, name=f"释放{i}")
    # when an operator runs the command in their language
    with translation.override(lang):
        call_command("pool_sweep", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    # then each count agrees with its noun
    for phrase in said:
        assert phrase in out, (phrase, out)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", ["Would remind 1 customer (", "Would release 1 customer to the public pool"]),
        ("zh-hans", ["将提醒 1 个客户（", "将释放 1 个客户到公海"]),
    ],
)
def test_a_dry_run_counts_what_it_would_do(rep, capsys, lang, said) -> None:  # type: ignore[no-untyped-def]
    silent_customer(rep, days=70)
    silent_customer(rep, days=40)
    with translation.override(lang):
        call_command("pool_sweep", "--dry-run", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    for phrase in said:
        assert phrase in out, (phrase, out)
    assert "1 customers" not in out
