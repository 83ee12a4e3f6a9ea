"""Build the demo company. Each app adds its part: its AppConfig lists its demo modules (`demo_modules`,
each with `seed(ctx)`), run in INSTALLED_APPS order — lower layers first, so partners, commissions and
settlements build on crm's customers and orders without crm naming them."""

from __future__ import annotations

import importlib
import random

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.demo import DEMO_PASSWORD
from crm.models import Customer


def demo_modules() -> list[str]:
    """Every installed app's `demo_modules`, in INSTALLED_APPS order."""
    return [dotted for cfg in apps.get_app_configs() for dotted in getattr(cfg, "demo_modules", ())]


class Command(BaseCommand):
    help = "Load the demo company (users for every role, ~500 customers, pipeline, commissions, settlements)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--if-empty", action="store_true", help="do nothing when customers already exist")
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        if opts["if_empty"] and Customer.objects.exists():
            self.stdout.write("演示数据已存在，跳过。Demo data already loaded.")
        else:
            ctx = {"rng": random.Random(opts["seed"]), "stdout": self.stdout}
            with transaction.atomic():
                for dotted in demo_modules():
                    importlib.import_module(dotted).seed(ctx)
            self.stdout.write(self.style.SUCCESS("演示数据已生成。Demo data loaded."))
        self.stdout.write(
            f"Demo logins (password {DEMO_PASSWORD}): rep11 (销售), exec1 (客户执行), mgr1 (销售部经理), "
            "rm_east (大区经理), director (销售总监), custdir (客户总监), marketing (市场), "
            "assistant (总裁助理), dept_assistant1 (部门助理), "
            "vp, rdvp, deliveryvp (交付副总裁; 实施 impl1, impl2), salesadmin, president (总裁), "
            "finance (财务), partner1 (合伙人), "
            "admin (系统管理员)"
        )
