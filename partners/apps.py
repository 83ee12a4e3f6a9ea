from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("合伙人与业绩归属")

    def ready(self) -> None:
        from partners.signals import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="partners_post_migrate")
        from partners.menu import register_menu

        register_menu()
