"""Settings of a test ingest worker whose dbt ingests pause inside their transaction, so that a
test can kill the worker mid-ingest (tests/integration/test_ingest_worker_killed.py)."""

from config.settings import *  # noqa: F403
from config.settings import LEXICON_INGEST_HOOKS

LEXICON_INGEST_HOOKS = [*LEXICON_INGEST_HOOKS, "tests.integration.slow_ingest_settings.pause"]


def pause(outcome) -> None:
    """Say where the ingest is (rows written, transaction open), then wait to be killed."""
    import os
    import time
    from pathlib import Path

    Path(os.environ["LEXICON_TEST_PAUSED_FILE"]).write_text(f"{os.getpid()} {outcome.run.pk}")
    time.sleep(float(os.environ.get("LEXICON_TEST_PAUSE_SECONDS", "300")))
