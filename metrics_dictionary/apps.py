from django.apps import AppConfig


class MetricsDictionaryConfig(AppConfig):
    """Governed metrics: versions, reviews, deprecations, change log."""

    name = "metrics_dictionary"
    verbose_name = "Metrics dictionary"

    def ready(self) -> None:
        # This app's permission rules, the immutability guard of versions and its number on
        # the governance scorecard register themselves when imported.
        from lexicon_core.extensions import (
            Panel,
            register_ingest_hook,
            register_panel,
            register_search_signals,
        )
        from metrics_dictionary import permissions, scorecard, signals  # noqa: F401
        from metrics_dictionary.hooks import dictionary_after_ingest, dictionary_search_signals

        # dbt semantic-layer import and the drift check of approved metrics.
        register_ingest_hook("metrics.after_ingest", dictionary_after_ingest, order=40)
        register_search_signals("metrics.signals", dictionary_search_signals, order=20)
        register_panel(
            Panel(
                "asset",
                "banner",
                "deprecation",
                10,
                url_name="metrics_dictionary:asset_deprecation_banner",
            )
        )
