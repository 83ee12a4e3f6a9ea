from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("通用")

    def ready(self) -> None:
        from common.accounts import connect_signals

        connect_signals()
