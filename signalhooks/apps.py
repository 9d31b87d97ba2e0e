"""Optional Django app: ``"signalhooks"`` in ``INSTALLED_APPS`` adds checks and the outbox."""

from django.apps import AppConfig

__all__ = ["SignalHooksConfig"]


class SignalHooksConfig(AppConfig):
    name = "signalhooks"
    verbose_name = "Signal hooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (the outbox's tasks, made with the settings)
        from .checks import register_checks

        register_checks()
