"""Bad artifacts fail the run with a message naming the file and place, and leave every
catalog table exactly as it was (compared row by row before and after)."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from catalog.models import IngestRun
from lexicon_core import extensions
from lexicon_core.extensions import IngestHook
from tests.factories import (
    EXAMPLE_TARGET,
    catalog_dump,
    example_json,
    ingest,
    ingest_ok,
    write_json,
)

pytestmark = pytest.mark.django_db

MANIFEST_V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"


def _manifest_text() -> str:
    return (EXAMPLE_TARGET / "manifest.json").read_text()


def _first(manifest: dict, resource_type: str) -> str:
    return next(k for k, v in manifest["nodes"].items() if v["resource_type"] == resource_type)


def truncated(tmp: Path) -> list[Path]:
    p = tmp / "manifest.json"
    p.write_text(_manifest_text()[: len(_manifest_text()) // 2])
    return [p]


def not_json(tmp: Path) -> list[Path]:
    p = tmp / "manifest.json"
    p.write_text("<html><body>502 Bad Gateway</body></html>")
    return [p]


def json_array(tmp: Path) -> list[Path]:
    return [write_json(tmp / "manifest.json", [{"metadata": {}}])]


def empty_file(tmp: Path) -> list[Path]:
    p = tmp / "manifest.json"
    p.write_bytes(b"")
    return [p]


def wrong_type_name(tmp: Path) -> list[Path]:
    m = example_json()
    m["nodes"][_first(m, "model")]["name"] = 42
    return [write_json(tmp / "manifest.json", m)]


def wrong_type_columns(tmp: Path) -> list[Path]:
    m = example_json()
    m["nodes"][_first(m, "model")]["columns"] = ["id", "name"]
    return [write_json(tmp / "manifest.json", m)]


def wrong_type_tags(tmp: Path) -> list[Path]:
    m = example_json()
    m["sources"][next(iter(m["sources"]))]["tags"] = 7
    return [write_json(tmp / "manifest.json", m)]


def wrong_type_run_results(tmp: Path) -> list[Path]:
    rr = example_json("run_results.json")
    rr["results"][3]["execution_time"] = "fast"
    return [EXAMPLE_TARGET / "manifest.json", write_json(tmp / "run_results.json", rr)]


def run_results_of_another_project(tmp: Path) -> list[Path]:
    rr = example_json("run_results.json")
    for r in rr["results"]:
        r["unique_id"] = r["unique_id"].replace("saas_analytics", "jaffle_shop")
    return [EXAMPLE_TARGET / "manifest.json", write_json(tmp / "run_results.json", rr)]


def sources_of_another_project(tmp: Path) -> list[Path]:
    src = example_json("sources.json")
    for r in src["results"]:
        r["unique_id"] = "source.other.raw." + r["unique_id"].rsplit(".", 1)[-1]
    return [EXAMPLE_TARGET / "manifest.json", write_json(tmp / "sources.json", src)]


def catalog_of_another_project(tmp: Path) -> list[Path]:
    cat = example_json("catalog.json")
    cat["nodes"] = {k.replace("saas_analytics", "other"): v for k, v in cat["nodes"].items()}
    cat["sources"] = {k.replace("saas_analytics", "other"): v for k, v in cat["sources"].items()}
    return [EXAMPLE_TARGET / "manifest.json", write_json(tmp / "catalog.json", cat)]


def catalog_without_manifest(tmp: Path) -> list[Path]:
    return [EXAMPLE_TARGET / "catalog.json"]


def two_manifests(tmp: Path) -> list[Path]:
    return [
        EXAMPLE_TARGET / "manifest.json",
        write_json(tmp / "other_manifest.json", example_json()),
    ]


def unknown_node_kind(tmp: Path) -> list[Path]:
    m = example_json()
    m["nodes"][_first(m, "model")]["resource_type"] = "hologram"
    return [write_json(tmp / "manifest.json", m)]


def gzip_bomb(tmp: Path) -> list[Path]:
    p = tmp / "manifest.json.gz"
    with gzip.open(p, "wb") as out:
        out.write(
            b'{"metadata": {"dbt_schema_version": "' + MANIFEST_V12.encode() + b'"}, "pad": "'
        )
        block = b" " * (1024 * 1024)
        for _ in range(3):  # 3 MB of spaces compress to a few KB; the limit here is 1 MB
            out.write(block)
        out.write(b'"}')
    return [p]


def oversized_plain(tmp: Path) -> list[Path]:
    m = example_json()
    m["metadata"]["padding"] = "x" * (1024 * 1024 + 10)
    return [write_json(tmp / "manifest.json", m)]


def deep_nesting(tmp: Path) -> list[Path]:
    m = example_json()
    uid = _first(m, "model")
    text = json.dumps(m)
    marker = json.dumps(m["nodes"][uid]["meta"])
    deep = '{"a":' * 10_000 + "1" + "}" * 10_000
    node_text = json.dumps(m["nodes"][uid]).replace(f'"meta": {marker}', f'"meta": {deep}', 1)
    text = text.replace(json.dumps(m["nodes"][uid]), node_text, 1)
    p = tmp / "manifest.json"
    p.write_text(text)
    return [p]


def non_utf8(tmp: Path) -> list[Path]:
    data = _manifest_text().encode()
    at = data.index(b'"description": "') + len(b'"description": "')
    p = tmp / "manifest.json"
    p.write_bytes(data[:at] + b"\xff\xfe caf\xe9 " + data[at:])
    return [p]


def no_schema_version(tmp: Path) -> list[Path]:
    m = example_json()
    del m["metadata"]["dbt_schema_version"]
    return [write_json(tmp / "manifest.json", m)]


def no_metadata(tmp: Path) -> list[Path]:
    m = example_json()
    del m["metadata"]
    return [write_json(tmp / "manifest.json", m)]


def unknown_artifact_kind(tmp: Path) -> list[Path]:
    m = example_json()
    m["metadata"]["dbt_schema_version"] = "https://schemas.getdbt.com/dbt/graph-summary/v1.json"
    return [write_json(tmp / "manifest.json", m)]


def manifest_posing_as_catalog(tmp: Path) -> list[Path]:
    target = tmp / "target"
    target.mkdir()
    write_json(target / "manifest.json", example_json())
    write_json(target / "catalog.json", example_json())  # a manifest under the catalog's name
    return [target]


def damaged_gzip(tmp: Path) -> list[Path]:
    p = tmp / "manifest.json.gz"
    p.write_bytes(gzip.compress(_manifest_text().encode())[:5000])
    return [p]


def project_id_mismatch(tmp: Path) -> list[Path]:
    m = example_json()
    m["metadata"]["project_id"] = "0" * 32
    return [write_json(tmp / "manifest.json", m)]


def failing_post_ingest_hook(tmp: Path) -> list[Path]:
    m = example_json()
    uid = _first(m, "model")
    m["nodes"][uid]["description"] = "changed, but the hook will fail"
    del m["nodes"][_first(m, "seed")]
    return [write_json(tmp / "manifest.json", m)]


def _boom(outcome) -> None:
    from catalog.dbt.artifacts import ArtifactError

    raise ArtifactError("manifest.json", "post-ingest step refused the run (test hook)")


CASES: dict[str, tuple[Callable[[Path], list[Path]], str]] = {
    "truncated": (truncated, "manifest.json: is not complete JSON"),
    "not_json": (not_json, "manifest.json: is not valid JSON"),
    "json_array": (json_array, "is a JSON array"),
    "empty_file": (empty_file, "manifest.json: is empty"),
    "wrong_type_name": (wrong_type_name, "Expected `str`, got `int` - at `$.nodes['model."),
    "wrong_type_columns": (
        wrong_type_columns,
        "Expected `object`, got `array` - at `$.nodes['model.",
    ),
    "wrong_type_tags": (wrong_type_tags, "$.sources['source."),
    "wrong_type_run_results": (
        wrong_type_run_results,
        "run_results.json: has a value of the wrong type",
    ),
    "run_results_of_another_project": (
        run_results_of_another_project,
        "run_results.json: does not belong",
    ),
    "sources_of_another_project": (sources_of_another_project, "sources.json: does not belong"),
    "catalog_of_another_project": (catalog_of_another_project, "catalog.json: does not belong"),
    "catalog_without_manifest": (catalog_without_manifest, "manifest.json: is required"),
    "two_manifests": (two_manifests, "is a second manifest file"),
    "unknown_node_kind": (unknown_node_kind, "unknown resource_type 'hologram' at $.nodes['model."),
    "gzip_bomb": (gzip_bomb, "decompresses to more than the limit of 1,048,576 bytes"),
    "oversized_plain": (oversized_plain, "is larger than the limit of 1,048,576 bytes"),
    "deep_nesting": (deep_nesting, "nests JSON too deeply"),
    "non_utf8": (non_utf8, "is not UTF-8 text: invalid byte at byte"),
    "no_schema_version": (no_schema_version, "has no metadata.dbt_schema_version"),
    "no_metadata": (no_metadata, "has no metadata.dbt_schema_version"),
    "unknown_artifact_kind": (unknown_artifact_kind, "unknown metadata.dbt_schema_version"),
    "manifest_posing_as_catalog": (
        manifest_posing_as_catalog,
        "catalog.json: was given as catalog but is a manifest",
    ),
    "damaged_gzip": (damaged_gzip, "is a damaged gzip file"),
    "project_id_mismatch": (project_id_mismatch, "belongs to the dbt project with id 000"),
    "failing_post_ingest_hook": (failing_post_ingest_hook, "post-ingest step refused the run"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_clearly_and_changes_nothing(
    example_catalog, case, tmp_path, settings, monkeypatch
):
    make, message = CASES[case]
    before = catalog_dump()
    runs_before = IngestRun.objects.count()
    if case in {"gzip_bomb", "oversized_plain"}:
        settings.LEXICON_MAX_ARTIFACT_BYTES = 1024 * 1024
    if case == "failing_post_ingest_hook":
        monkeypatch.setitem(
            extensions._INGEST_HOOKS, "test.boom", IngestHook("test.boom", _boom, 999)
        )
    run = ingest(*make(tmp_path), project="saas_analytics")
    assert run.status == IngestRun.Status.FAILED
    assert message in run.error, run.error
    assert run.finished_at is not None
    assert IngestRun.objects.count() == runs_before + 1
    assert catalog_dump() == before


def test_the_suite_covers_at_least_twenty_cases():
    assert len(CASES) >= 20


def test_a_few_unknown_result_ids_are_skipped_with_a_warning(tmp_path):
    rr = example_json("run_results.json")
    extra = copy.deepcopy(rr["results"][0])
    extra["unique_id"] = "model.saas_analytics.deleted_since"
    rr["results"].append(extra)
    run = ingest_ok(EXAMPLE_TARGET / "manifest.json", write_json(tmp_path / "run_results.json", rr))
    assert any("deleted_since" in w for w in run.warnings)
