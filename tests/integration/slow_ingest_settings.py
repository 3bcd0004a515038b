"""Settings of a test ingest worker whose dbt ingests pause inside their transaction, so that a
test can kill the worker mid-ingest (tests/integration/test_ingest_worker_killed.py)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

# An app whose ready() registers the pausing ingest hook after every other one.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.integration.slow_ingest_app.SlowIngestConfig"]
