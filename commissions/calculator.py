"""SPEC §5: the commission calculator — a pure function of (plan definition, facts) → result.

No database access and no ORM import: plain dataclasses in, plain dataclasses out, Decimal only.
Every band/step/category amount is computed at full precision and rounded half-up to the fen once, as
its own line; the total is the sum of the rounded lines (so a sheet and the system always agree).
Every line carries its explanation (component, base, band or step, rate, amount).

The plan format (the JSON in `commissions/plans/*.json`) is documented in the README, section
"Commission plans"; `validate_plan` checks it and returns every problem it finds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from common.fen import ZERO, round_fen

ONE = Decimal("1")

COMPONENT_TYPES = (
    "progressive",  # K1
    "bracket",  # K2
    "target_bonus",  # K3
    "category_rates",  # K4
    "key_account",  # K5
    "grade",  # K6
    "margin",  # K7
    "below_floor",  # K9
    "rebate",  # K13
    "target_share",  # 001 市场部: a share of another component when the target is met
    "profit_adjusted",  # 001 销售部提成管理制度 2.2: base = sales × the department's profit ratio
)
# Components that work on the period's sales total (the rest work line by line).
PERIOD_COMPONENTS = frozenset(
    {"progressive", "bracket", "target_bonus", "grade", "target_share", "profit_adjusted"}
)
# K11 (001 l.31, l.268): what the month of leaving pays, a plan setting (`"leaver"`).
LEAVER_MODES = ("pay", "deduct_unfinished", "no_commission")
LEAVER_WORDS = (
    "pay（照常计提）",
    "deduct_unfinished（扣除未完成部分的提成）",
    "no_commission（离职当月不计提成）",
)


class PlanError(ValueError):
    """A plan definition is invalid; `errors` lists every problem, in Chinese, with its location."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("；".join(errors))
        self.errors = errors


# --------------------------------------------------------------------------------------------------
# Facts in
# --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class LineFact:
    """One order line as the calculator sees it (already multiplied by the holder's credit share)."""

    category: str
    amount: Decimal  # revenue: quantity × unit price (net of the discount given)
    quantity: Decimal = ONE
    unit_price: Decimal | None = None
    cost: Decimal = ZERO  # K7 purchase cost (quantity × unit cost)
    tax: Decimal = ZERO
    logistics: Decimal = ZERO
    below_floor: bool = False  # K9: sold under the floor price
    below_floor_rate: Decimal | None = None  # K9: the rate the approver set (None: margin)
    key_account_class: str = ""  # K5: strategic / core / important ("" = not a key account)
    key_account_uplift: bool = False  # K5: new key account won or its class raised
    ref: str = ""  # where it came from (order number / line id), echoed in the explanation


@dataclass(frozen=True)
class Facts:
    """What the calculator needs to know about one payee for one period."""

    sales: Decimal | None = None  # period sales; default: sum of the line amounts
    target: Decimal | None = None  # the target for the same period (K3, K6 attainment)
    attainment: Decimal | None = None  # explicit attainment (1 = 100%); default: sales / target
    lines: tuple[LineFact, ...] = ()
    grade: str = ""  # K6: A / B / C
    annual_target_met: bool = False  # K5 year-end bonus
    year_end: bool = False  # K5/K3: the year-end run (annual components apply only then)
    left_in_period: bool = False  # K11: the payee left the company in this period
    profit_ratio: Decimal | None = None  # 001 2.2: the department's profit ratio (default: the plan's)

    def period_sales(self) -> Decimal:
        if self.sales is not None:
            return Decimal(self.sales)
        return sum((line.amount for line in self.lines), ZERO)

    def period_attainment(self) -> Decimal | None:
        if self.attainment is not None:
            return Decimal(self.attainment)
        if self.target is None or Decimal(self.target) <= 0:
            return None
        return self.period_sales() / Decimal(self.target)


# --------------------------------------------------------------------------------------------------
# Result out
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultLine:
    component: str  # the component's id in the plan
    type: str  # its type (progressive, bracket, …)
    label: str
    base: Decimal
    rate: Decimal | None
    exact: Decimal  # base × rate at full precision
    amount: Decimal  # rounded half-up to the fen: what is paid
    band: str = ""  # which band / step / category / class, in words
    category: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)

    def explanation(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "component": self.component,
            "type": self.type,
            "label": self.label,
            "base": f"{self.base:.2f}",
            "rate": None if self.rate is None else _fmt_rate(self.rate),
            "band": self.band,
            "exact": _fmt_exact(self.exact),
            "amount": f"{self.amount:.2f}",
        }
        if self.category:
            out["category"] = self.category
        if self.detail:
            out["detail"] = dict(self.detail)
        return out


