from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("客户管理")

    def ready(self) -> None:
        from crm import signals  # noqa: F401
        from crm.menu import register_menu

        register_menu()
