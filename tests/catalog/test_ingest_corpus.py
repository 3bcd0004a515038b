"""Contract: every manifest of the public corpus (schema v1–v12) ingests, with its
catalog/run_results/sources when present, and node counts per kind match the file."""

from __future__ import annotations

import json

import pytest

from catalog.models import Asset, DataTest, NodeRunResult, SourceFreshnessResult
from tests.corpus import corpus_cases, require_corpus
from tests.factories import ingest

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]

NODE_KINDS = {"model", "seed", "snapshot", "analysis"}


def _expected(manifest: dict) -> dict[str, int]:
    counts = dict.fromkeys(
        [*NODE_KINDS, "test", "source", "exposure", "metric", "semantic_model", "saved_query"], 0
    )
    for node in manifest.get("nodes", {}).values():
        if node["resource_type"] in NODE_KINDS or node["resource_type"] == "test":
            counts[node["resource_type"]] += 1
    counts["test"] += len(manifest.get("unit_tests") or {})
    for section, kind in (
        ("sources", "source"),
        ("exposures", "exposure"),
        ("metrics", "metric"),
        ("semantic_models", "semantic_model"),
        ("saved_queries", "saved_query"),
    ):
        counts[kind] = len(manifest.get(section) or {})
    return counts


CASES = corpus_cases()


def test_the_corpus_covers_every_manifest_schema_version():
    require_corpus()
    assert {c.schema for c in CASES} >= {f"manifest/v{n}" for n in range(1, 13)}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_manifest_ingests_with_matching_counts(case):
    require_corpus()
    run = ingest(case.manifest, *case.companions.values(), project=case.id)
    assert run.status == "succeeded", run.error
    manifest = json.loads(case.manifest.read_text())
    expected = _expected(manifest)
    for kind, n in expected.items():
        if kind == "test":
            assert DataTest.objects.filter(project=run.project).count() == n
        else:
            assert Asset.objects.filter(project=run.project, kind=kind).count() == n, kind
    if "run_results" in case.companions:
        results = json.loads(case.companions["run_results"].read_text())["results"]
        known = len(
            [
                r
                for r in results
                if r["unique_id"] in manifest["nodes"]
                or r["unique_id"] in manifest.get("sources", {})
            ]
        )
        assert NodeRunResult.objects.filter(project=run.project).count() == known
    if "sources" in case.companions:
        assert SourceFreshnessResult.objects.filter(project=run.project).exists()
    again = ingest(case.manifest, *case.companions.values(), project=case.id)
    totals = again.totals()
    assert (totals["added"], totals["changed"], totals["removed"]) == (0, 0, 0)
