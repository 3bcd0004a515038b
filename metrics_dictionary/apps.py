from django.apps import AppConfig


class MetricsDictionaryConfig(AppConfig):
    """Governed metrics: versions, reviews, deprecations, change log."""

    name = "metrics_dictionary"
    verbose_name = "Metrics dictionary"
