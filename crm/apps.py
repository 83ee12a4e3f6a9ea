from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("客户管理")
    # `manage.py seed_demo` runs these (each has seed(ctx)), apps in INSTALLED_APPS order.
    demo_modules = ("crm.demo", "crm.demo_pool", "crm.demo_pipeline")
    # The system administrator role gets every permission on this app's models (crm.roles).
    admin_role_manages_models = True

    def ready(self) -> None:
        from crm import signals  # noqa: F401
        from crm.approvals_centre import register_tabs
        from crm.menu import register_menu

        register_menu()
        register_tabs()
