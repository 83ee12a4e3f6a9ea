"""K14 by hand: `manage.py rewards_run [--today YYYY-MM-DD]` runs the nightly rewards job (champions of
closed periods, perks, trial upgrades, expiry); `--champions 2026-10 --kind month` books one period's
champions even before it closes. Both are idempotent."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissions.services.perks import rewards_nightly
from commissions.services.rewards import PERIOD_KINDS, champions_book
from common.fen import format_cny
from common.timeutil import parse_day, parse_month


class Command(BaseCommand):
    help = "奖励（K14）：销售冠军、合伙人奖励、试用升级与过期"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按这一天运行（YYYY-MM-DD）")
        parser.add_argument("--champions", help="只计算这一期的销售冠军（YYYY-MM，期间内任一月）")
        parser.add_argument("--kind", default="month", help="month / quarter / year")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["champions"]:
            start = parse_month(opts["champions"])
            if start is None or opts["kind"] not in PERIOD_KINDS:
                raise CommandError("请给出 --champions YYYY-MM 和 --kind month/quarter/year")
            for pool in settings.REWARDS_CHAMPION_POOLS:
                result = champions_book(kind=opts["kind"], start=start, pool=pool)
                for c in result.champions:
                    self.stdout.write(f"{pool} {c.holder_id}: {format_cny(c.sales)} → {format_cny(c.amount)}")
                if not result.created:
                    self.stdout.write(f"{pool}: 无新增（已计算过或无销售）")
            return
        today = parse_day(opts["today"]) if opts["today"] else None
        if opts["today"] and today is None:
            raise CommandError("--today 须为 YYYY-MM-DD")
        out = rewards_nightly(today=today)
        self.stdout.write(", ".join(f"{k}={v}" for k, v in out.items()))
