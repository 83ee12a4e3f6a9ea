"""`python manage.py settlement_export --month YYYY-MM --out FILE.xlsx` (S6, for automation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from settlements.export import export_month


class Command(BaseCommand):
    help = "导出某月结算表（一览表 + 每人结算表审批表）为 .xlsx"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--out", required=True, help="output .xlsx path")
        parser.add_argument("--mask", action="store_true", help="mask bank account numbers")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            month = dt.datetime.strptime(opts["month"], "%Y-%m").date()
        except ValueError:
            raise CommandError("--month must be YYYY-MM")
        lines = export_month(month=month, out=opts["out"], unmasked=not opts["mask"])
        self.stdout.write(f"{opts['out']}: {lines} lines")
