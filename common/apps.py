from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("通用")

    def ready(self) -> None:
        from common.tasks import ensure_work_calendar_schedule

        post_migrate.connect(ensure_work_calendar_schedule, dispatch_uid="common_work_calendar_schedule")
        post_migrate.connect(_guard_audit_trail, dispatch_uid="common_audit_truncate_guard")
        post_migrate.connect(_install_list_total, dispatch_uid="common_list_total_function")
        from common.accounts import connect_signals

        connect_signals()


def _guard_audit_trail(sender: object, using: str = "default", **kwargs: object) -> None:
    """Issue 17: the audit trail is never truncated (common.db.truncate_guard_sql)."""
    if getattr(sender, "name", "") != "common":
        return
    from common.db import postgres_sql_install, truncate_guard_sql

    postgres_sql_install(truncate_guard_sql("common_auditevent"), using=using)


def _install_list_total(sender: object, using: str = "default", **kwargs: object) -> None:
    """Issue 16: the function a list's page query calls for its total (common.listtools)."""
    if getattr(sender, "name", "") != "common":
        return
    from common.db import postgres_sql_install
    from common.listtools import LIST_TOTAL_FUNCTION

    postgres_sql_install(LIST_TOTAL_FUNCTION, using=using)
