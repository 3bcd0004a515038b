"""The test app of ``slow_ingest_settings``: its ingest hook pauses inside the transaction."""

from django.apps import AppConfig


def pause(outcome) -> None:
    """Say where the ingest is (rows written, transaction open), then wait to be killed."""
    import os
    import time
    from pathlib import Path

    Path(os.environ["LEXICON_TEST_PAUSED_FILE"]).write_text(f"{os.getpid()} {outcome.run.pk}")
    time.sleep(float(os.environ.get("LEXICON_TEST_PAUSE_SECONDS", "300")))


class SlowIngestConfig(AppConfig):
    name = "tests.integration.slow_ingest_app"
    label = "slow_ingest_app"

    def ready(self) -> None:
        from lexicon_core.extensions import register_ingest_hook

        register_ingest_hook("test.pause", pause, order=10_000)
