"""Run the calculator on a plan file (checking a plan before publishing it): `commission_preview`."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissions.calculator.engine import calculate
from commissions.calculator.facts import Facts, facts_from_dict
from commissions.calculator.result import Result
from commissions.calculator.validation import validate_plan
from common.fen import pct


def _money(value: str, name: str) -> Decimal:
    try:
        out = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise CommandError(f"{name} 必须是金额数字，例如 600000 或 600000.00（收到 “{value}”）") from None
    if not out.is_finite() or out < 0:
        raise CommandError(f"{name} 不能为负数（收到 “{value}”）")
    if out != out.quantize(Decimal("0.01")):
        raise CommandError(f"{name} 最多两位小数（收到 “{value}”）")
    return out


def _ratio(value: str) -> Decimal:
    try:
        out = Decimal(value)
    except InvalidOperation:
        raise CommandError(f"--profit-ratio 必须是 0 到 1 之间的数字，例如 0.30（收到 “{value}”）") from None
    if not out.is_finite() or not (0 <= out <= 1):
        raise CommandError(f"--profit-ratio 必须是 0 到 1 之间的数字，例如 0.30（收到 “{value}”）")
    return out


def load_plan_file(path: str) -> dict[str, Any]:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"找不到方案文件：{path}")
    try:
        plan = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CommandError(f"方案文件不是有效的 JSON：{path}：{exc}") from None
    errors = validate_plan(plan)
    if errors:
        raise CommandError("方案文件有误：\n  - " + "\n  - ".join(errors))
    return plan  # type: ignore[no-any-return]


class Command(BaseCommand):
    help = "用方案文件试算提成：--plan 方案文件 --sales 本期销售额 [--target 本期目标] [--json]"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--plan", required=True, help="plan file, e.g. commissions/plans/sales_progressive.json"
        )
        parser.add_argument("--sales", required=True, help="the period's sales, e.g. 600000")
        parser.add_argument("--target", help="the target for the same period (K3 target bonus applies)")
        parser.add_argument("--grade", default="", help="the payee's grade for grade-based plans (K6)")
        parser.add_argument(
            "--facts",
            help="JSON file with order-line facts for per-line components (category, amount, cost, …)",
        )
        parser.add_argument(
            "--year-end",
            action="store_true",
            help="the figures are the year's (K3 annual target bonus, with --target the annual target)",
        )
        parser.add_argument(
            "--left", action="store_true", help="the payee left in this period (K11 leaver rule)"
        )
        parser.add_argument(
            "--profit-ratio", help="the department's profit ratio, e.g. 0.30 (profit_adjusted)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **opts: Any) -> None:
        plan = load_plan_file(opts["plan"])
        sales = _money(opts["sales"], "--sales")
        target = _money(opts["target"], "--target") if opts["target"] else None
        if target is not None and target == 0:
            raise CommandError("--target 必须大于 0")
        data: dict[str, Any] = {}
        if opts["facts"]:
            try:
                data = json.loads(Path(opts["facts"]).read_text(encoding="utf-8"))
                facts = facts_from_dict(data)
            except (
                OSError,
                json.JSONDecodeError,
                KeyError,
                InvalidOperation,
                TypeError,
                AttributeError,
            ) as exc:
                raise CommandError(f"--facts 文件有误：{exc}") from None
        else:
            facts = Facts()
        facts = Facts(
            sales=sales,
            target=target,
            lines=facts.lines,
            grade=opts["grade"] or facts.grade,
            annual_target_met=facts.annual_target_met,
            year_end=opts["year_end"] or facts.year_end,
            left_in_period=opts["left"] or facts.left_in_period,
            profit_ratio=_ratio(opts["profit_ratio"]) if opts["profit_ratio"] else facts.profit_ratio,
        )
        result = calculate(plan, facts)
        if opts["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        self._table(plan, result)

    def _table(self, plan: dict[str, Any], result: Result) -> None:
        w = self.stdout.write
        w(f"方案 Plan: {plan['name']} ({plan['code']})")
        w(f"本期销售额 Sales: {result.sales:,.2f}")
        if result.attainment is not None:
            w(f"目标完成率 Attainment: {pct(result.attainment, 2)}")
        w("")
        cols = ("组成 Component", "分段/档位 Band", "基数 Base", "比例 Rate", "金额 Amount")
        header = f"{cols[0]:<24}{cols[1]:<34}{cols[2]:>16}{cols[3]:>10}{cols[4]:>14}"
        w(header)
        w("-" * len(header))
        for line in result.lines:
            rate = pct(line.rate, 3)  # "" for a line without a rate
            w(f"{line.label[:22]:<24}{line.band[:32]:<34}{line.base:>16,.2f}{rate:>10}{line.amount:>14,.2f}")
        w("-" * len(header))
        w(f"{'合计 Total':<74}{result.total:>24,.2f}")
        for note in result.notes:
            w(f"说明 Note: {note}")
