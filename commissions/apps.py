from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    name = "commissions"
    verbose_name = _("提成")

    def ready(self) -> None:
        from commissions import signals  # noqa: F401
        from commissions.menu import register_menu

        register_menu()
