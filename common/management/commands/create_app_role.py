"""Create the database role the app runs as (issue 17): row access only, no ownership, no TRUNCATE."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.db_roles import app_role_create
from common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Run as the tables' owner (the login migrations use): create the app's PostgreSQL role if "
        "missing and "
        "grant it SELECT/INSERT/UPDATE/DELETE only (no ALTER, no TRIGGER, no TRUNCATE). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", nargs="?", default="crm_app", help="role name (default crm_app)")
        parser.add_argument(
            "--password-env",
            default="CRM_APP_DB_PASSWORD",
            help="environment variable with the role's password (default CRM_APP_DB_PASSWORD; unset: none)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **opts: Any) -> None:
        password = os.environ.get(opts["password_env"]) or None
        try:
            created = app_role_create(role=opts["role"], password=password, using=opts["database"])
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        verb = "created" if created else "exists"
        self.stdout.write(f"role {opts['role']} {verb}; row access granted (no ALTER, TRIGGER or TRUNCATE)")
