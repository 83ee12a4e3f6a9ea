from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("合伙人与业绩归属")
    # `manage.py seed_demo` runs these (each has seed(ctx)), apps in INSTALLED_APPS order.
    demo_modules = ("partners.demo",)
    # The system administrator role gets every permission on this app's models (crm.roles).
    admin_role_manages_models = True

    def ready(self) -> None:
        from crm.extensions import (
            register_collision_handler,
            register_customer_page_action,
            register_customer_tab,
            register_order_booked_handler,
            register_search_scope,
        )
        from partners.customer_page import COLLISIONS_TAB, executive_attach_action
        from partners.policy import search_scope as partner_search_scope
        from partners.services import collision_open, credit_shares_freeze
        from partners.signals import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="partners_post_migrate")
        # crm's extension points (crm never imports partners): P3 collisions found by crm's C2 checks
        # open a case here; P4 credit shares freeze when crm books an order.
        register_collision_handler(collision_open)
        register_order_booked_handler(credit_shares_freeze)
        # crm's customer page: the account-executive button (P2) and the collision cases tab (P3).
        register_customer_page_action(executive_attach_action)
        register_customer_tab(COLLISIONS_TAB)
        # The header's global search: a partner's login searches its portal's customers and orders.
        register_search_scope(partner_search_scope)

        from partners.approvals_tab import register_tab
        from partners.menu import register_menu

        register_tab()

        register_menu()