@dataclass(frozen=True)
class Result:
    plan_code: str
    lines: tuple[ResultLine, ...]
    sales: Decimal
    attainment: Decimal | None
    notes: tuple[str, ...] = ()  # plan rules applied to the whole result (gate, leaver), in words

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    def by_component(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            out[line.component] += line.amount
        return dict(out)

    def exact_by_component(self) -> dict[str, Decimal]:
        """Each component's total at full precision (before any rounding): K5's advance is a ratio of
        it, rounded once (`key_account_advance`)."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for line in self.lines:
            out[line.component] += line.exact
        return dict(out)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan_code,
            "sales": f"{self.sales:.2f}",
            "attainment": None if self.attainment is None else _fmt_exact(self.attainment),
            "total": f"{self.total:.2f}",
            "lines": [line.explanation() for line in self.lines],
            **({"notes": list(self.notes)} if self.notes else {}),
        }


def _fmt_rate(rate: Decimal) -> str:
    return format(rate.normalize(), "f") if rate else "0"


def _fmt_exact(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.00" if text != "0" else "0.00"


def _pct(rate: Decimal) -> str:
    return f"{format((rate * 100).normalize(), 'f')}%"


def _yuan(value: Decimal) -> str:
    return f"¥{value:,.2f}"


# --------------------------------------------------------------------------------------------------
# Plan validation
# --------------------------------------------------------------------------------------------------


def _dec(value: Any, where: str, errors: list[str], *, allow_none: bool = False) -> Decimal | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool | float) or not isinstance(value, str | int):
        errors.append(
            _('%(where)s：必须是字符串形式的数字（如 "0.05"），不能是浮点数或空值') % {"where": where}
        )
        return None
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        errors.append(_("%(where)s：“%(value)s”不是数字") % {"where": where, "value": value})
        return None
    if not out.is_finite():
        errors.append(_("%(where)s：“%(value)s”不是数字") % {"where": where, "value": value})
        return None
    return out


def _rate(value: Any, where: str, errors: list[str]) -> Decimal | None:
    rate = _dec(value, where, errors)
    if rate is not None and not (ZERO <= rate <= ONE):
        errors.append(_("%(where)s：比例必须在 0 到 1 之间（5%% 写作 0.05）") % {"where": where})
        return None
    return rate


def _rate_map(value: Any, where: str, errors: list[str]) -> None:
    if not isinstance(value, dict) or not value:
        errors.append(_("%(where)s：必须是非空的 {类别: 比例} 对象") % {"where": where})
        return
    for key, rate in value.items():
        if isinstance(rate, dict):
            _rate(rate.get("rate"), f"{where}.{key}.rate", errors)
        else:
            _rate(rate, f"{where}.{key}", errors)


def _check_bands(comp: dict[str, Any], where: str, errors: list[str], *, edges: bool) -> None:
    """K1 (`from`/`to`) and K2 (`min`/`max`) bands: they cover [0, ∞) without gap or overlap, each upper
    bound above its lower, only the last open-ended. With `edges` (K2, whole-amount brackets) every band
    states whether it includes its min and max, and every edge value belongs to exactly one band."""
    low, high = ("min", "max") if edges else ("from", "to")
    bands = comp.get("bands")
    if not isinstance(bands, list) or not bands:
        errors.append(_("%(where)s.bands：至少需要一个分段") % {"where": where})
        return
    expected: Decimal = ZERO
    expected_inclusive = True  # K2: the first band must include 0
    for i, band in enumerate(bands):
        w = f"{where}.bands[{i}]"
        if not isinstance(band, dict):
            errors.append(_("%(where)s：分段必须是对象") % {"where": w})
            return
        if edges:
            for key in ("min_inclusive", "max_inclusive"):
                if key == "max_inclusive" and band.get("max") is None:
                    continue
                if not isinstance(band.get(key), bool):
                    errors.append(
                        _("%(where)s.%(key)s：必须明确写 true（含）或 false（不含）")
                        % {"where": w, "key": key}
                    )
        lo = _dec(band.get(low), f"{w}.{low}", errors)
        hi = _dec(band.get(high), f"{w}.{high}", errors, allow_none=True)
        _rate(band.get("rate"), f"{w}.rate", errors)
        if lo is None:
            return
        if edges and (lo != expected or band.get("min_inclusive") is not expected_inclusive):
            errors.append(
                _(
                    "%(where)s：下限必须是 %(expected)s（%(incl)s），"
                    "与上一段的上限相接，边界值只能属于一个分段"
                )
                % {"where": w, "expected": expected, "incl": _("含") if expected_inclusive else _("不含")}
            )
        elif not edges and lo != expected:
            errors.append(
                _("%(where)s：分段必须从 %(expected)s 开始，与上一段相接，不能有缺口或重叠")
                % {"where": w, "expected": expected}
            )
        if hi is None:
            if i != len(bands) - 1:
                errors.append(_("%(where)s：只有最后一段可以没有上限") % {"where": w})
            return
        if hi <= lo:
            errors.append(_("%(where)s：上限必须大于下限") % {"where": w})
        expected = hi
        expected_inclusive = not bool(band.get("max_inclusive"))
    if edges:
        errors.append(_('%(where)s.bands：最后一段必须没有上限（"max": null）') % {"where": where})
    else:
        errors.append(_('%(where)s.bands：最后一段必须没有上限（"to": null）') % {"where": where})


def _check_steps(comp: dict[str, Any], where: str, errors: list[str]) -> None:
    steps = comp.get("steps")
    if not isinstance(steps, list) or not steps:
        errors.append(_("%(where)s.steps：至少需要一个档位") % {"where": where})
        return
    last: Decimal | None = None
    for i, step in enumerate(steps):
        w = f"{where}.steps[{i}]"
        if not isinstance(step, dict):
            errors.append(_("%(where)s：档位必须是对象") % {"where": w})
            return
        at = _dec(step.get("at_least"), f"{w}.at_least", errors)
        _rate(step.get("rate"), f"{w}.rate", errors)
        if at is not None and last is not None and at <= last:
            errors.append(_("%(where)s：完成率门槛必须逐档递增") % {"where": w})
        last = at if at is not None else last


def _check_grade(comp: dict[str, Any], where: str, errors: list[str]) -> None:
    grades = comp.get("grades")
    if not isinstance(grades, dict) or not grades:
        errors.append(_("%(where)s.grades：必须列出各职级的固定与浮动比例") % {"where": where})
        return
    for grade, spec in grades.items():
        w = f"{where}.grades.{grade}"
        if not isinstance(spec, dict):
            errors.append(_('%(where)s：必须是 {"fixed", "floating_max"} 对象') % {"where": w})
            continue
        _rate(spec.get("fixed"), f"{w}.fixed", errors)
        _rate(spec.get("floating_max"), f"{w}.floating_max", errors)
    zero_at = _dec(comp.get("floating_from", "1"), f"{where}.floating_from", errors)
    full_at = _dec(comp.get("floating_full", "1.2"), f"{where}.floating_full", errors)
    if zero_at is not None and full_at is not None and full_at <= zero_at:
        errors.append(_("%(where)s：floating_full 必须大于 floating_from") % {"where": where})


def validate_plan(plan: Any) -> list[str]:
    """Every problem in a plan definition (empty list: valid)."""
    errors: list[str] = []
    if not isinstance(plan, dict):
        return [_("方案必须是 JSON 对象")]
    for key in ("code", "name"):
        if not isinstance(plan.get(key), str) or not plan.get(key, "").strip():
            errors.append(_("%(key)s：必填") % {"key": key})
    payable = plan.get("payable", "full_collection")
    if payable not in ("full_collection", "pro_rata"):
        errors.append(_("payable：只能是 full_collection（回款全部到账后发放）或 pro_rata（按回款比例发放）"))
    _check_plan_settings(plan, errors)
    components = plan.get("components")
    if not isinstance(components, list) or not components:
        errors.append(_("components：至少需要一个方案组成"))
        return errors
    seen: set[str] = set()
    for i, comp in enumerate(components):
        where = f"components[{i}]"
        if not isinstance(comp, dict):
            errors.append(_("%(where)s：必须是对象") % {"where": where})
            continue
        ctype = comp.get("type")
        cid = comp.get("id")
        if not isinstance(cid, str) or not cid:
            errors.append(_("%(where)s.id：必填") % {"where": where})
        elif cid in seen:
            errors.append(_("%(where)s.id：“%(id)s”重复") % {"where": where, "id": cid})
        else:
            seen.add(cid)
            where = f"components[{i}]({cid})"
        if ctype not in COMPONENT_TYPES:
            errors.append(
                _("%(where)s.type：未知类型“%(type)s”，可选：%(types)s")
                % {"where": where, "type": ctype, "types": ", ".join(COMPONENT_TYPES)}
            )
            continue
        if ctype == "progressive":
            _check_bands(comp, where, errors, edges=False)
        elif ctype == "bracket":
            _check_bands(comp, where, errors, edges=True)
        elif ctype == "target_bonus":
            _check_steps(comp, where, errors)
            if comp.get("period", "month") not in ("month", "year"):
                errors.append(
                    _("%(where)s.period：只能是 month（月度目标）或 year（年度目标）") % {"where": where}
                )
        elif ctype == "target_share":
            _rate(comp.get("rate"), f"{where}.rate", errors)
            _dec(comp.get("at_least", "1"), f"{where}.at_least", errors)
            of = comp.get("of")
            ids = [c.get("id") for c in components if isinstance(c, dict) and c is not comp]
            if not isinstance(of, list) or not of or any(x not in ids for x in of):
                errors.append(_("%(where)s.of：必须列出本方案中作为基数的组成 id") % {"where": where})
        elif ctype == "profit_adjusted":
            _rate_map(comp.get("grades"), f"{where}.grades", errors)
            ratio = _dec(comp.get("profit_ratio"), f"{where}.profit_ratio", errors)
            if ratio is not None and not (ZERO <= ratio <= ONE):
                errors.append(_("%(where)s.profit_ratio：利润比例必须在 0 到 1 之间") % {"where": where})
        elif ctype in ("category_rates", "rebate"):
            _rate_map(comp.get("rates"), f"{where}.rates", errors)
            if comp.get("default_rate") is not None:
                _rate(comp.get("default_rate"), f"{where}.default_rate", errors)
        elif ctype == "key_account":
            _rate_map(comp.get("rates"), f"{where}.rates", errors)
            _rate(comp.get("uplift", "0"), f"{where}.uplift", errors)
            _rate(comp.get("year_end_bonus", "0"), f"{where}.year_end_bonus", errors)
            _rate(comp.get("advance_ratio", "1"), f"{where}.advance_ratio", errors)
        elif ctype == "grade":
            _check_grade(comp, where, errors)
        elif ctype == "margin":
            _rate(comp.get("rate"), f"{where}.rate", errors)
            if not isinstance(comp.get("categories"), list) or not comp.get("categories"):
                errors.append(_("%(where)s.categories：必须列出按毛利计提的类别") % {"where": where})
        elif ctype == "below_floor" and comp.get("margin_rate") is not None:
            _rate(comp.get("margin_rate"), f"{where}.margin_rate", errors)
    return errors


def _check_plan_settings(plan: dict[str, Any], errors: list[str]) -> None:
    """Plan-wide rules: `excluded_categories` (001 l.287 外包: frontline reps earn nothing on them),
    `target_gate` (001 l.120: no commission when the month's target is missed), `leaver` (K11, 001
    l.31 / l.268: what the month of leaving pays), `annual_true_up` (001 第五条 2)."""
    excluded = plan.get("excluded_categories", [])
    if not isinstance(excluded, list) or any(not isinstance(x, str) or not x for x in excluded):
        errors.append(_("excluded_categories：必须是类别代码的列表"))
    for key in ("target_gate", "annual_true_up"):
        if not isinstance(plan.get(key, False), bool):
            errors.append(_("%(key)s：只能是 true 或 false") % {"key": key})
    if plan.get("leaver", "pay") not in LEAVER_MODES:
        errors.append(_("leaver：只能是 %(modes)s") % {"modes": "、".join(LEAVER_WORDS)})


def check_plan(plan: Any) -> dict[str, Any]:
    """Raise PlanError listing every problem, or return the plan unchanged."""
    errors = validate_plan(plan)
    if errors:
        raise PlanError(errors)
    return plan  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------
# The calculation
# --------------------------------------------------------------------------------------------------


def _progressive(comp: dict[str, Any], sales: Decimal) -> list[ResultLine]:
    """K1: each band's rate applies to the part of the sales inside that band."""
    out = []
    for band in comp["bands"]:
        lo = Decimal(band["from"])
        hi = None if band.get("to") is None else Decimal(band["to"])
        if sales <= lo:
            break
        part = (min(sales, hi) if hi is not None else sales) - lo
        rate = Decimal(band["rate"])
        exact = part * rate
        label = band.get("label") or (f"{_yuan(lo)}–{_yuan(hi)}" if hi is not None else f"> {_yuan(lo)}")
        out.append(
            ResultLine(
                component=comp["id"],
                type="progressive",
                label=comp.get("label", comp["id"]),
                base=part,
                rate=rate,
                exact=exact,
                amount=round_fen(exact),
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


def _edge_text(band: dict[str, Any]) -> str:
    lo = f"{'≥' if band['min_inclusive'] else '>'} {_yuan(Decimal(band['min']))}"
    if band.get("max") is None:
        return lo
    return f"{lo}, {'≤' if band['max_inclusive'] else '<'} {_yuan(Decimal(band['max']))}"


def _bracket(comp: dict[str, Any], sales: Decimal) -> list[ResultLine]:
    if sales <= 0:
        return []
    band = bracket_band(comp, sales)
    rate = Decimal(band["rate"])
    return [
        ResultLine(
            component=comp["id"],
            type="bracket",
            label=comp.get("label", comp["id"]),
            base=sales,
            rate=rate,
            exact=sales * rate,
            amount=round_fen(sales * rate),
            band=band.get("label") or _edge_text(band),
            detail={"edges": _edge_text(band)},
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


def _target_bonus(comp: dict[str, Any], sales: Decimal, attainment: Decimal | None) -> list[ResultLine]:
    step = reached_step(comp, attainment)
    if step is None or sales <= 0:
        return []
    rate = Decimal(step["rate"])
    assert attainment is not None
    return [
        ResultLine(
            component=comp["id"],
            type="target_bonus",
            label=comp.get("label", comp["id"]),
            base=sales,
            rate=rate,
            exact=sales * rate,
            amount=round_fen(sales * rate),
            band=step.get("label") or _("完成率 ≥ %(pct)s") % {"pct": _pct(Decimal(step["at_least"]))},
            detail={"attainment": _fmt_exact(attainment)},
        )
    ]


def _grade(
    comp: dict[str, Any], facts: Facts, sales: Decimal, attainment: Decimal | None
) -> list[ResultLine]:
    """K6: fixed rate by grade, plus a floating rate rising linearly with attainment from
    `floating_from` (0) to `floating_full` (the grade's maximum)."""
    spec = comp["grades"].get(facts.grade)
    if spec is None or sales <= 0:
        return []
    fixed = Decimal(spec["fixed"])
    out = [
        ResultLine(
            component=comp["id"],
            type="grade",
            label=comp.get("label", comp["id"]),
            base=sales,
            rate=fixed,
            exact=sales * fixed,
            amount=round_fen(sales * fixed),
            band=_("%(grade)s级 固定提成") % {"grade": facts.grade},
        )
    ]
    zero_at = Decimal(comp.get("floating_from", "1"))
    full_at = Decimal(comp.get("floating_full", "1.2"))
    ratio = ZERO if attainment is None else min(ONE, max(ZERO, (attainment - zero_at) / (full_at - zero_at)))
    floating = Decimal(spec["floating_max"]) * ratio
    if floating > 0:
        out.append(
            ResultLine(
                component=comp["id"],
                type="grade",
                label=comp.get("label", comp["id"]),
                base=sales,
                rate=floating,
                exact=sales * floating,
                amount=round_fen(sales * floating),
                band=_("%(grade)s级 浮动提成") % {"grade": facts.grade},
                detail={"attainment": _fmt_exact(attainment or ZERO), "floating_max": spec["floating_max"]},
            )
        )
    return out


def _rate_for(rates: Mapping[str, Any], key: str, default: Any) -> tuple[Decimal | None, str]:
    spec = rates.get(key)
    if spec is None:
        return (None if default is None else Decimal(default)), key
    if isinstance(spec, dict):
        return Decimal(spec["rate"]), spec.get("label", key)
    return Decimal(spec), key


def _group(lines: Iterable[LineFact], key: Any) -> dict[Any, list[LineFact]]:
    out: dict[Any, list[LineFact]] = defaultdict(list)
    for line in lines:
        out[key(line)].append(line)
    return dict(out)


def _per_category(comp: dict[str, Any], lines: list[LineFact], kind: str) -> list[ResultLine]:
    """K4 category rates and K13 partner rebates: base per category × the category's rate."""
    out = []
    for category, group in sorted(_group(lines, lambda x: x.category).items()):
        rate, label = _rate_for(comp["rates"], category, comp.get("default_rate"))
        if rate is None:
            continue
        base = sum((x.amount for x in group), ZERO)
        detail = {}
        if kind == "rebate":
            qty = sum((x.quantity for x in group), ZERO)
            detail = {"quantity": _fmt_exact(qty), "amount": f"{base:.2f}"}
        out.append(
            ResultLine(
                component=comp["id"],
                type=kind,
                label=comp.get("label", comp["id"]),
                base=base,
                rate=rate,
                exact=base * rate,
                amount=round_fen(base * rate),
                band=label,
                category=category,
                detail=detail,
            )
        )
    return out


def _margin(comp: dict[str, Any], lines: list[LineFact]) -> list[ResultLine]:
    """K7: rate × (revenue − cost − tax − logistics) for the listed categories, never negative."""
    rate = Decimal(comp["rate"])
    out = []
    for category, group in sorted(_group(lines, lambda x: x.category).items()):
        if category not in comp["categories"]:
            continue
        revenue = sum((x.amount for x in group), ZERO)
        cost = sum((x.cost for x in group), ZERO)
        tax = sum((x.tax for x in group), ZERO)
        logistics = sum((x.logistics for x in group), ZERO)
        margin = max(ZERO, revenue - cost - tax - logistics)
        out.append(
            ResultLine(
                component=comp["id"],
                type="margin",
                label=comp.get("label", comp["id"]),
                base=margin,
                rate=rate,
                exact=margin * rate,
                amount=round_fen(margin * rate),
                band=_("毛利 = 收入 − 采购成本 − 税费 − 物流费"),
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


def _below_floor(comp: dict[str, Any], lines: list[LineFact]) -> list[ResultLine]:
    """K9: a below-floor sale earns the rate its approver set; without one, finance's margin rate."""
    out = []
    margin_rate = comp.get("margin_rate")
    for line in lines:
        if line.below_floor_rate is not None:
            rate = Decimal(line.below_floor_rate)
            base = line.amount
            band = _("低于底价，审批人核定比例")
        elif margin_rate is not None:
            rate = Decimal(margin_rate)
            base = max(ZERO, line.amount - line.cost - line.tax - line.logistics)
            band = _("低于底价，按毛利核算")
        else:
            continue
        out.append(
            ResultLine(
                component=comp["id"],
                type="below_floor",
                label=comp.get("label", comp["id"]),
                base=base,
                rate=rate,
                exact=base * rate,
                amount=round_fen(base * rate),
                band=band,
                category=line.category,
                detail={"ref": line.ref} if line.ref else {},
            )
        )
    return out


def _key_account(comp: dict[str, Any], facts: Facts, lines: list[LineFact]) -> list[ResultLine]:
    """K5: net sales × class rate (+ uplift points for a new/raised key account); at year end, when the
    annual target is met, + year_end_bonus × the key-account commission."""
    uplift = Decimal(comp.get("uplift", "0"))
    out = []
    groups = _group(
        (x for x in lines if x.key_account_class), lambda x: (x.key_account_class, x.key_account_uplift)
    )
    for (klass, raised), group in sorted(groups.items()):
        rate, label = _rate_for(comp["rates"], klass, None)
        if rate is None:
            continue
        if raised:
            rate += uplift
            label = _("%(label)s（新开发/升级 +%(pts)s）") % {"label": label, "pts": _pct(uplift)}
        base = sum((x.amount for x in group), ZERO)
        out.append(
            ResultLine(
                component=comp["id"],
                type="key_account",
                label=comp.get("label", comp["id"]),
                base=base,
                rate=rate,
                exact=base * rate,
                amount=round_fen(base * rate),
                band=label,
                category=klass,
            )
        )
    bonus_rate = Decimal(comp.get("year_end_bonus", "0"))
    if facts.year_end and facts.annual_target_met and bonus_rate > 0 and out:
        base = sum((x.amount for x in out), ZERO)
        out.append(
            ResultLine(
                component=comp["id"],
                type="key_account",
                label=comp.get("label", comp["id"]),
                base=base,
                rate=bonus_rate,
                exact=base * bonus_rate,
                amount=round_fen(base * bonus_rate),
                band=_("年度目标达成，年终大客户提成奖励"),
                category="year_end_bonus",
            )
        )
    return out


def _target_share(
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
        ResultLine(
            component=comp["id"],
            type="target_share",
            label=comp.get("label", comp["id"]),
            base=base,
            rate=rate,
            exact=base * rate,
            amount=round_fen(base * rate),
            band=_("完成目标，按销售额提成的 %(pct)s") % {"pct": _pct(rate)},
            detail={"attainment": _fmt_exact(attainment)},
        )
    ]


def _profit_adjusted(comp: dict[str, Any], facts: Facts, sales: Decimal) -> list[ResultLine]:
    """001 销售部提成管理制度 2.2–2.3: 提成基数 = 实际销售额 × 销售部门利润比例; 提成 = 基数 × the
    performance grade's rate (A/B/C)."""
    spec = comp["grades"].get(facts.grade)
    if spec is None or sales <= 0:
        return []
    rate = Decimal(spec["rate"] if isinstance(spec, dict) else spec)
    ratio = facts.profit_ratio if facts.profit_ratio is not None else Decimal(comp["profit_ratio"])
    base = sales * ratio
    return [
        ResultLine(
            component=comp["id"],
            type="profit_adjusted",
            label=comp.get("label", comp["id"]),
            base=base,
            rate=rate,
            exact=base * rate,
            amount=round_fen(base * rate),
            band=_("%(grade)s级绩效；提成基数 = 销售额 %(sales)s × 部门利润比例 %(ratio)s")
            % {"grade": facts.grade, "sales": _yuan(sales), "ratio": _pct(ratio)},
            detail={"sales": f"{sales:.2f}", "profit_ratio": _fmt_exact(ratio)},
        )
    ]


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
            lines += _progressive(comp, band_sales)
        elif ctype == "bracket":
            lines += _bracket(comp, band_sales)
        elif ctype == "target_bonus":
            if (comp.get("period", "month") == "year") == facts.year_end:
                lines += _target_bonus(comp, band_sales, attainment)
        elif ctype == "grade":
            lines += _grade(comp, facts, band_sales, attainment)
        elif ctype == "profit_adjusted":
            lines += _profit_adjusted(comp, facts, band_sales)
        elif ctype in ("category_rates", "rebate"):
            lines += _per_category(comp, regular, ctype)
        elif ctype == "margin":
            lines += _margin(comp, regular)
        elif ctype == "key_account":
            lines += _key_account(comp, facts, regular)
        elif ctype == "below_floor":
            lines += _below_floor(comp, below)
    for comp in components:  # computed on the other components' results
        if comp["type"] == "target_share":
            lines += _target_share(comp, lines, attainment)
    lines, notes = _plan_rules(plan, facts, lines, attainment, left_out)
    return Result(plan_code=plan["code"], lines=tuple(lines), sales=sales, attainment=attainment, notes=notes)


def _attainment(facts: Facts, sales: Decimal) -> Decimal | None:
    if facts.attainment is not None:
        return Decimal(facts.attainment)
    if facts.target is None or Decimal(facts.target) <= 0:
        return None
    return sales / Decimal(facts.target)


def _plan_rules(
    plan: dict[str, Any], facts: Facts, lines: list[ResultLine], attainment: Decimal | None, left_out: Decimal
) -> tuple[list[ResultLine], tuple[str, ...]]:
    """Plan-wide rules on the month's result: the target gate (001 l.120) and the month of leaving
    (K11: 001 l.31 deducts the unfinished part of the target, l.268 pays nothing), in words."""
    notes: list[str] = []
    if left_out:
        notes.append(_("外包业务 %(amount)s 不计提一线销售人员提成") % {"amount": _yuan(left_out)})
    if not lines:
        return lines, tuple(notes)
    total = sum((x.amount for x in lines), ZERO)
    if plan.get("target_gate") and attainment is not None and attainment < ONE and not facts.year_end:
        notes.append(
            _("未完成本月销售任务（完成率 %(pct)s），按方案不计算提成（原应得 %(total)s）")
            % {"pct": _pct(attainment.quantize(Decimal("0.0001"))), "total": _yuan(total)}
        )
        return [], tuple(notes)
    mode = plan.get("leaver", "pay")
    if not facts.left_in_period or mode == "pay":
        return lines, tuple(notes)
    if mode == "no_commission":
        notes.append(_("离职当月不享受销售提成（原应得 %(total)s）") % {"total": _yuan(total)})
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
            category=x.category,
            detail={**x.detail, "leaver_factor": _fmt_exact(factor)},
        )
        for x in lines
    ]
    kept = sum((x.amount for x in scaled), ZERO)
    notes.append(
        _("离职前未完成销售任务：完成率 %(pct)s，扣除未完成部分 %(unfinished)s 的提成 %(deducted)s")
        % {
            "pct": _pct(factor.quantize(Decimal("0.0001"))),
            "unfinished": _pct((ONE - factor).quantize(Decimal("0.0001"))),
            "deducted": _yuan(total - kept),
        }
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
    notes: list[str] = []
    if plan.get("annual_true_up"):
        monthly = {**plan, "components": [c for c in plan["components"] if c.get("period") != "year"]}
        year = calculate(
            monthly, Facts(lines=year_facts.lines, sales=year_facts.sales, grade=year_facts.grade)
        )
        diff = year.total - booked
        notes.append(
            _("年度提成 %(year)s − 本年已计提 %(booked)s = %(diff)s")
            % {"year": _yuan(year.total), "booked": _yuan(booked), "diff": _yuan(diff)}
        )
        if diff:
            lines.append(
                ResultLine(
                    component="annual_true_up",
                    type="annual_true_up",
                    label=_("年度提成清算"),
                    base=year.sales,
                    rate=None,
                    exact=diff,
                    amount=diff,
                    band=_("年度销售额 × 提成比例 − 已发放提成"),
                    detail={"year_commission": f"{year.total:.2f}", "booked": f"{booked:.2f}"},
                )
            )
    return Result(
        plan_code=plan["code"],
        lines=tuple(lines),
        sales=annual.sales,
        attainment=annual.attainment,
        notes=tuple(notes),
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
    ctype = comp["type"]
    skip = set(excluded)
    lines = [x for x in lines if x.category not in skip]
    if ctype in PERIOD_COMPONENTS:  # below-floor lines left the bands (K9)
        return sum((x.amount for x in lines if not (has_below_floor and x.below_floor)), ZERO)
    if ctype == "below_floor":
        return sum((x.exact for x in _below_floor(comp, [x for x in lines if x.below_floor])), ZERO)
    if has_below_floor:
        lines = [x for x in lines if not x.below_floor]
    if ctype in ("category_rates", "rebate"):
        rates, default = comp["rates"], comp.get("default_rate")
        total = ZERO
        for x in lines:
            rate, _label = _rate_for(rates, x.category, default)
            if rate is not None:
                total += x.amount * rate
        return total
    if ctype == "margin":
        rate = Decimal(comp["rate"])
        margin = sum(
            (x.amount - x.cost - x.tax - x.logistics for x in lines if x.category in comp["categories"]), ZERO
        )
        return max(ZERO, margin) * rate
    if ctype == "key_account":
        uplift = Decimal(comp.get("uplift", "0"))
        total = ZERO
        for x in lines:
            if not x.key_account_class:
                continue
            rate, _label = _rate_for(comp["rates"], x.key_account_class, None)
            if rate is not None:
                total += x.amount * (rate + uplift if x.key_account_uplift else rate)
        return total
    return sum((x.amount for x in lines), ZERO)  # pragma: no cover - every type is handled above


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


def facts_from_dict(data: Mapping[str, Any]) -> Facts:
    """Facts from plain JSON-ish data (strings for numbers) — used by the preview command and API."""

    def dec(v: Any) -> Decimal | None:
        return None if v in (None, "") else Decimal(str(v))

    lines = tuple(
        LineFact(
            category=str(x["category"]),
            amount=Decimal(str(x["amount"])),
            quantity=dec(x.get("quantity")) or ONE,
            unit_price=dec(x.get("unit_price")),
            cost=dec(x.get("cost")) or ZERO,
            tax=dec(x.get("tax")) or ZERO,
            logistics=dec(x.get("logistics")) or ZERO,
            below_floor=bool(x.get("below_floor", False)),
            below_floor_rate=dec(x.get("below_floor_rate")),
            key_account_class=str(x.get("key_account_class", "")),
            key_account_uplift=bool(x.get("key_account_uplift", False)),
            ref=str(x.get("ref", "")),
        )
        for x in data.get("lines", [])
    )
    return Facts(
        sales=dec(data.get("sales")),
        target=dec(data.get("target")),
        attainment=dec(data.get("attainment")),
        lines=lines,
        grade=str(data.get("grade", "")),
        annual_target_met=bool(data.get("annual_target_met", False)),
        year_end=bool(data.get("year_end", False)),
        left_in_period=bool(data.get("left_in_period", False)),
        profit_ratio=dec(data.get("profit_ratio")),
    )


def describe_plan(plan: dict[str, Any]) -> list[str]:
    """K12: a plan in words for the people it pays — one sentence per component and plan rule."""
    out: list[str] = []
    for comp in plan.get("components", []):
        label = comp.get("label", comp.get("id", ""))
        ctype = comp.get("type")
        parts: list[str] = []
        if ctype in ("progressive", "bracket"):
            parts = [
                f"{b.get('label', '')} {_pct(Decimal(b['rate']))}".strip() for b in comp.get("bands", [])
            ]
        elif ctype == "target_bonus":
            parts = [
                f"{s.get('label', '')} {_pct(Decimal(s['rate']))}".strip() for s in comp.get("steps", [])
            ]
        elif ctype in ("category_rates", "rebate", "key_account", "profit_adjusted"):
            rates = comp.get("rates") or comp.get("grades") or {}
            for key, spec in rates.items():
                rate, name = _rate_for(rates, key, None)
                parts.append(
                    name if isinstance(spec, dict) and "%" in name else f"{name} {_pct(rate or ZERO)}"
                )
        elif ctype == "grade":
            parts = [
                _("%(g)s级 固定 %(f)s + 浮动 0–%(m)s")
                % {"g": g, "f": _pct(Decimal(s["fixed"])), "m": _pct(Decimal(s["floating_max"]))}
                for g, s in comp.get("grades", {}).items()
            ]
        elif ctype in ("margin", "below_floor", "target_share"):
            rate = comp.get("rate") or comp.get("margin_rate")
            parts = [_pct(Decimal(rate))] if rate is not None else []
        out.append(f"{label}：{'；'.join(parts)}" if parts else str(label))
    if plan.get("excluded_categories"):
        out.append(_("不计提成的类别：%(c)s") % {"c": "、".join(plan["excluded_categories"])})
    if plan.get("target_gate"):
        out.append(_("未完成本月销售任务的，不计算提成"))
    if plan.get("leaver") == "deduct_unfinished":
        out.append(_("离职前未完成销售任务的，扣除未完成部分的提成"))
    elif plan.get("leaver") == "no_commission":
        out.append(_("离职当月不享受销售提成"))
    if plan.get("annual_true_up"):
        out.append(_("年终按全年销售额重新计算：年度提成 − 已发放提成"))
    return out
