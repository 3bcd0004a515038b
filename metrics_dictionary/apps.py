from django.apps import AppConfig


class MetricsDictionaryConfig(AppConfig):
    """Governed metrics: versions, reviews, deprecations, change log."""

    name = "metrics_dictionary"
    verbose_name = "Metrics dictionary"

    def ready(self) -> None:
        # Register this app's permission rules, the immutability guard of versions and its
        # number on the governance scorecard.
        from metrics_dictionary import permissions, scorecard, signals  # noqa: F401
