"""`manage.py a2_publish [--month YYYY-MM]`: the monthly A2 publication (003 §12.4), by hand."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from common.timeutil import local_today, parse_month
from reports.usage_publish import a2_publish, month_closed


class Command(BaseCommand):
    help = "Publish a month's CRM-usage ranking (A2) to the lead rotation (default: last month)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--month", help="the month to publish, YYYY-MM (default: the month that closed)")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        month = month_closed(local_today())
        if opts["month"]:
            month = parse_month(opts["month"])
            if month is None:
                raise CommandError(_("月份格式应为 年-月，例如 2026-03。"))
        row = a2_publish(month=month)
        top = row.standings.filter(kind="top").count()
        bottom = row.standings.filter(kind="bottom").count()
        self.stdout.write(
            _("已公布 %(month)s 的 CRM 使用排名：前列 %(top)d 人，末位 %(bottom)d 人。")
            % {"month": f"{row.month:%Y-%m}", "top": top, "bottom": bottom}
        )
