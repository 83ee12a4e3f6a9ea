"""A plan applied to facts: the month, the year-end run, the what-if and the per-order weights."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.calculator.components import (
    below_floor_lines,
    bracket_lines,
    grade_lines,
    key_account_lines,
    margin_lines,
    per_category_lines,
    profit_adjusted_lines,
    progressive_lines,
    rate_for,
    target_bonus_lines,
    target_share_lines,
)
from commissions.calculator.facts import ONE, Facts, LineFact
from commissions.calculator.result import Result, ResultLine, fmt_exact, yuan
from commissions.calculator.validation import PERIOD_COMPONENTS, check_plan
from common.deferred_text import Words, words, words_json
from common.fen import ZERO, pct, round_fen


def leaves_bands(plan: dict[str, Any], line: LineFact) -> bool:
    """K9 (000 §4.2.9, 001 第10条): with a below-floor component, an approved below-floor line earns
    only its own rate — it leaves the bands and every other component (the rate replaces the band rate)."""
    return line.below_floor and any(c["type"] == "below_floor" for c in plan["components"])


def plan_lines(plan: dict[str, Any], lines: Iterable[LineFact]) -> list[LineFact]:
    """001 l.287 (销售业务外包时，不计提一线销售人员的提成): lines of `excluded_categories` leave the
    plan entirely — no component and no band sees them."""
    excluded = set(plan.get("excluded_categories", ()))
    return [x for x in lines if x.category not in excluded]


def calculate(plan: dict[str, Any], facts: Facts) -> Result:
    """Apply every component of `plan` to `facts`. Raises PlanError for an invalid plan."""
    check_plan(plan)
    components = plan["components"]
    kept = plan_lines(plan, facts.lines)
    left_out = sum((x.amount for x in facts.lines), ZERO) - sum((x.amount for x in kept), ZERO)
    # Attainment counts every sale the plan pays for (below-floor ones too); the bands see the rest.
    sales = facts.period_sales() - left_out
    attainment = _attainment(facts, sales)
    has_below_floor = any(c["type"] == "below_floor" for c in components)
    regular = [x for x in kept if not (has_below_floor and x.below_floor)]
    below = [x for x in kept if has_below_floor and x.below_floor]
    band_sales = sales - sum((x.amount for x in below), ZERO)
    lines: list[ResultLine] = []
    for comp in components:
        ctype = comp["type"]
        if ctype == "progressive":
            lines += progressive_lines(comp, band_sales)
        elif ctype == "bracket":
            lines += bracket_lines(comp, band_sales)
        elif ctype == "target_bonus":
            if (comp.get("period", "month") == "year") == facts.year_end:
                lines += target_bonus_lines(comp, band_sales, attainment)
        elif ctype == "grade":
            lines += grade_lines(comp, facts, band_sales, attainment)
        elif ctype == "profit_adjusted":
            lines += profit_adjusted_lines(comp, facts, band_sales)
        elif ctype in ("category_rates", "rebate"):
            lines += per_category_lines(comp, regular, ctype)
        elif ctype == "margin":
            lines += margin_lines(comp, regular)
        elif ctype == "key_account":
            lines += key_account_lines(comp, facts, regular)
        elif ctype == "below_floor":
            lines += below_floor_lines(comp, below)
    for comp in components:  # computed on the other components' results
        if comp["type"] == "target_share":
            lines += target_share_lines(comp, lines, attainment)
    lines, said = _plan_rules(plan, facts, lines, attainment, left_out)
    return Result(
        plan_code=plan["code"], lines=tuple(lines), sales=sales, attainment=attainment, **notes_of(said)
    )


def notes_of(said: Iterable[Words]) -> dict[str, tuple[Any, ...]]:
    """A result's notes in the active language (`notes`) and as words (`notes_words`, issue 15: stored with
    the month's calculation and read in each reader's language)."""
    said = tuple(said)
    return {"notes": tuple(str(w) for w in said), "notes_words": tuple(words_json(w) for w in said)}


def _attainment(facts: Facts, sales: Decimal) -> Decimal | None:
    if facts.attainment is not None:
        return Decimal(facts.attainment)
    if facts.target is None or Decimal(facts.target) <= 0:
        return None
    return sales / Decimal(facts.target)


def _plan_rules(
    plan: dict[str, Any], facts: Facts, lines: list[ResultLine], attainment: Decimal | None, left_out: Decimal
) -> tuple[list[ResultLine], tuple[Words, ...]]:
    """Plan-wide rules on the month's result: the target gate (001 l.120) and the month of leaving
    (K11: 001 l.31 deducts the unfinished part of the target, l.268 pays nothing), in words."""
    notes: list[Words] = []
    if left_out:
        notes.append(words(gettext_noop("外包业务 %(amount)s 不计提一线销售人员提成"), amount=yuan(left_out)))
    if not lines:
        return lines, tuple(notes)
    total = sum((x.amount for x in lines), ZERO)
    if plan.get("target_gate") and attainment is not None and attainment < ONE and not facts.year_end:
        notes.append(
            words(
                gettext_noop("未完成本月销售任务（完成率 %(pct)s），按方案不计算提成（原应得 %(total)s）"),
                pct=pct(attainment.quantize(Decimal("0.0001"))),
                total=yuan(total),
            )
        )
        return [], tuple(notes)
    mode = plan.get("leaver", "pay")
    if not facts.left_in_period or mode == "pay":
        return lines, tuple(notes)
    if mode == "no_commission":
        notes.append(words(gettext_noop("离职当月不享受销售提成（原应得 %(total)s）"), total=yuan(total)))
        return [], tuple(notes)
    if attainment is None or attainment >= ONE:
        return lines, tuple(notes)
    factor = max(ZERO, attainment)
    scaled = [
        ResultLine(
            component=x.component,
            type=x.type,
            label=x.label,
            base=x.base,
            rate=x.rate,
            exact=x.exact * factor,
            amount=round_fen(x.exact * factor),
            band=x.band,
            band_words=x.band_words,
            category=x.category,
            detail={**x.detail, "leaver_factor": fmt_exact(factor)},
        )
        for x in lines
    ]
    kept = sum((x.amount for x in scaled), ZERO)
    notes.append(
        words(
            gettext_noop(
                "离职前未完成销售任务：完成率 %(pct)s，扣除未完成部分 %(unfinished)s 的提成 %(deducted)s"
            ),
            pct=pct(factor.quantize(Decimal("0.0001"))),
            unfinished=pct((ONE - factor).quantize(Decimal("0.0001"))),
            deducted=yuan(total - kept),
        )
    )
    return scaled, tuple(notes)


def year_end_calculate(
    plan: dict[str, Any], *, year_facts: Facts, annual_target: Decimal | None, booked: Decimal
) -> Result:
    """The year-end run (pure): the annual target bonus (K3, 001 三.3 完成年度销售目标 100%/110%/120% →
    1%/1.5%/2% of the year's sales) and, for a plan with `annual_true_up` (001 第五条 2: 年度销售提成 =
    年度销售额 × 提成比例 − 已发放提成), the year's commission computed on the year's facts minus what the
    plan already booked this year (`booked`), as one line that may be negative."""
    check_plan(plan)
    facts = Facts(
        lines=year_facts.lines,
        sales=year_facts.sales,
        target=annual_target,
        grade=year_facts.grade,
        year_end=True,
        profit_ratio=year_facts.profit_ratio,
    )
    annual = calculate(plan, facts)
    lines = [x for x in annual.lines if x.type == "target_bonus"]
    notes: list[Words] = []
    if plan.get("annual_true_up"):
        monthly = {**plan, "components": [c for c in plan["components"] if c.get("period") != "year"]}
        year = calculate(
            monthly, Facts(lines=year_facts.lines, sales=year_facts.sales, grade=year_facts.grade)
        )
        diff = year.total - booked
        notes.append(
            words(
                gettext_noop("年度提成 %(year)s − 本年已计提 %(booked)s = %(diff)s"),
                year=yuan(year.total),
                booked=yuan(booked),
                diff=yuan(diff),
            )
        )
        if diff:
            true_up_band = words(gettext_noop("年度销售额 × 提成比例 − 已发放提成"))  # 001 第五条 2
            lines.append(
                ResultLine(
                    component="annual_true_up",
                    type="annual_true_up",
                    label=_("年度提成清算"),
                    base=year.sales,
                    rate=None,
                    exact=diff,
                    amount=diff,
                    band=str(true_up_band),
                    band_words=words_json(true_up_band),
                    detail={"year_commission": f"{year.total:.2f}", "booked": f"{booked:.2f}"},
                )
            )
    return Result(
        plan_code=plan["code"],
        lines=tuple(lines),
        sales=annual.sales,
        attainment=annual.attainment,
        **notes_of(notes),
    )


def key_account_advance(comp: dict[str, Any], exact_total: Decimal) -> Decimal | None:
    """K5: the monthly advance of a key-account component — `advance_ratio` (80%) of the month's
    key-account commission at full precision, rounded to the fen once (so the advances and the year-end
    balance add up to the year's commission). None when the plan pays everything monthly."""
    ratio = Decimal(comp.get("advance_ratio", "1"))
    if comp["type"] != "key_account" or ratio >= 1:
        return None
    return round_fen(exact_total * ratio)


def earned_weight(
    comp: dict[str, Any], lines: Iterable[LineFact], *, has_below_floor: bool, excluded: Iterable[str] = ()
) -> Decimal:
    """What `lines` (one order's slice) earned under one component, at full precision: the weight by
    which the payee's rounded component total is allocated to the payee's orders (issue 12: each
    order's line carries what that order generated, not the month's total weighted by sales).

    Per-line components apply each line's own rate (its category's, its key-account class's with the
    uplift, the approver's below-floor rate) or its margin (never below 0); a period component (K1, K2,
    K3, K6) works on the month's total, whose rate no single order owns, so the order's sales weigh."""
    return order_weigher(comp, has_below_floor=has_below_floor, excluded=excluded)(lines)


def order_weigher(
    comp: dict[str, Any], *, has_below_floor: bool, excluded: Iterable[str] = ()
) -> Callable[[Iterable[LineFact]], Decimal]:
    """`earned_weight` for one component, its rates read once: the month run weighs every order slice
    of a payee with it (hundreds of thousands of slices a month), so the plan is not re-read per slice.
    Same sums in the same order as `earned_weight` describes, so the same Decimal to the last digit."""
    ctype = comp["type"]
    skip = frozenset(excluded)
    if ctype in PERIOD_COMPONENTS:  # below-floor lines left the bands (K9)

        def period_weight(lines: Iterable[LineFact]) -> Decimal:
            total = ZERO
            for x in lines:
                if x.category not in skip and not (has_below_floor and x.below_floor):
                    total += x.amount
            return total

        return period_weight
    if ctype == "below_floor":

        def below_weight(lines: Iterable[LineFact]) -> Decimal:
            below = [x for x in lines if x.below_floor and x.category not in skip]
            if not below:
                return ZERO
            return sum((x.exact for x in below_floor_lines(comp, below)), ZERO)

        return below_weight
    if ctype in ("category_rates", "rebate"):
        rates, default = comp["rates"], comp.get("default_rate")
        by_category: dict[str, Decimal | None] = {}

        def category_weight(lines: Iterable[LineFact]) -> Decimal:
            total = ZERO
            for x in lines:
                if x.category in skip or (has_below_floor and x.below_floor):
                    continue
                category = x.category
                if category in by_category:
                    rate = by_category[category]
                else:
                    rate = by_category[category] = rate_for(rates, category, default)[0]
                if rate is not None:
                    total += x.amount * rate
            return total

        return category_weight
    if ctype == "margin":
        rate = Decimal(comp["rate"])
        categories = frozenset(comp["categories"]) - skip

        def margin_weight(lines: Iterable[LineFact]) -> Decimal:
            margin = ZERO
            for x in lines:
                if x.category in categories and not (has_below_floor and x.below_floor):
                    margin += x.amount - x.cost - x.tax - x.logistics
            return max(ZERO, margin) * rate

        return margin_weight
    if ctype == "key_account":
        uplift = Decimal(comp.get("uplift", "0"))

        def key_account_weight(lines: Iterable[LineFact]) -> Decimal:
            total = ZERO
            for x in lines:
                if not x.key_account_class or x.category in skip or (has_below_floor and x.below_floor):
                    continue
                rate, _label = rate_for(comp["rates"], x.key_account_class, None)
                if rate is not None:
                    total += x.amount * (rate + uplift if x.key_account_uplift else rate)
            return total

        return key_account_weight

    def sales_weight(lines: Iterable[LineFact]) -> Decimal:  # pragma: no cover - every type is handled
        return sum((x.amount for x in lines if x.category not in skip), ZERO)

    return sales_weight


def what_if(plan: dict[str, Any], facts: Facts, extra: Iterable[LineFact]) -> tuple[Result, Result, Decimal]:
    """The marginal commission of hypothetical extra sales: (before, after, after.total − before.total)."""
    extra = tuple(extra)
    before = calculate(plan, facts)
    added = sum((x.amount for x in extra), ZERO)
    after_facts = Facts(
        sales=None if facts.sales is None else Decimal(facts.sales) + added,
        target=facts.target,
        attainment=None,
        lines=facts.lines + extra,
        grade=facts.grade,
        annual_target_met=facts.annual_target_met,
        year_end=facts.year_end,
        left_in_period=facts.left_in_period,
        profit_ratio=facts.profit_ratio,
    )
    if facts.attainment is not None and facts.target is None:
        after_facts = Facts(**{**after_facts.__dict__, "attainment": facts.attainment})
    after = calculate(plan, after_facts)
    return before, after, after.total - before.total
