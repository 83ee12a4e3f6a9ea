"""The plan format: which components exist, and every problem a plan definition has, in Chinese."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from commissions.calculator.facts import ONE
from common.fen import ZERO

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


def check_bands(comp: dict[str, Any], where: str, errors: list[str], *, edges: bool) -> None:
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
            check_bands(comp, where, errors, edges=False)
        elif ctype == "bracket":
            check_bands(comp, where, errors, edges=True)
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
