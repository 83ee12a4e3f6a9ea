from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("通用")

    def ready(self) -> None:
        from common.tasks import ensure_work_calendar_schedule

        post_migrate.connect(ensure_work_calendar_schedule, dispatch_uid="common_work_calendar_schedule")
        from common.accounts import connect_signals

        connect_signals()
