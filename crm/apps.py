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
        from crm.extensions import register_customer_page_section
        from crm.menu import register_menu
        from crm.payment_plan_page import customer_payment_plans_section

        register_menu()
        register_tabs()
        # Issue 16: plan vs actual of the customer's payment plans on the customer page.
        register_customer_page_section(customer_payment_plans_section)
