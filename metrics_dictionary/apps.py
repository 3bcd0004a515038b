from django.apps import AppConfig


class MetricsDictionaryConfig(AppConfig):
    """Governed metrics: versions, reviews, deprecations, change log."""

    name = "metrics_dictionary"
    verbose_name = "Metrics dictionary"

    def ready(self) -> None:
        # Register this app's permission rules and the immutability guard of versions.
        from metrics_dictionary import permissions, signals  # noqa: F401
