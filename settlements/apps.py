from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("月度结算")

    def ready(self) -> None:
        from settlements import signals  # noqa: F401
        from settlements.menu import register_menu

        register_menu()
