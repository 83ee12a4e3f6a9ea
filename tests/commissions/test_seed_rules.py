"""Issue 13, money rules: every rule of the seed sections the shipped plans come from, computed by the
pure calculator with amounts worked out by hand, and every shipped plan file loaded by
`commission_preview`."""

from __future__ import annotations

import io
import json
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from commissions.calculator.engine import calculate, earned_weight, year_end_calculate
from commissions.calculator.facts import Facts, LineFact
from commissions.calculator.validation import validate_plan
from tests.commissions.factories import PLANS


def plan(name: str) -> dict[str, Any]:
    return json.loads((PLANS / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def preview(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("commission_preview", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def line(category: str, amount: str, **kw: Any) -> LineFact:
    return LineFact(category=category, amount=D(amount), **kw)


# K3 (001 三.3) ------------------------------------------------------------------------------------


def test_shipped_target_bonus_is_annual_not_monthly():
    """Given the rep plan and a month of ¥1,100,000 against a ¥1,000,000 target, the month pays only the
    bands (3,000 + 20,000 + 35,000 + 8,000); the year-end run pays 1.5% of the year's sales."""
    p = plan("sales_progressive")
    month = calculate(p, Facts(sales=D("1100000"), target=D("1000000")))
    assert month.total == D("66000.00")
    assert all(x.type != "target_bonus" for x in month.lines)
    year = year_end_calculate(
        p, year_facts=Facts(sales=D("2400000")), annual_target=D("2000000"), booked=D("0")
    )
    # 2,400,000 / 2,000,000 = 120% → 2% × 2,400,000
    assert [(x.type, x.rate, x.amount) for x in year.lines] == [("target_bonus", D("0.02"), D("48000.00"))]
    below = year_end_calculate(
        p, year_facts=Facts(sales=D("1900000")), annual_target=D("2000000"), booked=D("0")
    )
    assert below.lines == ()  # 95% of the annual target: no bonus


def test_monthly_target_bonus_still_available():
    p = {
        "code": "m",
        "name": "月度目标",
        "components": [
            {
                "id": "t",
                "type": "target_bonus",
                "period": "month",
                "steps": [{"at_least": "1", "rate": "0.01"}],
            }
        ],
    }
    assert calculate(p, Facts(sales=D("50000"), target=D("50000"))).total == D("500.00")


# K9 below floor (000 §4.2.9, 001 第10条) and 外包 (001 l.287) ------------------------------------------


def test_approved_below_floor_rate_replaces_the_band_rate():
    """¥200,000 regular + ¥100,000 sold below the floor at an approved 2%: the bands see ¥200,000
    (3,000 + 5,000) and the below-floor line earns 2,000 — ¥10,000, not 13,000 + 2,000 paid twice."""
    r = calculate(
        plan("sales_progressive"),
        Facts(
            lines=(
                line("regular", "200000"),
                line("regular", "100000", below_floor=True, below_floor_rate=D("0.02")),
            )
        ),
    )
    assert r.total == D("10000.00")
    assert [(x.type, x.amount) for x in r.lines] == [
        ("progressive", D("3000.00")),
        ("progressive", D("5000.00")),
        ("below_floor", D("2000.00")),
    ]


def test_below_floor_without_rate_finance_computes_on_margin():
    """No rate from the approver: 10% of (100,000 − 70,000 cost − 5,000 tax − 1,000 logistics) = 2,400."""
    r = calculate(
        plan("sales_bracket"),
        Facts(
            lines=(
                line("regular", "40000"),
                line(
                    "regular", "100000", below_floor=True, cost=D("70000"), tax=D("5000"), logistics=D("1000")
                ),
            )
        ),
    )
    # bracket on 40,000 alone: 5%
    assert [(x.type, x.amount) for x in r.lines] == [("bracket", D("2000.00")), ("below_floor", D("2400.00"))]


@pytest.mark.parametrize("name", ["sales_progressive", "sales_bracket", "category_rates", "key_account"])
def test_outsourced_sales_earn_frontline_reps_nothing(name):
    p = plan(name)
    base = calculate(p, Facts(lines=(line("regular", "200000", key_account_class="core"),)))
    with_outsourced = calculate(
        p,
        Facts(
            lines=(
                line("regular", "200000", key_account_class="core"),
                line("outsourced", "50000", key_account_class="core"),
            )
        ),
    )
    assert with_outsourced.total == base.total
    assert with_outsourced.sales == D("200000")
    assert with_outsourced.notes == ("外包业务 ¥50,000.00 不计提一线销售人员提成",)


def test_outsourced_weight_is_zero_for_its_order():
    comp = plan("sales_progressive")["components"][0]
    lines = [line("outsourced", "50000")]
    assert earned_weight(comp, lines, has_below_floor=True, excluded=["outsourced"]) == 0


# K11 target gate and leavers (001 l.120, l.31, l.268) ----------------------------------------------


def test_target_gate_no_commission_when_the_month_target_is_missed():
    p = plan("sales_bracket")
    missed = calculate(p, Facts(sales=D("40000"), target=D("50000")))
    assert missed.total == 0 and missed.lines == ()
    assert missed.notes == ("未完成本月销售任务（完成率 80%），按方案不计算提成（原应得 ¥2,000.00）",)
    met = calculate(p, Facts(sales=D("60000"), target=D("50000")))
    assert met.total == D("4200.00")  # 60,000 × 7%


def test_leaver_deduction_for_the_unfinished_target():
    """Leaves at 75% of a ¥200,000 target on ¥150,000: 3,000 + 2,500 = 5,500 less the unfinished 25%."""
    p = plan("sales_progressive")
    stays = calculate(p, Facts(sales=D("150000"), target=D("200000")))
    assert stays.total == D("5500.00")
    leaves = calculate(p, Facts(sales=D("150000"), target=D("200000"), left_in_period=True))
    assert [x.amount for x in leaves.lines] == [D("2250.00"), D("1875.00")]
    assert leaves.total == D("4125.00")
    assert leaves.notes == ("离职前未完成销售任务：完成率 75%，扣除未完成部分 25% 的提成 ¥1,375.00",)
    done = calculate(p, Facts(sales=D("250000"), target=D("200000"), left_in_period=True))
    assert done.total == D("10500.00")  # target reached: nothing deducted (3,000 + 7,500)


def test_marketing_leaver_no_commission_for_the_month_of_leaving():
    p = plan("marketing")
    assert calculate(p, Facts(sales=D("20000"))).total == D("2500.00")  # 1,000 + 1,500
    leaves = calculate(p, Facts(sales=D("20000"), left_in_period=True))
    assert leaves.total == 0
    assert leaves.notes == ("离职当月不享受销售提成（原应得 ¥2,500.00）",)


# Annual true-up (001 第五条 2) ---------------------------------------------------------------------


def test_annual_true_up_year_sales_times_rate_minus_booked():
    """The year: ¥300,000 regular (5%) + ¥100,000 high-end (8%) = 23,000; 21,500 booked → +1,500;
    23,500 booked → −500."""
    p = plan("category_rates")
    year = Facts(lines=(line("regular", "300000"), line("high_end", "100000")))
    up = year_end_calculate(p, year_facts=year, annual_target=None, booked=D("21500"))
    assert [(x.type, x.amount) for x in up.lines] == [("annual_true_up", D("1500.00"))]
    assert up.notes == ("年度提成 ¥23,000.00 − 本年已计提 ¥21,500.00 = ¥1,500.00",)
    down = year_end_calculate(p, year_facts=year, annual_target=None, booked=D("23500"))
    assert down.total == D("-500.00")
    # a plan that does not say so has no true-up
    none = year_end_calculate(plan("sales_bracket"), year_facts=year, annual_target=None, booked=D("1"))
    assert none.lines == ()


# Every seed scheme as a plan file (001) ------------------------------------------------------------


def test_marketing_scheme_with_target_commission_share():
    """001 市场部: 10% up to ¥10,000, 15% above; target met → +20% of that: 1,000 + 3,000 + 800."""
    data = preview("--plan", str(PLANS / "marketing.json"), "--sales", "30000", "--target", "25000")
    assert [(x["type"], x["amount"]) for x in data["lines"]] == [
        ("progressive", "1000.00"),
        ("progressive", "3000.00"),
        ("target_share", "800.00"),
    ]
    assert data["total"] == "4800.00"
    missed = preview("--plan", str(PLANS / "marketing.json"), "--sales", "30000", "--target", "40000")
    assert missed["total"] == "4000.00"


def test_profit_adjusted_base_scheme():
    """001 2.2: base = ¥200,000 × 30% profit ratio = 60,000; B grade 8% → 4,800 (25% → 4,000)."""
    data = preview("--plan", str(PLANS / "profit_adjusted.json"), "--sales", "200000", "--grade", "B")
    assert data["total"] == "4800.00" and data["lines"][0]["base"] == "60000.00"
    other = preview(
        "--plan",
        str(PLANS / "profit_adjusted.json"),
        "--sales",
        "200000",
        "--grade",
        "B",
        "--profit-ratio",
        "0.25",
    )
    assert other["total"] == "4000.00"


def test_grade_fixed_plus_floating_scheme():
    """001 第三章: A grade 5% fixed + floating 0–3%; at 110% of target the floating half: 1.5%.
    ¥110,000 → 5,500 + 1,650."""
    data = preview(
        "--plan",
        str(PLANS / "grade_fixed_floating.json"),
        "--sales",
        "110000",
        "--target",
        "100000",
        "--grade",
        "A",
    )
    assert [x["amount"] for x in data["lines"]] == ["5500.00", "1650.00"]
    assert data["total"] == "7150.00"


def test_every_shipped_plan_names_its_seed_section_and_previews(tmp_path):
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps(
            {
                "lines": [
                    {"category": "regular", "amount": "100000", "key_account_class": "core"},
                    {"category": "books", "amount": "1000"},
                ]
            }
        ),
        encoding="utf-8",
    )
    totals = {}
    for path in sorted(PLANS.glob("*.json")):
        p = json.loads(path.read_text(encoding="utf-8"))
        assert p["source"].startswith("[00"), path.name
        data = preview(
            "--plan",
            str(path),
            "--sales",
            "100000",
            "--target",
            "100000",
            "--grade",
            "A",
            "--facts",
            str(facts),
        )
        totals[p["code"]] = data["total"]
    assert totals == {
        "category_rates": "5000.00",  # 5% regular
        "grade_fixed_floating": "5000.00",  # A 5% fixed, floating 0 at 100%
        "key_account": "1500.00",  # core 1.5%
        "marketing": "17400.00",  # 1,000 + 90,000 × 15% = 14,500, target met: + 20% of it = 2,900
        "partner_rebate": "150.00",  # books 1,000 × 15% (regular is no partner category)
        "profit_adjusted": "3000.00",  # 100,000 × 30% × 10%
        "sales_bracket": "7000.00",  # (50,000, 100,000] 7%
        "sales_progressive": "3000.00",  # 100,000 × 3%
    }


def test_preview_refuses_a_bad_profit_ratio():
    with pytest.raises(CommandError, match="--profit-ratio 必须是 0 到 1 之间的数字"):
        preview("--plan", str(PLANS / "profit_adjusted.json"), "--sales", "1", "--profit-ratio", "1.5")


def test_plan_settings_are_validated():
    bad = {
        "code": "x",
        "name": "x",
        "leaver": "sometimes",
        "target_gate": "yes",
        "excluded_categories": "outsourced",
        "components": [{"id": "t", "type": "target_share", "rate": "0.2", "of": ["nope"]}],
    }
    errors = validate_plan(bad)
    assert any(e.startswith("leaver：") for e in errors)
    assert "target_gate：只能是 true 或 false" in errors
    assert "excluded_categories：必须是类别代码的列表" in errors
    assert any("of：必须列出本方案中作为基数的组成 id" in e for e in errors)
