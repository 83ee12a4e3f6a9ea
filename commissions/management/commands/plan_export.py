"""Export a plan version as a JSON file: `plan_export CODE [--effective-from D] [-o FILE]`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissions.models import CommissionPlan
from commissions.services.plans import plan_export


class Command(BaseCommand):
    help = "导出提成方案为 JSON 文件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("--effective-from", help="YYYY-MM-DD (default: the latest version)")
        parser.add_argument("-o", "--output", help="file to write (default: stdout)")

    def handle(self, *args: Any, **opts: Any) -> None:
        qs = CommissionPlan.objects.filter(code=opts["code"]).order_by("-effective_from")
        if opts["effective_from"]:
            try:
                qs = qs.filter(effective_from=dt.date.fromisoformat(opts["effective_from"]))
            except ValueError:
                raise CommandError("--effective-from 格式应为 YYYY-MM-DD") from None
        plan = qs.first()
        if plan is None:
            raise CommandError(f"找不到方案：{opts['code']}")
        text = json.dumps(plan_export(plan=plan), ensure_ascii=False, indent=2) + "\n"
        if opts["output"]:
            Path(opts["output"]).write_text(text, encoding="utf-8")
            self.stdout.write(f"已导出 {opts['output']}")
        else:
            self.stdout.write(text, ending="")
