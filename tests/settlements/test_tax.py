"""001 第8条 income tax before payout: gross, tax withheld and net on every settlement; partners paid as
劳务报酬 get the statutory 预扣预缴 formula, employees the payroll's amount entered or imported by finance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from settlements.models import Payout, Settlement, TaxMethod
from settlements.services.generation import settlement_generate
from settlements.services.payouts import payout_record
from settlements.services.tax import labour_withholding, settlement_tax_enter, settlement_tax_import
from settlements.services.workflow import settlement_transition
from tests.settlements.factories import cline, partner

SEP = dt.date(2026, 9, 1)
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("income", "tax"),
    [
        ("0", "0.00"),
        ("800.00", "0.00"),  # 800 − 800 = 0 taxable
        ("3000.00", "440.00"),  # (3,000 − 800) × 20%
        ("4000.00", "640.00"),  # (4,000 − 800) × 20%
        ("4000.01", "640.00"),  # 4,000.01 × 80% = 3,200.008 × 20% = 640.0016
        ("10000.00", "1600.00"),  # 8,000 × 20%
        ("25000.00", "4000.00"),  # 20,000 × 20% (the band's top)
        ("30000.00", "5200.00"),  # 24,000 × 30% − 2,000
        ("62500.00", "13000.00"),  # 50,000 × 30% − 2,000
        ("100000.00", "25000.00"),  # 80,000 × 40% − 7,000
    ],
)
def test_labour_withholding_formula(income, tax):
    assert labour_withholding(D(income)) == D(tax)


def approve_all(s, org):
    settlement_transition(settlement=s, action="submit", by=org.finance)
    settlement_transition(settlement=s, action="confirm", by=org.finance)
    settlement_transition(settlement=s, action="approve", by=org.regional_manager)  # the partner's region
    settlement_transition(settlement=s, action="approve", by=org.finance)
    return settlement_transition(settlement=s, action="approve", by=org.president)


def test_partner_settlement_withholds_labour_tax_and_pays_the_net(org):
    p = partner(region=org.region)
    cline(partner=p, amount="30000.00", kind="rebate")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_partner=p)
    assert (s.tax_method, s.payout_amount, s.tax_withheld, s.net_payout) == (
        TaxMethod.LABOUR,
        D("30000.00"),
        D("5200.00"),
        D("24800.00"),
    )
    with pytest.raises(Exception, match="按劳务报酬计税"):
        settlement_tax_enter(settlement=s, amount="100", by=org.finance)
    s = approve_all(s, org)
    payout_record(settlement=s, by=org.finance, paid_on=dt.date(2026, 10, 15), bank_reference="B001")
    assert Payout.objects.get(settlement=s).amount == D("24800.00")


def test_employee_tax_entered_by_finance_from_payroll(org, client_for, api_for):
    cline(user=org.rep_a1, amount="12000.00")
    settlement_generate(month=SEP, by=org.finance)
    s = Settlement.objects.get(payee_user=org.rep_a1)
    assert (s.tax_method, s.tax_withheld, s.net_payout) == (TaxMethod.PAYROLL, D("0.00"), D("12000.00"))
    # the page: finance enters ¥1,045.00; a rep cannot; bad input is refused in words, nothing changes
    page = client_for(org.finance).post(f"/settlements/{s.pk}/tax/", {"tax_withheld": "abc"})
    assert "请填写正确的个税金额" in page.content.decode()
    page = client_for(org.finance).post(f"/settlements/{s.pk}/tax/", {"tax_withheld": "12000.01"})
    assert "超过应发金额 ¥12,000.00" in page.content.decode()
    s.refresh_from_db()
    assert s.tax_withheld == D("0.00")
    assert (
        client_for(org.finance).post(f"/settlements/{s.pk}/tax/", {"tax_withheld": "1045"}).status_code == 302
    )
    s.refresh_from_db()
    assert (s.tax_withheld, s.net_payout, s.tax_entered_by) == (D("1045.00"), D("10955.00"), org.finance)
    detail = client_for(org.finance).get(f"/settlements/{s.pk}/").content.decode()
    assert "代扣个税" in detail and "10,955.00" in detail
    # the API shows the same; a rep's attempt is refused
    body = api_for(org.finance).get(f"/api/settlements/settlements/{s.pk}/").json()
    assert (body["payout_amount"], body["tax_withheld"], body["net_amount"]) == (
        "12000.00",
        "1045.00",
        "10955.00",
    )
    refused = api_for(org.rep_a1).post(f"/api/settlements/settlements/{s.pk}/tax/", {"tax_withheld": "1"})
    assert refused.status_code in (403, 404)
    # regenerating the draft keeps the entered amount
    settlement_generate(month=SEP, by=org.finance)
    s.refresh_from_db()
    assert s.net_payout == D("10955.00")


def test_payroll_tax_import_all_or_nothing(org, api_for):
    cline(user=org.rep_a1, amount="5000.00")
    cline(user=org.rep_a2, amount="8000.00")
    settlement_generate(month=SEP, by=org.finance)
    bad = api_for(org.finance).post(
        "/api/settlements/settlements/tax-import/",
        {
            "month": "2026-09-01",
            "rows": [
                {"username": org.rep_a1.username, "tax_withheld": "150.00"},
                {"username": "nobody", "tax_withheld": "10"},
            ],
        },
        format="json",
    )
    assert bad.status_code == 400 and "第 2 行：nobody 在 2026-09 没有结算单" in str(bad.json())
    assert Settlement.objects.get(payee_user=org.rep_a1).tax_withheld == D("0.00")  # nothing changed
    rows = [(org.rep_a1.username, "150.00"), (org.rep_a2.username, "390.00")]
    assert settlement_tax_import(month=SEP, rows=rows, by=org.finance) == 2
    nets = dict(Settlement.objects.filter(month=SEP).values_list("payee_user__username", "net_payout"))
    assert nets == {org.rep_a1.username: D("4850.00"), org.rep_a2.username: D("7610.00")}


def test_forfeit_after_approval_stops_the_payout_of_the_forfeited_lines(org, client_for, api_for):
    from commissions.models import CommissionLine, LineStatus
    from commissions.services.forfeit import commission_forfeit

    # Given a partner's settlement of ¥30,000 approved (tax 5,200, net 24,800) but not yet paid
    p = partner(region=org.region)
    line = cline(partner=p, amount="30000.00", kind="rebate")
    settlement_generate(month=SEP, by=org.finance)
    s = approve_all(Settlement.objects.get(payee_partner=p), org)
    assert CommissionLine.objects.get(pk=line.pk).status == LineStatus.SETTLED
    # When finance forfeits the partner's unpaid commission (K11)
    record = commission_forfeit(payee=p, reason="虚假销售，已查实", by=org.finance)
    assert (record.lines, record.amount) == (1, D("30000.00"))
    # Then the settlement shows the trail and the payout pays nothing of it
    page = client_for(org.finance).get(f"/settlements/{s.pk}/").content.decode()
    assert "审批后没收的提成" in page and "虚假销售，已查实" in page and "30000.00" in page
    body = api_for(org.finance).get(f"/api/settlements/settlements/{s.pk}/").json()
    assert body["payout_due"]["net"] == "0.00" and body["payout_due"]["forfeited"] == "30000.00"
    assert body["payout_due"]["forfeited_lines"][0]["reason"] == "虚假销售，已查实"
    payout_record(settlement=s, by=org.finance, paid_on=dt.date(2026, 10, 15), bank_reference="B002")
    assert Payout.objects.get(settlement=s).amount == D("0.00")
    assert CommissionLine.objects.get(pk=line.pk).status == LineStatus.FORFEITED  # never marked paid
