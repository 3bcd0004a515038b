"""Helpers shared by tests: the example project's artifacts, ingest shortcuts, dumps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.apps import apps

from catalog.models import IngestRun
from catalog.services import ingest_run_create_from_paths, ingest_run_execute

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_TARGET = ROOT / "examples" / "saas_analytics" / "target"
EXAMPLE_MANIFEST = EXAMPLE_TARGET / "manifest.json"


def ingest(*paths: Path, project: str = "") -> IngestRun:
    run = ingest_run_create_from_paths(paths=list(paths), project_name=project)
    return ingest_run_execute(run_id=run.pk)


def ingest_ok(*paths: Path, project: str = "") -> IngestRun:
    run = ingest(*paths, project=project)
    assert run.status == IngestRun.Status.SUCCEEDED, run.error
    return run


def example_json(name: str = "manifest.json") -> dict[str, Any]:
    return json.loads((EXAMPLE_TARGET / name).read_text())


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def catalog_dump() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table that ingest or people write, except ingest runs themselves."""
    dump = {}
    for label in ("catalog", "lineage", "governance"):
        for model in apps.get_app_config(label).get_models():
            if model is IngestRun:
                continue
            dump[model._meta.label] = list(model.objects.order_by("pk").values())
    return dump


def token_client(user):
    """An API client that authenticates with an API token of the user, as CI pipelines do.

    The row is made directly (no audit row, ``last_used_at`` already set) so that tests
    counting audit rows or queries see only what the request under test does."""
    from django.utils import timezone
    from rest_framework.test import APIClient

    from governance.models import ApiToken
    from governance.tokens import key_digest, key_prefix, new_key

    key = new_key()
    ApiToken.objects.create(
        user=user,
        name=f"tests {key_prefix(key)}",
        prefix=key_prefix(key),
        key_hash=key_digest(key),
        last_used_at=timezone.now(),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
