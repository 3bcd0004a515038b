"""The public dbt artifact corpus in ../shared/corpus (read in place, never copied here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CORPUS_ROOT = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PROVENANCE = CORPUS_ROOT / "provenance.jsonl"


@dataclass
class CorpusCase:
    manifest: Path
    schema: str
    companions: dict[str, Path] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.manifest.relative_to(CORPUS_ROOT / "dbt"))


def _kind(url: str | None) -> str | None:
    if not url:
        return None
    for key, kind in (
        ("/manifest/", "manifest"),
        ("/catalog/", "catalog"),
        ("/run-results/", "run_results"),
        ("/sources/", "sources"),
    ):
        if key in url:
            return kind
    return None


def corpus_cases() -> list[CorpusCase]:
    """Every manifest of the corpus, with the catalog/run_results/sources of its folder
    when the folder holds exactly one manifest (otherwise it is unclear which they match)."""
    if not PROVENANCE.exists():
        return []
    by_dir: dict[Path, dict[str, list[tuple[Path, str]]]] = {}
    for line in PROVENANCE.read_text().splitlines():
        entry = json.loads(line)
        url = (entry.get("dbt") or {}).get("dbt_schema_version")
        kind = _kind(url)
        path = CORPUS_ROOT / entry["dest"]
        if kind and path.exists():
            by_dir.setdefault(path.parent, {}).setdefault(kind, []).append(
                (path, url.rsplit("/", 2)[-2] + "/" + url.rsplit("/", 1)[-1].removesuffix(".json"))
            )
    cases = []
    for _folder, kinds in sorted(by_dir.items()):
        manifests = kinds.get("manifest", [])
        for path, schema in manifests:
            companions = {}
            if len(manifests) == 1:
                companions = {
                    k: v[0][0] for k, v in kinds.items() if k != "manifest" and len(v) == 1
                }
            cases.append(CorpusCase(path, schema, companions))
    return cases


def require_corpus() -> None:
    if not PROVENANCE.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS_ROOT}")
