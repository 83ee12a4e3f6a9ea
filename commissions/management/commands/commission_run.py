"""Recompute a month's commission ledger by hand: `commission_run --period 2026-10`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissions.services.ledger_run import ledger_recalculate
from common.errors import DomainError


class Command(BaseCommand):
    help = "重新计算某月提成台账（幂等；已关闭月份拒绝重算）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="YYYY-MM")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            period = dt.datetime.strptime(opts["period"], "%Y-%m").date()
        except ValueError:
            raise CommandError("--period 格式应为 YYYY-MM，例如 2026-10") from None
        try:
            run = ledger_recalculate(period=period)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            f"{period:%Y-%m}: {run.payees} 人, 新增 {run.created} 条, 更新 {run.updated} 条, "
            f"追回 {run.clawbacks} 条, 转可发放 {run.made_payable} 条, 合计 ¥{run.total:,.2f}"
        )
