from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Dashboards and reports: reads the other apps through their selectors; nothing imports it."""

    name = "reports"
    verbose_name = _("报表")
    demo_modules = ("reports.demo",)

    def ready(self) -> None:
        from reports import signals
        from reports.menu import register_menu
        from reports.tasks import ensure_rollup_schedules, ensure_worklog_schedule

        register_menu()
        signals.connect_rollup_marks()
        post_migrate.connect(ensure_worklog_schedule, dispatch_uid="reports_worklog_schedule")
        post_migrate.connect(ensure_rollup_schedules, dispatch_uid="reports_rollup_schedules")
