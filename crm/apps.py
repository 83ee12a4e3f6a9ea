from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "客户管理"

    def ready(self) -> None:
        from crm import signals  # noqa: F401
