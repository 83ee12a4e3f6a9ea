from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("月度结算")
    # `manage.py seed_demo` runs these (each has seed(ctx)), apps in INSTALLED_APPS order.
    demo_modules = ("settlements.demo",)
    # The system administrator role gets every permission on this app's models (crm.roles).
    admin_role_manages_models = True

    def ready(self) -> None:
        from settlements import signals  # noqa: F401
        from settlements.approvals_tab import register_tab
        from settlements.menu import register_menu

        register_tab()

        register_menu()
