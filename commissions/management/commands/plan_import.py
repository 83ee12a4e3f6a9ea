"""Import plan files (JSON) as plan versions: `plan_import FILE… [--effective-from D] [--publish]`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from commissions.services.plans import plan_import
from common.errors import DomainError
from crm.models import User


class Command(BaseCommand):
    help = "导入提成方案 JSON 文件（K12：发布后至少提前 30 天生效，管理员可填写原因提前）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="plan files, e.g. commissions/plans/*.json")
        parser.add_argument("--effective-from", help="YYYY-MM-DD (default: the file's effective_from)")
        parser.add_argument("--publish", action="store_true", help="publish now (K12 notice applies)")
        parser.add_argument("--override-reason", default="", help="K12: reason to take effect sooner")
        parser.add_argument("--by", help="username of the admin publishing (needed with --override-reason)")

    def handle(self, *args: Any, **opts: Any) -> None:
        start = None
        if opts["effective_from"]:
            try:
                start = dt.date.fromisoformat(opts["effective_from"])
            except ValueError:
                raise CommandError("--effective-from 格式应为 YYYY-MM-DD") from None
        by = None
        if opts["by"]:
            by = User.objects.filter(username=opts["by"]).first()
            if by is None:
                raise CommandError(f"找不到用户：{opts['by']}")
        for name in opts["files"]:
            path = Path(name)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError:
                raise CommandError(f"找不到方案文件：{name}") from None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise CommandError(f"方案文件不是有效的 JSON：{name}：{exc}") from None
            try:
                plan = plan_import(
                    data=data,
                    effective_from=start,
                    publish=opts["publish"],
                    override_reason=opts["override_reason"],
                    by=by,
                    skip_approval=True,  # the operator installs the company's approved plan files
                )
            except DomainError as exc:
                raise CommandError(f"{name}：{exc.message}") from None
            state = "已发布" if plan.published_at else "草稿"
            self.stdout.write(f"{plan.code} {plan.effective_from} {state}")
