"""One function per component type: the explained lines it pays for a period's sales or lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from commissions.calculator.facts import ONE, Facts, LineFact
from commissions.calculator.result import ResultLine, fmt_exact, yuan
from commissions.calculator.validation import PlanError
from common.deferred_text import words, words_json
from common.fen import ZERO, pct, round_fen


def said(msgid: str, /, **args: Any) -> dict[str, Any]:
    """A band the calculator words itself: its text in the active language, and the words stored beside it
    (`band_words`, issue 15) so each reader reads it in their own language."""
    w = words(msgid, **args)
    return {"band": str(w), "band_words": words_json(w)}


def rate_line(comp: dict[str, Any], kind: str, *, base: Decimal, rate: Decimal, **shown: Any) -> ResultLine:
    """One explained line of a component: base × rate, kept exact and paid rounded half-up to the fen;
    `shown` is what the statement says about it (band, category, detail)."""
    exact = base * rate
    return ResultLine(
        component=comp["id"],
        type=kind,
        label=comp.get("label", comp["id"]),
        base=base,
        rate=rate,
        exact=exact,
        amount=round_fen(exact),
        **shown,
    )


def progressive_lines(comp: dict[str, Any], sales: Decimal) -> list[ResultLine]:
    """K1: each band's rate applies to the part of the sales inside that band."""
    out = []
    for band in comp["bands"]:
        lo = Decimal(band["from"])
        hi = None if band.get("to") is None else Decimal(band["to"])
        if sales <= lo:
            break
        part = (min(sales, hi) if hi is not None else sales) - lo
        rate = Decimal(band["rate"])
        label = band.get("label") or (f"{yuan(lo)}–{yuan(hi)}" if hi is not None else f"> {yuan(lo)}")
        out.append(
            rate_line(
                comp,
                "progressive",
                base=part,
                rate=rate,
                band=label,
                detail={"from": str(lo), "to": "" if hi is None else str(hi)},
            )
        )
    return out


def bracket_band(comp: dict[str, Any], amount: Decimal) -> dict[str, Any]:
    """K2: the one band `amount` falls in, honouring each edge's explicit inclusive/exclusive flag."""
    for band in comp["bands"]:
        lo = Decimal(band["min"])
        above_lo = amount >= lo if band["min_inclusive"] else amount > lo
        if band.get("max") is None:
            below_hi = True
        else:
            hi = Decimal(band["max"])
            below_hi = amount <= hi if band["max_inclusive"] else amount < hi
        if above_lo and below_hi:
            return band  # type: ignore[no-any-return]
    raise PlanError([_("金额 %(amount)s 不在任何分段内") % {"amount": amount}])


def edge_text(band: dict[str, Any]) -> str:
    lo = f"{'≥' if band['min_inclusive'] else '>'} {yuan(Decimal(band['min']))}"
    if band.get("max") is None:
        return lo
    return f"{lo}, {'≤' if band['max_inclusive'] else '<'} {yuan(Decimal(band['max']))}"


def bracket_lines(comp: dict[str, Any], sales: Decimal) -> list[ResultLine]:
    if sales <= 0:
        return []
    band = bracket_band(comp, sales)
    rate = Decimal(band["rate"])
    return [
        rate_line(
            comp,
            "bracket",
            base=sales,
            rate=rate,
            band=band.get("label") or edge_text(band),
            detail={"edges": edge_text(band)},
        )
    ]


def reached_step(comp: dict[str, Any], attainment: Decimal | None) -> dict[str, Any] | None:
    """K3: the highest step reached (steps are not summed)."""
    if attainment is None:
        return None
    best = None
    for step in comp["steps"]:
        if attainment >= Decimal(step["at_least"]):
            best = step
    return best


def target_bonus_lines(comp: dict[str, Any], sales: Decimal, attainment: Decimal | None) -> list[ResultLine]:
    step = reached_step(comp, attainment)
    if step is None or sales <= 0:
        return []
    rate = Decimal(step["rate"])
    assert attainment is not None
    return [
        rate_line(
            comp,
            "target_bonus",
            base=sales,
            rate=rate,
            **(
                {"band": step["label"]}
                if step.get("label")
                else said(gettext_noop("完成率 ≥ %(pct)s"), pct=pct(Decimal(step["at_least"])))
            ),
            detail={"attainment": fmt_exact(attainment)},
        )
    ]


