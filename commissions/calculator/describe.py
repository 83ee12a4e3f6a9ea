"""K12: a plan in words for the people it pays."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from commissions.calculator.components import rate_for
from common.fen import ZERO, pct


def _with_rate(label: str, rate: Any) -> str:
    """ "label 3%" — unless the label already states its rate in words."""
    return label if "%" in label else f"{label} {pct(Decimal(rate))}".strip()


def describe_plan(plan: dict[str, Any], category_names: Mapping[str, str] | None = None) -> list[str]:
    """K12: a plan in words for the people it pays — one sentence per component and plan rule.
    `category_names` maps category codes to their names (the price book's), so no code is shown."""
    names = category_names or {}
    out: list[str] = []
    for comp in plan.get("components", []):
        label = comp.get("label", comp.get("id", ""))
        ctype = comp.get("type")
        parts: list[str] = []
        if ctype in ("progressive", "bracket"):
            parts = [_with_rate(b.get("label", ""), b["rate"]) for b in comp.get("bands", [])]
        elif ctype == "target_bonus":
            parts = [_with_rate(s.get("label", ""), s["rate"]) for s in comp.get("steps", [])]
        elif ctype in ("category_rates", "rebate", "key_account", "profit_adjusted"):
            rates = comp.get("rates") or comp.get("grades") or {}
            for key, spec in rates.items():
                rate, name = rate_for(rates, key, None)
                name = names.get(name, name)
                parts.append(
                    name if isinstance(spec, dict) and "%" in name else f"{name} {pct(rate or ZERO)}"
                )
        elif ctype == "grade":
            parts = [
                _("%(g)s级 固定 %(f)s + 浮动 0–%(m)s")
                % {"g": g, "f": pct(Decimal(s["fixed"])), "m": pct(Decimal(s["floating_max"]))}
                for g, s in comp.get("grades", {}).items()
            ]
        elif ctype in ("margin", "below_floor", "target_share"):
            rate = comp.get("rate") or comp.get("margin_rate")
            parts = [pct(Decimal(rate))] if rate is not None else []
        out.append(f"{label}：{'；'.join(parts)}" if parts else str(label))
    if plan.get("excluded_categories"):
        out.append(
            _("不计提成的类别：%(c)s")
            % {"c": _("、").join(names.get(c, c) for c in plan["excluded_categories"])}
        )
    if plan.get("target_gate"):
        out.append(_("未完成本月销售任务的，不计算提成"))
    if plan.get("leaver") == "deduct_unfinished":
        out.append(_("离职前未完成销售任务的，扣除未完成部分的提成"))
    elif plan.get("leaver") == "no_commission":
        out.append(_("离职当月不享受销售提成"))
    if plan.get("annual_true_up"):
        out.append(_("年终按全年销售额重新计算：年度提成 − 已发放提成"))
    return out
