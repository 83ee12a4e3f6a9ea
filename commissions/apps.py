from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommissionsConfig(AppConfig):
    name = "commissions"
    verbose_name = _("提成")
    # `manage.py seed_demo` runs these (each has seed(ctx)), apps in INSTALLED_APPS order.
    demo_modules = ("commissions.demo",)
    # The system administrator role gets every permission on this app's models (crm.roles).
    admin_role_manages_models = True

    def ready(self) -> None:
        from commissions import signals  # noqa: F401
        from commissions.menu import register_menu

        register_menu()

        from commissions.services.plans import plan_on_approval
        from crm.extensions import register_approval_outcome_handler
        from crm.models import ApprovalKind

        register_approval_outcome_handler(ApprovalKind.COMMISSION_PLAN, plan_on_approval)