def grade_lines(
    comp: dict[str, Any], facts: Facts, sales: Decimal, attainment: Decimal | None
) -> list[ResultLine]:
    """K6: fixed rate by grade, plus a floating rate rising linearly with attainment from
    `floating_from` (0) to `floating_full` (the grade's maximum)."""
    spec = comp["grades"].get(facts.grade)
    if spec is None or sales <= 0:
        return []
    fixed = Decimal(spec["fixed"])
    out = [
        rate_line(
            comp,
            "grade",
            base=sales,
            rate=fixed,
            **said(gettext_noop("%(grade)s级 固定提成"), grade=facts.grade),
        )
    ]
    zero_at = Decimal(comp.get("floating_from", "1"))
    full_at = Decimal(comp.get("floating_full", "1.2"))
    ratio = ZERO if attainment is None else min(ONE, max(ZERO, (attainment - zero_at) / (full_at - zero_at)))
    floating = Decimal(spec["floating_max"]) * ratio
    if floating > 0:
        out.append(
            rate_line(
                comp,
                "grade",
                base=sales,
                rate=floating,
                **said(gettext_noop("%(grade)s级 浮动提成"), grade=facts.grade),
                detail={"attainment": fmt_exact(attainment or ZERO), "floating_max": spec["floating_max"]},
            )
        )
    return out


def rate_for(rates: Mapping[str, Any], key: str, default: Any) -> tuple[Decimal | None, str]:
    spec = rates.get(key)
    if spec is None:
        return (None if default is None else Decimal(default)), key
    if isinstance(spec, dict):
        return Decimal(spec["rate"]), spec.get("label", key)
    return Decimal(spec), key


def group_by(lines: Iterable[LineFact], key: Any) -> dict[Any, list[LineFact]]:
    out: dict[Any, list[LineFact]] = defaultdict(list)
    for line in lines:
        out[key(line)].append(line)
    return dict(out)


def per_category_lines(comp: dict[str, Any], lines: list[LineFact], kind: str) -> list[ResultLine]:
    """K4 category rates and K13 partner rebates: base per category × the category's rate."""
    out = []
    for category, group in sorted(group_by(lines, lambda x: x.category).items()):
        rate, label = rate_for(comp["rates"], category, comp.get("default_rate"))
        if rate is None:
            continue
        base = sum((x.amount for x in group), ZERO)
        detail = {}
        if kind == "rebate":
            qty = sum((x.quantity for x in group), ZERO)
            detail = {"quantity": fmt_exact(qty), "amount": f"{base:.2f}"}
        out.append(
            rate_line(
                comp,
                kind,
                base=base,
                rate=rate,
                band=label,
                category=category,
                detail=detail,
            )
        )
    return out


def margin_lines(comp: dict[str, Any], lines: list[LineFact]) -> list[ResultLine]:
    """K7: rate × (revenue − cost − tax − logistics) for the listed categories, never negative."""
    rate = Decimal(comp["rate"])
    out = []
    for category, group in sorted(group_by(lines, lambda x: x.category).items()):
        if category not in comp["categories"]:
            continue
        revenue = sum((x.amount for x in group), ZERO)
        cost = sum((x.cost for x in group), ZERO)
        tax = sum((x.tax for x in group), ZERO)
        logistics = sum((x.logistics for x in group), ZERO)
        margin = max(ZERO, revenue - cost - tax - logistics)
        out.append(
            rate_line(
                comp,
                "margin",
                base=margin,
                rate=rate,
                **said(gettext_noop("毛利 = 收入 − 采购成本 − 税费 − 物流费")),
                category=category,
                detail={
                    "revenue": f"{revenue:.2f}",
                    "cost": f"{cost:.2f}",
                    "tax": f"{tax:.2f}",
                    "logistics": f"{logistics:.2f}",
                },
            )
        )
    return out


