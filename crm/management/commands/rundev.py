"""`make run`: the web server on 127.0.0.1:8000 (the Celery worker and beat join it once the jobs exist)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app for local use."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        call_command("runserver", opts["addr"], use_reloader=False)
