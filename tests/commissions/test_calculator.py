"""The pure calculator (SPEC §5): hand-computed cases at every band and step edge, every component."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from commissions.calculator.engine import calculate, what_if
from commissions.calculator.facts import Facts, LineFact
from commissions.calculator.validation import PlanError, validate_plan
from common.fen import split_by_shares

PLANS = Path(__file__).resolve().parents[2] / "commissions" / "plans"


def plan(name: str) -> dict:
    return json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8"))


def total(name: str, **facts) -> D:
    return calculate(plan(name), Facts(**facts)).total


def test_calculator_module_imports_no_orm():
    # Given a fresh interpreter without Django settings, when the calculator is imported and run,
    # then no ORM module was loaded.
    code = (
        "import sys, json; from decimal import Decimal;"
        "import commissions.calculator.engine as c; from commissions.calculator.facts import Facts;"
        "p = json.load(open('commissions/plans/sales_progressive.json', encoding='utf-8'));"
        "from django.conf import settings; settings.configure(USE_I18N=False);"
        "assert c.calculate(p, Facts(sales=Decimal('600000'))).total == Decimal('30000.00');"
        "print(sorted(m for m in sys.modules if m.startswith('django.db')))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_spec_worked_example_600k_is_30000():
    result = calculate(plan("sales_progressive"), Facts(sales=D("600000")))
    assert result.total == D("30000.00")
    assert [(x.base, x.rate, x.amount) for x in result.lines] == [
        (D("100000"), D("0.03"), D("3000.00")),
        (D("400000"), D("0.05"), D("20000.00")),
        (D("100000"), D("0.07"), D("7000.00")),
    ]
    assert result.to_dict()["total"] == "30000.00"
    assert result.to_dict()["lines"][1]["band"] == "10万元以上至50万元（含）的部分"


@pytest.mark.parametrize(
    ("sales", "expected", "lines"),
    [
        ("0", "0.00", 0),
        ("100000.00", "3000.00", 1),
        ("100000.01", "3000.00", 2),  # 0.01 × 5% = 0.0005 → 0.00
        ("100000.10", "3000.01", 2),  # 0.10 × 5% = 0.005 → half-up 0.01
        ("500000.00", "23000.00", 2),
        ("500000.01", "23000.00", 3),
        ("1000000.00", "58000.00", 3),
        ("1000000.01", "58000.00", 4),
        ("5000000.00", "378000.00", 4),
        ("5000000.01", "378000.00", 5),
        ("10000000.00", "828000.00", 5),
        ("10000000.01", "828000.00", 6),  # 0.001 → 0.00
        ("10000000.10", "828000.01", 6),
    ],
)
def test_k1_progressive_band_edges(sales, expected, lines):
    result = calculate(plan("sales_progressive"), Facts(sales=D(sales)))
    assert result.total == D(expected)
    assert len(result.lines) == lines
    assert sum(x.base for x in result.lines) == D(sales)


@pytest.mark.parametrize(
    ("sales", "expected", "rate"),
    [
        ("9999.99", "300.00", "0.03"),  # 299.9997
        ("10000.00", "300.00", "0.03"),  # 1万元以下 includes 1万 (Civil Code art. 1259)
        ("10000.01", "500.00", "0.05"),  # 500.0005 → 500.00
        ("50000.00", "2500.00", "0.05"),
        ("50000.01", "3500.00", "0.07"),
        ("100000.00", "7000.00", "0.07"),  # the lower band keeps the shared edge
        ("100000.01", "10000.00", "0.10"),
        ("100000.05", "10000.01", "0.10"),  # 10000.005 → half-up
    ],
)
def test_k2_bracket_edges(sales, expected, rate):
    result = calculate(plan("sales_bracket"), Facts(sales=D(sales)))
    assert result.total == D(expected)
    assert len(result.lines) == 1
    assert result.lines[0].rate == D(rate)
    assert result.lines[0].base == D(sales)


@pytest.mark.parametrize(
    ("sales", "bonus_rate", "expected_total"),
    [
        ("999900", None, "57993.00"),  # 99.99%: 23000 + 499900 × 7% = 57993
        ("1000000", "0.01", "68000.00"),  # 100%: 58000 + 10000
        ("1099990", "0.01", "76999.10"),  # 109.999%: 58000 + 7999.20 + 10999.90
        ("1100000", "0.015", "82500.00"),  # 110%: 66000 + 16500
        ("1199999.99", "0.015", "92000.00"),  # 16000.00 (15999.9992) + 18000.00 (17999.99985)
        ("1200000", "0.02", "98000.00"),  # 120%: 74000 + 24000
        ("2400000", "0.02", "218000.00"),  # 240%: still the highest step only (not summed)
    ],
)
def test_k3_target_bonus_steps(sales, bonus_rate, expected_total):
    # 001 三.3: the target is the year's — the year-end run (year_end) computes it on the year's sales
    result = calculate(plan("sales_progressive"), Facts(sales=D(sales), target=D("1000000"), year_end=True))
    bonus = [x for x in result.lines if x.type == "target_bonus"]
    if bonus_rate is None:
        assert bonus == []
    else:
        assert len(bonus) == 1 and bonus[0].rate == D(bonus_rate)
    assert result.total == D(expected_total)


def test_k3_no_target_no_bonus_and_explicit_attainment():
    assert total("sales_progressive", sales=D("1000000")) == D("58000.00")
    assert total("sales_progressive", sales=D("1000000"), attainment=D("1.1"), year_end=True) == D("73000.00")


def test_k4_category_rates_and_outsourced_zero():
    facts = Facts(
        lines=(
            LineFact(category="regular", amount=D("10000.00")),  # 500.00
            LineFact(category="high_end", amount=D("12345.67")),  # 987.6536 → 987.65
            LineFact(category="new_product", amount=D("999.95")),  # 99.995 → 100.00
            LineFact(category="partner_referral", amount=D("100.00")),  # 5.00
            LineFact(category="outsourced", amount=D("50000.00")),  # K7: frontline reps earn nothing
        )
    )
    result = calculate(plan("category_rates"), facts)
    amounts = {x.category: x.amount for x in result.lines}
    assert amounts == {
        "regular": D("500.00"),
        "high_end": D("987.65"),
        "new_product": D("100.00"),
        "partner_referral": D("5.00"),
    }  # outsourced leaves the plan (excluded_categories), explained in the result's notes
    assert result.notes == ("外包业务 ¥50,000.00 不计提一线销售人员提成",)
    assert result.total == D("1592.65")


def test_k7_margin_based_and_never_negative():
    p = plan("category_rates")
    ok = LineFact(category="sourced", amount=D("10000"), cost=D("8000"), tax=D("1300"), logistics=D("200"))
    result = calculate(p, Facts(lines=(ok,)))
    assert result.total == D("50.00")  # 10% × (10000 − 8000 − 1300 − 200)
    assert result.lines[0].explanation()["detail"]["cost"] == "8000.00"
    loss = LineFact(category="sourced", amount=D("10000"), cost=D("11000"))
    result = calculate(p, Facts(lines=(loss,)))
    assert result.total == D("0.00")
    assert result.lines[0].base == D("0")


def test_k9_below_floor_approver_rate_else_margin():
    p = plan("category_rates")
    approved = LineFact(category="regular", amount=D("10000"), below_floor=True, below_floor_rate=D("0.02"))
    by_margin = LineFact(category="regular", amount=D("10000"), cost=D("9000"), below_floor=True)
    result = calculate(p, Facts(lines=(approved, by_margin)))
    assert [(x.type, x.amount) for x in result.lines] == [
        ("below_floor", D("200.00")),
        ("below_floor", D("100.00")),
    ]  # below-floor lines leave the category rates


def test_k5_key_account_rates_uplift_and_year_end_bonus():
    p = plan("key_account")
    lines = (
        LineFact(
            category="regular", amount=D("100000"), key_account_class="strategic", key_account_uplift=True
        ),
        LineFact(category="regular", amount=D("50000.50"), key_account_class="core"),
        LineFact(category="regular", amount=D("30000"), key_account_class="important"),
        LineFact(category="regular", amount=D("99999")),  # not a key account
    )
    result = calculate(p, Facts(lines=lines))
    assert {(x.category, x.rate, x.amount) for x in result.lines} == {
        ("strategic", D("0.025"), D("2500.00")),  # 2% + 0.5 points
        ("core", D("0.015"), D("750.01")),  # 750.0075
        ("important", D("0.01"), D("300.00")),
    }
    year_end = calculate(p, Facts(lines=lines, year_end=True, annual_target_met=True))
    bonus = [x for x in year_end.lines if x.category == "year_end_bonus"]
    assert bonus[0].base == D("3550.01") and bonus[0].amount == D("355.00")  # 10% of 3550.01
    assert year_end.total == D("3905.01")
    missed = calculate(p, Facts(lines=lines, year_end=True, annual_target_met=False))
    assert missed.total == D("3550.01")


def test_k6_grade_fixed_plus_floating_by_attainment():
    p = {
        "code": "grade",
        "name": "销售部提成管理制度",
        "components": [
            {
                "id": "grade",
                "type": "grade",
                "grades": {
                    "A": {"fixed": "0.05", "floating_max": "0.03"},
                    "B": {"fixed": "0.04", "floating_max": "0.02"},
                    "C": {"fixed": "0.03", "floating_max": "0.01"},
                },
                "floating_from": "1.00",
                "floating_full": "1.20",
            }
        ],
    }
    assert calculate(p, Facts(sales=D("100000"), grade="A", target=D("100000"))).total == D("5000.00")
    half = calculate(p, Facts(sales=D("110000"), grade="A", target=D("100000")))
    assert [x.rate for x in half.lines] == [D("0.05"), D("0.015")]
    assert half.total == D("7150.00")  # 5500 + 1650
    assert calculate(p, Facts(sales=D("150000"), grade="C", target=D("100000"))).total == D("6000.00")
    assert calculate(p, Facts(sales=D("100000"), grade="Z")).total == D("0.00")


def test_k13_partner_rebate_quantity_price_rate():
    lines = (
        LineFact(category="family_edu_ticket", amount=D("5940.00"), quantity=D("3"), unit_price=D("1980")),
        LineFact(category="books", amount=D("266.70"), quantity=D("7"), unit_price=D("38.10")),
        LineFact(category="regular", amount=D("1000")),  # not a rebate category
    )
    result = calculate(plan("partner_rebate"), Facts(lines=lines))
    assert [(x.band, x.amount) for x in result.lines] == [
        ("书籍", D("40.01")),  # 266.70 × 15% = 40.005 → 40.01
        ("家庭教育门票", D("1782.00")),
    ]
    assert result.lines[1].explanation()["detail"] == {"quantity": "3.00", "amount": "5940.00"}


def test_split_70_30_with_odd_fens_adds_up_exactly():
    parts = split_by_shares(D("100.01"), [D("0.7"), D("0.3")])
    assert parts == [D("70.01"), D("30.00")]
    parts = split_by_shares(D("0.03"), [D("0.7"), D("0.3")])
    assert parts == [D("0.02"), D("0.01")] and sum(parts) == D("0.03")
    parts = split_by_shares(D("-33.33"), [D("0.7"), D("0.3")])
    assert sum(parts) == D("-33.33")


def test_what_if_marginal_across_a_band_edge():
    # Given 480,000 already sold, a 40,000 deal: 20,000 at 5% + 20,000 at 7% = 2,400.
    before, after, delta = what_if(
        plan("sales_progressive"), Facts(sales=D("480000")), [LineFact(category="regular", amount=D("40000"))]
    )
    assert before.total == D("22000.00") and after.total == D("24400.00") and delta == D("2400.00")


def test_what_if_crossing_the_target_step_adds_the_bonus():
    _, _, delta = what_if(
        plan("sales_progressive"),
        Facts(sales=D("990000"), target=D("1000000"), year_end=True),
        [LineFact(category="regular", amount=D("10000"))],
    )
    assert delta == D("700.00") + D("10000.00")  # 10,000 at 7% + 1% of 1,000,000


# ---------------------------------------------------------------------------------------------- plans


def test_shipped_plans_are_valid():
    for path in PLANS.glob("*.json"):
        assert validate_plan(plan(path.stem)) == [], path.name


def test_progressive_bands_with_a_gap_or_a_closed_top_are_refused():
    p = plan("sales_progressive")
    gap = copy.deepcopy(p)
    gap["components"][0]["bands"][1]["from"] = "100000.01"  # one fen not covered
    assert any("bands[1]" in e and "不能有缺口或重叠" in e for e in validate_plan(gap))
    closed = copy.deepcopy(p)
    closed["components"][0]["bands"][-1]["to"] = "99999999"
    assert any('"to": null' in e for e in validate_plan(closed))
    early = copy.deepcopy(p)
    early["components"][0]["bands"][0]["to"] = None  # open-ended, but not the last band
    assert any("bands[0]" in e and "只有最后一段可以没有上限" in e for e in validate_plan(early))


def test_bracket_edge_claimed_twice_or_implicit_is_refused():
    p = plan("sales_bracket")
    twice = copy.deepcopy(p)
    twice["components"][0]["bands"][1]["min_inclusive"] = True  # 10000 in two bands
    errors = validate_plan(twice)
    assert any("bands[1]" in e and "只能属于一个分段" in e for e in errors)
    implicit = copy.deepcopy(p)
    del implicit["components"][0]["bands"][2]["max_inclusive"]
    assert any("max_inclusive" in e and "明确" in e for e in validate_plan(implicit))
    gap = copy.deepcopy(p)
    gap["components"][0]["bands"][1]["min"] = "20000"
    assert validate_plan(gap)


def test_plan_validation_errors_are_specific():
    p = plan("sales_progressive")
    p["components"][0]["bands"][2]["from"] = "600000"  # gap after 500,000
    p["components"][0]["bands"][0]["rate"] = 0.03  # float
    p["components"][1]["steps"][2]["at_least"] = "1.05"  # not increasing
    p["components"].append({"id": "x", "type": "mystery"})
    errors = validate_plan(p)
    assert any("bands[2]" in e and "500000" in e for e in errors)
    assert any("bands[0].rate" in e and "浮点" in e for e in errors)
    assert any("steps[2]" in e and "递增" in e for e in errors)
    assert any("mystery" in e for e in errors)
    with pytest.raises(PlanError) as exc:
        calculate(p, Facts(sales=D("1")))
    assert len(exc.value.errors) == len(errors)


def test_rates_outside_zero_one_and_bad_payable_mode():
    p = plan("category_rates")
    p["components"][0]["rates"]["regular"]["rate"] = "5"
    p["payable"] = "sometimes"
    errors = validate_plan(p)
    assert any("regular" in e and "0 到 1" in e for e in errors)
    assert any(e.startswith("payable") for e in errors)
    assert validate_plan([]) == ["方案必须是 JSON 对象"]
