"""`manage.py pool_sweep [--dry-run] [--today YYYY-MM-DD]`: the nightly C9 job, by hand."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from crm.services.pool import pool_sweep


class Command(BaseCommand):
    help = "Warn about and release customers left without contact (the daily public-pool job)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--dry-run", action="store_true", help="only report what would happen")
        parser.add_argument("--today", help="the business date to sweep as, YYYY-MM-DD (Asia/Shanghai)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        today = None
        if opts["today"]:
            try:
                today = dt.date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError("--today must be YYYY-MM-DD") from None
        result = pool_sweep(today=today, dry_run=opts["dry_run"])
        verb = ("将提醒", "将释放") if result.dry_run else ("已提醒", "已释放")
        head = "（试运行，未写入任何数据）" if result.dry_run else ""
        self.stdout.write(f"公海扫描 {result.today.isoformat()}{head}")
        self.stdout.write(f"{verb[0]} {result.warned} 个客户（未联系达到提醒天数）")
        for name in result.warned_sample:
            self.stdout.write(f"  · {name}")
        self.stdout.write(f"{verb[1]} {result.released} 个客户到公海")
        for name in result.released_sample:
            self.stdout.write(f"  · {name}")
        if not result.dry_run:
            self.stdout.write(f"发出 {result.notifications} 条通知")
        self.stdout.write(
            f"warned={result.warned} released={result.released} notifications={result.notifications}"
            f" dry_run={result.dry_run}"
        )
