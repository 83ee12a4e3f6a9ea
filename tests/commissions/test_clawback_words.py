"""Issue 15: a clawback's reason and note (K10: a refund after payout) are stored in Chinese whoever's
action caused the run, and read in the reader's language on the commission line's page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.utils import translation

from commissions.models import CommissionLine, LineKind, LineStatus
from commissions.services.ledger_run import ledger_recalculate
from commissions.services.periods import commission_period_close
from crm.models import ProductCategory, Role
from tests.commissions.factories import booked, install_plan, pay
from tests.factories import make_order

pytestmark = pytest.mark.django_db
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def test_a_clawback_reads_in_each_language(org, client_for) -> None:  # type: ignore[no-untyped-def]
    install_plan("sales_progressive", role=Role.REP)
    rep = org.rep_a1
    order = make_order(
        owner=rep,
        lines=[(ProductCategory.REGULAR, D("1"), D("100000"))],
        booked_at=booked(dt.date(2026, 10, 5)),
    )
    pay(order, "100000", dt.date(2026, 10, 6), org.finance)
    ledger_recalculate(period=OCT)
    CommissionLine.objects.filter(period=OCT, status=LineStatus.PAYABLE).update(status=LineStatus.PAID)
    commission_period_close(period=OCT)
    # given a 30% refund in November, recalculated while an English reader is active
    pay(order, "-30000", dt.date(2026, 11, 3), org.finance)
    with translation.override("en"):
        ledger_recalculate(period=NOV)
    claw = CommissionLine.objects.get(kind=LineKind.CLAWBACK)
    # then the stored reason and note are the Chinese wording
    assert claw.reason == "退款/退货/坏账核销追回"
    assert claw.explanation["note"].startswith(
        "2026-10 按退款/退货/坏账核销后的销售额重新计算：本行应为 ¥2,100.00"
    )
    with translation.override("en"):
        assert claw.reason_text == "Clawback for refund/return/bad-debt write-off"
    # and the line's page reads English for an English reader
    client = client_for(rep)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/commissions/lines/{claw.pk}/").content.decode()
    assert "Clawback for refund/return/bad-debt write-off" in html
    assert "退款" not in html and "note_words" not in html and "reason_words" not in html
