"""`manage.py pool_sweep [--dry-run] [--today YYYY-MM-DD]`: the nightly C9 job, by hand."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
                raise CommandError(_("--today 的格式应为 YYYY-MM-DD")) from None
        result = pool_sweep(today=today, dry_run=opts["dry_run"])
        n = {"n": result.warned, "m": result.released, "k": result.notifications}
        if result.dry_run:
            self.stdout.write(
                _("公海扫描 %(day)s（试运行，未写入任何数据）") % {"day": result.today.isoformat()}
            )
            warned = ngettext(
                "将提醒 %(n)s 个客户（未联系达到提醒天数）",
                "将提醒 %(n)s 个客户（未联系达到提醒天数）",
                result.warned,
            )
        else:
            self.stdout.write(_("公海扫描 %(day)s") % {"day": result.today.isoformat()})
            warned = ngettext(
                "已提醒 %(n)s 个客户（未联系达到提醒天数）",
                "已提醒 %(n)s 个客户（未联系达到提醒天数）",
                result.warned,
            )
        self.stdout.write(warned % n)
        for name in result.warned_sample:
            self.stdout.write(f"  · {name}")
        if result.dry_run:
            released = ngettext("将释放 %(m)s 个客户到公海", "将释放 %(m)s 个客户到公海", result.released)
        else:
            released = ngettext("已释放 %(m)s 个客户到公海", "已释放 %(m)s 个客户到公海", result.released)
        self.stdout.write(released % n)
        for name in result.released_sample:
            self.stdout.write(f"  · {name}")
        if not result.dry_run:
            self.stdout.write(ngettext("发出 %(k)s 条通知", "发出 %(k)s 条通知", result.notifications) % n)
        self.stdout.write(
            f"warned={result.warned} released={result.released} notifications={result.notifications}"
            f" dry_run={result.dry_run}"
        )
