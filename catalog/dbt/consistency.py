"""Checks that the files of one ingest belong together, and with what was ingested before.

Each check refuses what cannot be right with an ``ArtifactError`` naming the file, and
returns warnings for small gaps that are skipped: catalog.json, run_results.json and
sources.json against the manifest (``check_consistency``), a manifest against the dbt project
its Lexicon project was ingested from (``check_project_id``), and node kinds the manifest's
schema version does not define (``resource_type_unknown``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from catalog.dbt import schema as s
from catalog.dbt.artifacts import KNOWN_VERSIONS, ArtifactBundle, ArtifactError, LoadedArtifact

if TYPE_CHECKING:
    from catalog.dbt.extract import ParsedManifest
    from catalog.models import Project

MISMATCH_SHARE = 0.5  # more unknown ids than this share: the file is from another project


def project_name_for(manifest: s.Manifest, requested: str | None) -> str:
    """The requested name, else the manifest's project name, else the package owning most
    models (read from unique ids, ``model.<package>.<name>``, so nothing is decoded)."""
    if requested:
        return requested
    if manifest.metadata.project_name:
        return manifest.metadata.project_name
    packages = Counter(
        uid.split(".")[1]
        for uid in manifest.nodes
        if uid.startswith(("model.", "seed.", "snapshot.")) and uid.count(".") >= 2
    )
    return packages.most_common(1)[0][0] if packages else "dbt_project"


def check_project_id(project: Project, artifact: LoadedArtifact) -> None:
    """Refuse a manifest of another dbt project than the one ``project`` was ingested from."""
    meta = artifact.data.metadata
    if project.dbt_project_id and meta.project_id and project.dbt_project_id != meta.project_id:
        raise ArtifactError(
            artifact.name,
            f"belongs to the dbt project with id {meta.project_id}, "
            f"but Lexicon project {project.name!r} was ingested "
            f"from project id {project.dbt_project_id}. "
            "Give another --project name to keep them apart.",
        )


def resource_type_unknown(artifact: LoadedArtifact, key: str, rtype: str) -> None:
    """A node of a kind the manifest's schema does not define: refused in a schema version
    this code knows (the file is corrupt or edited); a newer version may add kinds, so
    there it is skipped (see ``unknown_type_warnings``)."""
    if artifact.version <= KNOWN_VERSIONS["manifest"]:
        raise ArtifactError(
            artifact.name,
            f"has an unknown resource_type {rtype!r} at $.nodes[{key!r}].resource_type; "
            f"manifest v{artifact.version} does not define it. "
            "The file may be corrupt or edited.",
        )


def unknown_type_warnings(name: str, unknown: Counter[str]) -> list[str]:
    return [
        f"{name}: skipped {count} node(s) of unknown resource_type {rtype!r}."
        for rtype, count in sorted(unknown.items())
    ]


def check_consistency(bundle: ArtifactBundle, parsed: ParsedManifest) -> list[str]:
    """Refuse files that do not belong with the manifest; return warnings for small gaps.

    Rules: catalog.json, run_results.json and sources.json must name nodes of this
    manifest. If more than half of the ids a file names are unknown to the manifest, the
    file is from another project (or a very different state of it) and the run is
    refused. A few unknown ids (a model deleted since the results were written) are
    skipped with a warning.
    """
    known = parsed.known_ids()
    warnings: list[str] = []
    checks: list[tuple[LoadedArtifact, list[str]]] = []
    if bundle.catalog:
        cat: s.Catalog = bundle.catalog.data
        checks.append((bundle.catalog, [*cat.nodes, *cat.sources]))
    if bundle.run_results:
        checks.append((bundle.run_results, [r.unique_id for r in bundle.run_results.data.results]))
    if bundle.sources:
        checks.append((bundle.sources, [r.unique_id for r in bundle.sources.data.results]))
    for artifact, ids in checks:
        if not ids:
            continue
        unknown = [uid for uid in ids if uid not in known]
        if len(unknown) > MISMATCH_SHARE * len(ids):
            raise ArtifactError(
                artifact.name,
                f"does not belong to {bundle.manifest.name}: "
                f"{len(unknown)} of its {len(ids)} node ids are not in "
                f"the manifest (for example {unknown[0]!r}). "
                "Is it from another project or another state?",
            )
        if unknown:
            warnings.append(
                f"{artifact.name}: {len(unknown)} node id(s) not in the manifest were skipped "
                f"(for example {unknown[0]!r})."
            )
    return warnings