def below_floor_lines(comp: dict[str, Any], lines: list[LineFact]) -> list[ResultLine]:
    """K9: a below-floor sale earns the rate its approver set; without one, finance's margin rate."""
    out = []
    margin_rate = comp.get("margin_rate")
    for line in lines:
        if line.below_floor_rate is not None:
            rate = Decimal(line.below_floor_rate)
            base = line.amount
            band = said(gettext_noop("低于底价，审批人核定比例"))
        elif margin_rate is not None:
            rate = Decimal(margin_rate)
            base = max(ZERO, line.amount - line.cost - line.tax - line.logistics)
            band = said(gettext_noop("低于底价，按毛利核算"))
        else:
            continue
        out.append(
            rate_line(
                comp,
                "below_floor",
                base=base,
                rate=rate,
                **band,
                category=line.category,
                detail={"ref": line.ref} if line.ref else {},
            )
        )
    return out


def key_account_lines(comp: dict[str, Any], facts: Facts, lines: list[LineFact]) -> list[ResultLine]:
    """K5: net sales × class rate (+ uplift points for a new/raised key account); at year end, when the
    annual target is met, + year_end_bonus × the key-account commission."""
    uplift = Decimal(comp.get("uplift", "0"))
    out = []
    groups = group_by(
        (x for x in lines if x.key_account_class), lambda x: (x.key_account_class, x.key_account_uplift)
    )
    for (klass, raised), group in sorted(groups.items()):
        rate, label = rate_for(comp["rates"], klass, None)
        if rate is None:
            continue
        if raised:
            rate += uplift
            label = _("%(label)s（新开发/升级 +%(pts)s）") % {"label": label, "pts": pct(uplift)}
        base = sum((x.amount for x in group), ZERO)
        out.append(
            rate_line(
                comp,
                "key_account",
                base=base,
                rate=rate,
                band=label,
                category=klass,
            )
        )
    bonus_rate = Decimal(comp.get("year_end_bonus", "0"))
    if facts.year_end and facts.annual_target_met and bonus_rate > 0 and out:
        base = sum((x.amount for x in out), ZERO)
        out.append(
            rate_line(
                comp,
                "key_account",
                base=base,
                rate=bonus_rate,
                **said(gettext_noop("年度目标达成，年终大客户提成奖励")),
                category="year_end_bonus",
            )
        )
    return out


def target_share_lines(
    comp: dict[str, Any], before: list[ResultLine], attainment: Decimal | None
) -> list[ResultLine]:
    """001 市场部 一.2 完成目标提成: when the target is met, `rate` × the commission of the components
    listed in `of` (比例为销售额提成的20%)."""
    at_least = Decimal(comp.get("at_least", "1"))
    if attainment is None or attainment < at_least:
        return []
    base = sum((x.amount for x in before if x.component in comp["of"]), ZERO)
    if base <= 0:
        return []
    rate = Decimal(comp["rate"])
    return [
        rate_line(
            comp,
            "target_share",
            base=base,
            rate=rate,
            **said(gettext_noop("完成目标，按销售额提成的 %(pct)s"), pct=pct(rate)),
            detail={"attainment": fmt_exact(attainment)},
        )
    ]


def profit_adjusted_lines(comp: dict[str, Any], facts: Facts, sales: Decimal) -> list[ResultLine]:
    """001 销售部提成管理制度 2.2–2.3: 提成基数 = 实际销售额 × 销售部门利润比例; 提成 = 基数 × the
    performance grade's rate (A/B/C)."""
    spec = comp["grades"].get(facts.grade)
    if spec is None or sales <= 0:
        return []
    rate = Decimal(spec["rate"] if isinstance(spec, dict) else spec)
    ratio = facts.profit_ratio if facts.profit_ratio is not None else Decimal(comp["profit_ratio"])
    base = sales * ratio
    return [
        rate_line(
            comp,
            "profit_adjusted",
            base=base,
            rate=rate,
            **said(
                gettext_noop("%(grade)s级绩效；提成基数 = 销售额 %(sales)s × 部门利润比例 %(ratio)s"),
                grade=facts.grade,
                sales=yuan(sales),
                ratio=pct(ratio),
            ),
            detail={"sales": f"{sales:.2f}", "profit_ratio": fmt_exact(ratio)},
        )
    ]
