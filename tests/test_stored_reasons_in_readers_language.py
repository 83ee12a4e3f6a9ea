"""Issue 15: the last Chinese that was stored as plain text reads in the reader's language — an approval
step's automatic reason, a sales champion's award and its explanation, and the names in the A3 and
nightly-job notifications (joined with "、" in Chinese, a comma in English). The stored text stays the
Chinese wording; rows written before read as stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from commissions.models import CommissionLine, LineKind
from commissions.services.periods import commission_period_close
from commissions.services.rewards import champions_book_due
from common.deferred_text import words, words_json, words_text
from common.models import Notification
from crm.models import ApprovalRequest, ApprovalStep, Role
from crm.services.approvals import approval_chain, authority_rules_seed_defaults, concession_request
from reports.consumption import a3_reminders
from tests.commissions.reward_helpers import make_partner, partner_sale
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _in(lang: str, read):  # type: ignore[no-untyped-def]
    with translation.override(lang):
        return read()


@pytest.mark.parametrize("asked_in", ["zh-hans", "en"])
def test_an_approval_decided_within_the_account_managers_authority_says_so_in_each_language(org, asked_in):  # type: ignore[no-untyped-def]
    authority_rules_seed_defaults()
    customer = CustomerFactory(owner=org.rep_a1)
    with translation.override(asked_in):
        c = concession_request(
            kind="customer_rebate", customer=customer, ratio=Decimal("0.05"), reason="年度返利", by=org.rep_a1
        )
    step = ApprovalStep.objects.get(
        request=ApprovalRequest.objects.get(kind="customer_rebate", object_id=c.pk)
    )
    assert step.reason == "在客户经理权限内（0–5%：客户经理）"  # stored in Chinese whoever asked
    assert _in("zh-hans", lambda: step.reason_text) == "在客户经理权限内（0–5%：客户经理）"
    en = "Within the account manager's authority (0–5%: account manager)"
    assert _in("en", lambda: step.reason_text) == en
    assert _in("en", lambda: approval_chain(step.request)[0]["reason"]) == en


def test_a_reason_a_person_typed_or_stored_before_reads_as_stored(org) -> None:  # type: ignore[no-untyped-def]
    step = ApprovalStep(reason="价格合理，同意")
    assert _in("en", lambda: step.reason_text) == "价格合理，同意"


def test_a_champions_award_and_explanation_read_in_each_language(org) -> None:  # type: ignore[no-untyped-def]
    a, b = make_partner("甲", region=org.region), make_partner("乙", region=org.region)
    partner_sale(a, owner=org.rep_a1, amount="12000.00", on=dt.date(2026, 10, 5))
    partner_sale(b, owner=org.rep_a1, amount="8000.00", on=dt.date(2026, 10, 31))
    commission_period_close(period=dt.date(2026, 10, 1))
    champions_book_due(today=dt.date(2026, 11, 12))
    line = CommissionLine.objects.get(kind=LineKind.REWARD)
    assert line.reason == "2026年10月月销售冠军奖"
    assert line.explanation["text"] == "2026年10月月销售冠军奖：销售额 ¥12,000.00，排名第一，奖金 ¥300.00"
    assert _in("zh-hans", lambda: (line.reason_text, line.explanation_text)) == (
        "2026年10月月销售冠军奖",
        "2026年10月月销售冠军奖：销售额 ¥12,000.00，排名第一，奖金 ¥300.00",
    )
    assert _in("en", lambda: (line.reason_text, line.explanation_text)) == (
        "10/2026 monthly sales champion",
        "10/2026 monthly sales champion: sales ¥12,000.00, ranked first, prize ¥300.00",
    )


def test_a_list_of_names_is_joined_the_readers_way() -> None:
    # the A3 notice's message id, with two names
    stored = words_json(
        words("%(month)s 未提交消费追踪分析的合伙人：%(names)s", month="2026-10", names=["甲", "乙"])
    )
    assert stored["a"]["names"] == {"l": ["甲", "乙"]}
    assert _in("zh-hans", lambda: words_text(stored)) == "2026-10 未提交消费追踪分析的合伙人：甲、乙"
    assert (
        _in("en", lambda: words_text(stored))
        == "Partners who have not submitted the consumption analysis for 2026-10: 甲, 乙"
    )


def test_the_a3_late_notice_names_the_partners_the_readers_way(org) -> None:  # type: ignore[no-untyped-def]
    for name in ("张合伙", "王合伙"):
        make_partner(name, region=org.region, user=UserFactory(roles=[Role.PARTNER]))
    assert a3_reminders(today=dt.date(2026, 10, 26)) >= 1
    note = Notification.objects.get(user=org.regional_manager)
    assert note.text == "2026-10 未提交消费追踪分析的合伙人：张合伙、王合伙"
    assert _in("en", lambda: note.message).endswith(": 张合伙, 王合伙")


def test_the_nightly_job_notice_joins_the_jobs_the_readers_way(org, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from common import jobs, tasks

    monkeypatch.setattr(jobs, "nightly_jobs_missed", lambda: ["pool_sweep", "rewards_nightly"])
    admin = UserFactory(is_superuser=True)
    assert tasks.nightly_jobs_check() == ["pool_sweep", "rewards_nightly"]
    note = Notification.objects.get(user=admin)
    assert note.text == "昨夜未完成的定时任务：pool_sweep、rewards_nightly"
    assert _in("en", lambda: note.message) == "Nightly jobs that did not finish: pool_sweep, rewards_nightly"
