from django.apps import AppConfig


class CommissionsConfig(AppConfig):
    name = "commissions"
    verbose_name = "提成"

    def ready(self) -> None:
        from commissions import signals  # noqa: F401
