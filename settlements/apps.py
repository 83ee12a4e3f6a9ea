from django.apps import AppConfig


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = "月度结算"

    def ready(self) -> None:
        from settlements import signals  # noqa: F401
