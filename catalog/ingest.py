"""dbt artifact ingest: read, check, diff and write the catalog in one transaction.

The entry point is ``dbt_ingest_execute``. It reads every file first (no database
access), checks that the files belong together, then writes inside one transaction:
a failure anywhere leaves the catalog exactly as it was. Assets whose ingested fields
did not change (same digest) are not rewritten, so re-ingesting the same artifacts
writes nothing but the run row.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog import dbt_schema as s
from catalog.artifacts import ArtifactBundle, ArtifactError, LoadedArtifact, decode
from catalog.heartbeat import ingest_run_finish
from catalog.meta import as_list, owners_from, pii_from, tier_from
from catalog.models import (
    Asset,
    AssetChange,
    AssetKind,
    Column,
    DataTest,
    IngestRun,
    NodeRunResult,
    Project,
    SourceFreshnessResult,
)
from catalog.progress import ProgressCallback
from catalog.relations import dialect_for_adapter, relation_key
from catalog.search import search_documents_sync
from lexicon_core.extensions import ingest_hooks

logger = logging.getLogger(__name__)


NODE_ASSET_KINDS = {
    "model": AssetKind.MODEL,
    "seed": AssetKind.SEED,
    "snapshot": AssetKind.SNAPSHOT,
    "analysis": AssetKind.ANALYSIS,
}
# Entries of `nodes` that are not catalog material: hooks, RPC calls, docs.
SKIPPED_NODE_TYPES = {
    "operation",
    "sql_operation",
    "rpc",
    "sql",
    "doc",
    "macro",
    "fixture",
    "function",
}

# Fields of Asset written by ingest from the manifest / from catalog.json.
MANIFEST_FIELDS = (
    "kind",
    "name",
    "label",
    "description",
    "database",
    "schema",
    "identifier",
    "relation_name",
    "relation_key",
    "package_name",
    "path",
    "original_file_path",
    "materialization",
    "language",
    "raw_code",
    "compiled_code",
    "checksum",
    "access",
    "group",
    "version",
    "latest_version",
    "contract_enforced",
    "tags",
    "meta",
    "depends_on",
    "details",
    "dbt_owners",
    "dbt_tier",
)
WAREHOUSE_FIELDS = ("warehouse_type", "warehouse_stats")
COLUMN_FIELDS = (
    "name",
    "position",
    "data_type",
    "description",
    "tags",
    "meta",
    "documented",
    "in_warehouse",
    "dbt_pii",
    "removed_at",
    "removed_by_run",
)
TEST_FIELDS = (
    "name",
    "test_type",
    "test_name",
    "asset",
    "column_name",
    "severity",
    "kwargs",
    "depends_on",
    "description",
    "tags",
    "content_hash",
    "raw_digest",
    "removed_at",
    "removed_by_run",
)
BATCH = 1000
# Bump when the extraction of fields from the manifest changes: stored raw digests then
# no longer match, so every entry is decoded again once.
EXTRACTION_VERSION = 1
MISMATCH_SHARE = 0.5  # more unknown ids than this share: the file is from another project


def digest(value: Any) -> str:
    """A short stable digest of JSON-able data (change detection, not security)."""
    return hashlib.blake2b(msgspec.json.encode(value), digest_size=16).hexdigest()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------- extraction


@dataclass
class ColumnSpec:
    name: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    data_type: str = ""
    dbt_pii: str = ""


@dataclass
class AssetSpec:
    unique_id: str
    fields: dict[str, Any]
    columns: list[ColumnSpec]
    manifest_hash: str = ""
    raw_digest: str = ""

    @property
    def kind(self) -> str:
        return self.fields["kind"]


@dataclass
class TestSpec:
    unique_id: str
    fields: dict[str, Any]
    attached_unique_id: str | None


def _columns(columns: dict[str, s.ColumnInfo]) -> list[ColumnSpec]:
    out = []
    for key, col in columns.items():
        tags = as_list(col.tags)
        meta = col.meta or {}
        out.append(
            ColumnSpec(
                name=col.name or key,
                description=_text(col.description),
                tags=tags,
                meta=meta,
                data_type=_text(col.data_type),
                dbt_pii=pii_from(meta, tags),
            )
        )
    return out


def _base(kind: str, name: str, obj: Any) -> dict[str, Any]:
    config = getattr(obj, "config", None)
    meta = {**(getattr(obj, "meta", None) or {}), **((config.meta if config else None) or {})}
    tags = as_list(getattr(obj, "tags", None))
    for tag in as_list(config.tags if config else None):
        if tag not in tags:
            tags.append(tag)
    depends = getattr(obj, "depends_on", None)
    return {
        "kind": kind,
        "name": name,
        "label": _text(getattr(obj, "label", None)),
        "description": _text(getattr(obj, "description", None)),
        "database": "",
        "schema": "",
        "identifier": "",
        "relation_name": "",
        "relation_key": "",
        "package_name": _text(getattr(obj, "package_name", None)),
        "path": _text(getattr(obj, "path", None)),
        "original_file_path": _text(getattr(obj, "original_file_path", None)),
        "materialization": "",
        "language": "",
        "raw_code": "",
        "compiled_code": "",
        "checksum": "",
        "access": "",
        "group": _text(getattr(obj, "group", None) or (config.group if config else None)),
        "version": "",
        "latest_version": "",
        "contract_enforced": False,
        "tags": tags,
        "meta": meta,
        "depends_on": sorted(set(depends.nodes)) if depends else [],
        "details": {},
        "dbt_owners": [],
        "dbt_tier": None,
    }


def _group_owner(groups: dict[str, s.Group], group_name: str) -> Any:
    group = groups.get(group_name) if group_name else None
    if group and group.owner:
        return {"name": group.owner.name, "email": group.owner.email}
    return None


def _node_asset(uid: str, node: s.Node, groups: dict[str, s.Group]) -> AssetSpec:
    kind = NODE_ASSET_KINDS[node.resource_type]
    f = _base(kind, node.name, node)
    config = node.config
    identifier = node.alias or node.name
    materialized = _text(config.materialized if config else None)
    in_warehouse = kind != AssetKind.ANALYSIS and materialized != "ephemeral"
    contract = node.contract or (config.contract if config else None)
    f.update(
        {
            "database": _text(node.database),
            "schema": _text(node.schema),
            "identifier": _text(identifier),
            "relation_name": _text(node.relation_name),
            "relation_key": relation_key(node.database, node.schema, identifier)
            if in_warehouse
            else "",
            "materialization": materialized,
            "language": _text(
                node.language or ("sql" if (node.raw_sql or node.raw_code) is not None else "")
            ),
            "raw_code": _text(node.raw_code if node.raw_code is not None else node.raw_sql),
            "compiled_code": _text(
                node.compiled_code if node.compiled_code is not None else node.compiled_sql
            ),
            "checksum": _text(node.checksum.checksum if node.checksum else ""),
            "access": _text(node.access or (config.access if config else None)),
            "version": _text(node.version),
            "latest_version": _text(node.latest_version),
            "contract_enforced": bool(contract and contract.enforced),
        }
    )
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, _columns(node.columns))


def _source_asset(uid: str, src: s.Source, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.SOURCE, src.name, src)
    f["meta"] = {**(src.source_meta or {}), **f["meta"]}
    identifier = src.identifier or src.name
    freshness = msgspec.to_builtins(src.freshness) if src.freshness else None
    f.update(
        {
            "label": f"{src.source_name}.{src.name}" if src.source_name else src.name,
            "description": _text(src.description) or _text(src.source_description),
            "database": _text(src.database),
            "schema": _text(src.schema),
            "identifier": _text(identifier),
            "relation_name": _text(src.relation_name),
            "relation_key": relation_key(src.database, src.schema, identifier),
            "details": {
                "source_name": _text(src.source_name),
                "loader": _text(src.loader),
                "loaded_at_field": _text(src.loaded_at_field),
                "freshness": freshness,
                "source_description": _text(src.source_description),
            },
        }
    )
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, _columns(src.columns))


def _exposure_asset(uid: str, exp: s.Exposure, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.EXPOSURE, exp.name, exp)
    owner = {"name": exp.owner.name, "email": exp.owner.email} if exp.owner else None
    f["details"] = {
        "type": _text(exp.type),
        "url": _text(exp.url),
        "maturity": _text(exp.maturity),
        "owner": owner,
    }
    f["dbt_owners"] = owners_from(f["meta"], owner)
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, [])


def _metric_asset(uid: str, metric: s.Metric, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.METRIC, metric.name, metric)
    f["details"] = {
        "type": _text(metric.type or metric.calculation_method),
        "type_params": metric.type_params or {},
        "expression": _text(metric.expression or metric.sql),
        "filter": msgspec.to_builtins(metric.filter) if metric.filter is not None else None,
        "filters": metric.filters or [],
        "time_grains": metric.time_grains or [],
        "dimensions": metric.dimensions or [],
        "timestamp": _text(metric.timestamp),
        "model": _text(metric.model),
        "time_granularity": _text(metric.time_granularity),
    }
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, [])


def _semantic_model_asset(uid: str, sm: s.SemanticModel, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.SEMANTIC_MODEL, sm.name, sm)
    f["details"] = {
        "model": _text(sm.model),
        "entities": sm.entities,
        "measures": sm.measures,
        "dimensions": sm.dimensions,
        "defaults": sm.defaults,
        "primary_entity": _text(sm.primary_entity),
        "node_relation": msgspec.to_builtins(sm.node_relation) if sm.node_relation else None,
    }
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, [])


def _saved_query_asset(uid: str, sq: s.SavedQuery, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.SAVED_QUERY, sq.name, sq)
    f["details"] = {"query_params": sq.query_params or {}}
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    return AssetSpec(uid, f, [])


_REF_RE = re.compile(r"""ref\(\s*['"]([^'"]+)['"]""")
_SOURCE_RE = re.compile(r"""source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]""")


def _test_target(node: s.Node, by_name: dict[str, str]) -> str | None:
    """The asset a test is attached to: ``attached_node`` (v9+), else its ``model`` kwarg."""
    if node.attached_node:
        return node.attached_node
    deps = node.depends_on.nodes if node.depends_on else []
    model_arg = str((node.test_metadata.kwargs if node.test_metadata else {}).get("model", ""))
    source = _SOURCE_RE.search(model_arg)
    ref = _REF_RE.search(model_arg)
    wanted = (
        f"source:{source.group(1)}.{source.group(2)}"
        if source
        else (f"ref:{ref.group(1)}" if ref else None)
    )
    if wanted and wanted in by_name:
        return by_name[wanted]
    return deps[0] if deps else None


def _test_spec(uid: str, node: s.Node, by_name: dict[str, str]) -> TestSpec:
    meta = node.test_metadata
    kwargs = {k: v for k, v in (meta.kwargs if meta else {}).items() if k != "model"}
    config = node.config
    f = {
        "name": node.name,
        "test_type": DataTest.TestType.GENERIC if meta else DataTest.TestType.SINGULAR,
        "test_name": _text(meta.name if meta else ""),
        "column_name": _text(node.column_name or kwargs.get("column_name")),
        "severity": _text(config.severity if config else "").lower(),
        "kwargs": msgspec.to_builtins(kwargs),
        "depends_on": sorted(set(node.depends_on.nodes)) if node.depends_on else [],
        "description": _text(node.description),
        "tags": as_list(node.tags),
    }
    return TestSpec(uid, f, _test_target(node, by_name))


def _unit_test_spec(uid: str, unit: s.UnitTest, by_name: dict[str, str]) -> TestSpec:
    deps = sorted(set(unit.depends_on.nodes)) if unit.depends_on else []
    target = by_name.get(f"ref:{unit.model}") if unit.model else None
    f = {
        "name": unit.name,
        "test_type": DataTest.TestType.UNIT,
        "test_name": "unit_test",
        "column_name": "",
        "severity": "",
        "kwargs": {},
        "depends_on": deps,
        "description": _text(unit.description),
        "tags": [],
    }
    return TestSpec(uid, f, target or (deps[0] if deps else None))


@dataclass
class ParsedManifest:
    metadata: s.Metadata
    version: int
    assets: dict[str, AssetSpec]
    tests: dict[str, TestSpec]
    other_ids: set[str]  # known ids that are not cataloged (hooks, operations)
    warnings: list[str]
    # Entries whose raw JSON is byte-identical to what was stored last time: not decoded.
    unchanged_assets: set[str] = field(default_factory=set)
    unchanged_tests: set[str] = field(default_factory=set)

    def known_ids(self) -> set[str]:
        return (
            set(self.assets)
            | set(self.tests)
            | self.other_ids
            | self.unchanged_assets
            | self.unchanged_tests
        )


def raw_digest_salt(manifest: s.Manifest) -> bytes:
    """Mixed into every entry's raw digest: what else shapes an entry's extracted values
    (group owners, the configured meta keys, this code's extraction version)."""
    groups = b"".join(k.encode() + bytes(v) for k, v in sorted(manifest.groups.items()))
    config = msgspec.json.encode(
        [
            EXTRACTION_VERSION,
            settings.LEXICON_META_OWNER_KEYS,
            settings.LEXICON_META_TIER_KEYS,
            settings.LEXICON_META_PII_KEYS,
            settings.LEXICON_PII_TAGS,
        ]
    )
    return hashlib.blake2b(groups + config, digest_size=16).digest()


def raw_digest(salt: bytes, raw: msgspec.Raw) -> str:
    return hashlib.blake2b(bytes(raw), digest_size=16, key=salt).hexdigest()


def parse_manifest(
    artifact: LoadedArtifact,
    *,
    skip_assets: dict[str, str] | None = None,
    skip_tests: dict[str, str] | None = None,
    stored_refs: dict[str, str] | None = None,
) -> ParsedManifest:
    """Turn the raw manifest sections into specs; errors name the entry's JSON path.

    ``skip_assets``/``skip_tests`` map unique_id → raw digest of entries stored before
    (and still current); an entry whose raw
    JSON has the same digest is not decoded at all (re-ingesting the same artifacts).
    ``stored_refs`` resolves ``ref:``/``source:`` names of such skipped assets for tests.
    """
    manifest: s.Manifest = artifact.data
    known_version = artifact.version <= 12
    warnings: list[str] = []
    name = artifact.name
    salt = raw_digest_salt(manifest)
    skip = {**(skip_assets or {}), **(skip_tests or {})}
    unchanged: set[str] = set()
    digests: dict[str, str] = {}

    def entries(
        section: str, raw: dict[str, msgspec.Raw], struct: type
    ) -> Iterable[tuple[str, Any]]:
        for key, value in raw.items():
            digest = raw_digest(salt, value)
            if skip.get(key) == digest:
                unchanged.add(key)
                continue
            digests[key] = digest
            yield key, decode(name, value, struct, where=f"$.{section}[{key!r}]")

    groups: dict[str, s.Group] = {}
    for key, raw in manifest.groups.items():
        group = decode(name, raw, s.Group, where=f"$.groups[{key!r}]")
        groups[group.name] = group

    assets: dict[str, AssetSpec] = {}
    tests: dict[str, TestSpec] = {}
    other: set[str] = set()
    test_nodes: list[tuple[str, s.Node]] = []
    unknown: Counter[str] = Counter()
    for key, node in entries("nodes", manifest.nodes, s.Node):
        rtype = node.resource_type
        if rtype in NODE_ASSET_KINDS:
            assets[key] = _node_asset(key, node, groups)
        elif rtype == "test":
            test_nodes.append((key, node))
        elif rtype in SKIPPED_NODE_TYPES:
            other.add(key)
        elif known_version:
            raise ArtifactError(
                name,
                f"has an unknown resource_type {rtype!r} at $.nodes[{key!r}].resource_type; "
                f"manifest v{artifact.version} does not define it. The file may be corrupt or edited.",
            )
        else:
            unknown[rtype] += 1
            other.add(key)
    for rtype, count in sorted(unknown.items()):
        warnings.append(f"{name}: skipped {count} node(s) of unknown resource_type {rtype!r}.")

    for key, src in entries("sources", manifest.sources, s.Source):
        assets[key] = _source_asset(key, src, groups)
    for key, exp in entries("exposures", manifest.exposures, s.Exposure):
        assets[key] = _exposure_asset(key, exp, groups)
    for key, metric in entries("metrics", manifest.metrics, s.Metric):
        assets[key] = _metric_asset(key, metric, groups)
    for key, sm in entries("semantic_models", manifest.semantic_models, s.SemanticModel):
        assets[key] = _semantic_model_asset(key, sm, groups)
    for key, sq in entries("saved_queries", manifest.saved_queries, s.SavedQuery):
        assets[key] = _saved_query_asset(key, sq, groups)

    by_name: dict[str, str] = dict(stored_refs or {})
    for uid, spec in assets.items():
        if spec.kind == AssetKind.SOURCE:
            by_name[f"source:{spec.fields['details']['source_name']}.{spec.fields['name']}"] = uid
        elif spec.kind in (AssetKind.MODEL, AssetKind.SEED, AssetKind.SNAPSHOT):
            # Versioned models share a name; the latest (or unversioned) one wins the plain ref.
            ref = f"ref:{spec.fields['name']}"
            if ref not in by_name or spec.fields["version"] == spec.fields["latest_version"]:
                by_name[ref] = uid
    for key, node in test_nodes:
        tests[key] = _test_spec(key, node, by_name)
    for key, unit in entries("unit_tests", manifest.unit_tests, s.UnitTest):
        tests[key] = _unit_test_spec(key, unit, by_name)

    for uid, spec in assets.items():
        spec.manifest_hash = digest([spec.fields, [c.__dict__ for c in spec.columns]])
        spec.raw_digest = digests.get(uid, "")
    for uid, test in tests.items():
        test.fields["content_hash"] = digest([test.fields, test.attached_unique_id])
        test.fields["raw_digest"] = digests.get(uid, "")
    parsed = ParsedManifest(manifest.metadata, artifact.version, assets, tests, other, warnings)
    parsed.unchanged_tests = unchanged & set(skip_tests or {})
    parsed.unchanged_assets = unchanged - parsed.unchanged_tests
    return parsed


# ---------------------------------------------------------------------------- consistency


def _project_name(manifest: s.Manifest, requested: str | None) -> str:
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
                f"does not belong to {bundle.manifest.name}: {len(unknown)} of its {len(ids)} node ids are not in "
                f"the manifest (for example {unknown[0]!r}). Is it from another project or another state?",
            )
        if unknown:
            warnings.append(
                f"{artifact.name}: {len(unknown)} node id(s) not in the manifest were skipped "
                f"(for example {unknown[0]!r})."
            )
    return warnings


# ---------------------------------------------------------------------------- writing


@dataclass
class IngestOutcome:
    """What a run changed; handed to post-ingest hooks inside the transaction."""

    run: IngestRun
    project: Project
    added_ids: set[int] = field(default_factory=set)
    changed_ids: set[int] = field(default_factory=set)
    removed_ids: set[int] = field(default_factory=set)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count(self, kind: str, what: str, n: int = 1) -> None:
        per_kind = self.counts.setdefault(
            kind, {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
        )
        per_kind[what] = per_kind.get(what, 0) + n


def _catalog_entries(bundle: ArtifactBundle) -> dict[str, s.CatalogTable] | None:
    if not bundle.catalog:
        return None
    cat: s.Catalog = bundle.catalog.data
    return {**cat.nodes, **cat.sources}


def _warehouse_fields(entry: s.CatalogTable | None) -> dict[str, Any]:
    if entry is None:
        return {"warehouse_type": "", "warehouse_stats": {}}
    stats = {}
    for key, stat in entry.stats.items():
        if stat.include and key != "has_stats":
            stats[stat.label or key] = stat.value
    return {
        "warehouse_type": _text(entry.metadata.type if entry.metadata else ""),
        "warehouse_stats": stats,
    }


def _resolve_project(artifact: LoadedArtifact, requested: str | None) -> Project:
    manifest: s.Manifest = artifact.data
    name = _project_name(manifest, requested)
    meta = manifest.metadata
    manifest_name = artifact.name
    # Concurrent first ingests of one project: one INSERT wins, the others' ON CONFLICT DO
    # NOTHING waits for its transaction (PostgreSQL), and the locking read then finds its row.
    Project.objects.bulk_create([Project(name=name)], ignore_conflicts=True)
    project = Project.objects.select_for_update().get(name=name)
    if project.dbt_project_id and meta.project_id and project.dbt_project_id != meta.project_id:
        raise ArtifactError(
            manifest_name,
            f"belongs to the dbt project with id {meta.project_id}, but Lexicon project {name!r} was ingested "
            f"from project id {project.dbt_project_id}. Give another --project name to keep them apart.",
        )
    project.dbt_project_id = meta.project_id or project.dbt_project_id
    project.adapter_type = _text(meta.adapter_type) or project.adapter_type
    project.dialect = dialect_for_adapter(project.adapter_type)
    project.dbt_version = _text(meta.dbt_version)
    project.manifest_schema_version = f"manifest/v{artifact.version}"
    project.last_invocation_id = _text(meta.invocation_id)
    project.save()
    return project


def _merge_columns(
    spec: AssetSpec,
    entry: s.CatalogTable | None,
    catalog_given: bool,
    existing: dict[str, Column],
) -> dict[str, dict[str, Any]]:
    """Manifest columns (documentation) merged with warehouse columns (types, order).

    Without a catalog.json in this run the warehouse facts stored before are kept.
    """
    cols: dict[str, dict[str, Any]] = {}
    for order, col in enumerate(spec.columns):
        cols[col.name.lower()] = {
            "name": col.name,
            "position": 10_000 + order,
            "data_type": col.data_type,
            "description": col.description,
            "tags": col.tags,
            "meta": col.meta,
            "documented": True,
            "in_warehouse": False,
            "dbt_pii": col.dbt_pii,
        }
    if catalog_given:
        warehouse = [
            (c.name, c.type or "", c.index or 0) for c in (entry.columns.values() if entry else [])
        ]
    else:
        warehouse = [
            (c.name, c.data_type, c.position)
            for c in existing.values()
            if c.in_warehouse and c.removed_at is None
        ]
    for name, data_type, position in warehouse:
        key = name.lower()
        row = cols.get(key)
        if row is None:
            cols[key] = {
                "name": name,
                "position": position,
                "data_type": data_type,
                "description": "",
                "tags": [],
                "meta": {},
                "documented": False,
                "in_warehouse": True,
                "dbt_pii": "",
            }
        else:
            row.update(
                {
                    "position": position,
                    "in_warehouse": True,
                    "data_type": data_type or row["data_type"],
                }
            )
    return cols


def _warehouse_hashes(catalog_entries: dict[str, s.CatalogTable] | None) -> dict[str, str] | None:
    if catalog_entries is None:
        return None
    return {uid: digest(msgspec.to_builtins(entry)) for uid, entry in catalog_entries.items()}


NOT_IN_WAREHOUSE = digest(None)


def _stored_refs(existing: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``ref:name`` / ``source:src.name`` → unique_id for assets stored before."""
    refs: dict[str, str] = {}
    for uid, row in existing.items():
        if row["removed_at"] is not None:
            continue
        if row["kind"] == AssetKind.SOURCE:
            refs[f"source:{(row['details'] or {}).get('source_name', '')}.{row['name']}"] = uid
        elif row["kind"] in (AssetKind.MODEL, AssetKind.SEED, AssetKind.SNAPSHOT):
            ref = f"ref:{row['name']}"
            if ref not in refs or row["version"] == row["latest_version"]:
                refs[ref] = uid
    return refs


def _write_assets(
    parsed: ParsedManifest,
    bundle: ArtifactBundle,
    outcome: IngestOutcome,
    progress: ProgressCallback,
    existing: dict[str, dict[str, Any]],
    warehouse_hashes: dict[str, str] | None,
) -> dict[str, int]:
    project, run = outcome.project, outcome.run
    now = timezone.now()
    catalog_entries = _catalog_entries(bundle)
    catalog_given = catalog_entries is not None

    for uid in parsed.unchanged_assets:
        outcome.count(existing[uid]["kind"], "unchanged")
    to_write: list[Asset] = []
    actions: dict[str, str] = {}
    for uid, spec in parsed.assets.items():
        old = existing.get(uid)
        entry = catalog_entries.get(uid) if catalog_entries is not None else None
        if warehouse_hashes is not None:
            warehouse_hash = warehouse_hashes.get(uid, NOT_IN_WAREHOUSE)
        else:
            warehouse_hash = (old or {}).get("warehouse_hash", "")
        if old is None:
            action = "added"
        elif old["removed_at"] is not None:
            action = "restored"
        elif old["manifest_hash"] != spec.manifest_hash or (
            catalog_given and old["warehouse_hash"] != warehouse_hash
        ):
            action = "changed"
        else:
            outcome.count(spec.kind, "unchanged")
            continue
        actions[uid] = action
        values = dict(spec.fields)
        if catalog_given:
            values.update(_warehouse_fields(entry))
        to_write.append(
            Asset(
                project=project,
                unique_id=uid,
                manifest_hash=spec.manifest_hash,
                warehouse_hash=warehouse_hash,
                raw_digest=spec.raw_digest,
                first_seen_run=run if action == "added" else None,
                last_changed_run=run,
                removed_at=None,
                removed_by_run=None,
                **values,
            )
        )
        outcome.count(spec.kind, "added" if action in ("added", "restored") else "changed")

    changed_fields_before = {}
    changed_uids = [uid for uid, action in actions.items() if action == "changed"]
    compare = list(MANIFEST_FIELDS) + (list(WAREHOUSE_FIELDS) if catalog_given else [])
    for start in range(0, len(changed_uids), BATCH):
        for row in Asset.objects.filter(
            project=project, unique_id__in=changed_uids[start : start + BATCH]
        ).values("unique_id", *compare):
            changed_fields_before[row.pop("unique_id")] = row

    update_fields = [
        *MANIFEST_FIELDS,
        "manifest_hash",
        "warehouse_hash",
        "raw_digest",
        "last_changed_run",
        "removed_at",
        "removed_by_run",
        "updated_at",
    ]
    if catalog_given:
        update_fields += list(WAREHOUSE_FIELDS)
    for start in range(0, len(to_write), BATCH):
        Asset.objects.bulk_create(
            to_write[start : start + BATCH],
            update_conflicts=True,
            unique_fields=["project", "unique_id"],
            update_fields=update_fields,
        )
        progress("writing assets", 20 + int(30 * (start + BATCH) / max(1, len(to_write))))

    ids = dict(Asset.objects.filter(project=project).values_list("unique_id", "id"))

    # Tombstones: active assets that the manifest no longer has.
    present = set(parsed.assets) | parsed.unchanged_assets
    gone = [
        uid for uid, row in existing.items() if uid not in present and row["removed_at"] is None
    ]
    for start in range(0, len(gone), BATCH):
        Asset.objects.filter(project=project, unique_id__in=gone[start : start + BATCH]).update(
            removed_at=now, removed_by_run=run, last_changed_run=run
        )
    for uid in gone:
        outcome.count(existing[uid]["kind"], "removed")
        outcome.removed_ids.add(ids[uid])

    changes = []
    for uid, action in actions.items():
        fields_changed: list[str] = []
        if action == "changed":
            before = changed_fields_before.get(uid, {})
            spec = parsed.assets[uid]
            after = dict(spec.fields)
            if catalog_given:
                after.update(_warehouse_fields(catalog_entries.get(uid)))  # type: ignore[union-attr]
            fields_changed = sorted(k for k in compare if before.get(k) != after.get(k))
            if not fields_changed:
                fields_changed = ["columns"]
            outcome.changed_ids.add(ids[uid])
        else:
            outcome.added_ids.add(ids[uid])
        changes.append(
            AssetChange(asset_id=ids[uid], ingest_run=run, action=action, fields=fields_changed)
        )
    changes += [AssetChange(asset_id=ids[uid], ingest_run=run, action="removed") for uid in gone]
    AssetChange.objects.bulk_create(changes, batch_size=BATCH)

    progress("writing columns", 55)
    _write_columns(parsed, list(actions), ids, catalog_entries, run, now)
    return ids


def _write_columns(
    parsed: ParsedManifest,
    uids: list[str],
    ids: dict[str, int],
    catalog_entries: dict[str, s.CatalogTable] | None,
    run: IngestRun,
    now: datetime,
) -> None:
    catalog_given = catalog_entries is not None
    for start in range(0, len(uids), BATCH):
        chunk = uids[start : start + BATCH]
        asset_ids = [ids[uid] for uid in chunk]
        existing: dict[int, dict[str, Column]] = {}
        for col in Column.objects.filter(asset_id__in=asset_ids):
            existing.setdefault(col.asset_id, {})[col.name_key] = col
        rows: list[Column] = []
        stale: list[int] = []
        for uid in chunk:
            asset_id = ids[uid]
            old = existing.get(asset_id, {})
            entry = catalog_entries.get(uid) if catalog_entries is not None else None
            merged = _merge_columns(parsed.assets[uid], entry, catalog_given, old)
            for key, values in merged.items():
                rows.append(
                    Column(
                        asset_id=asset_id,
                        name_key=key,
                        removed_at=None,
                        removed_by_run=None,
                        **values,
                    )
                )
            stale += [c.pk for key, c in old.items() if key not in merged and c.removed_at is None]
        Column.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["asset", "name_key"],
            update_fields=list(COLUMN_FIELDS),
        )
        if stale:
            Column.objects.filter(pk__in=stale).update(removed_at=now, removed_by_run=run)


def _write_tests(
    parsed: ParsedManifest,
    ids: dict[str, int],
    outcome: IngestOutcome,
    existing: dict[str, tuple[str, str, str, Any]],
) -> dict[str, int]:
    project, run = outcome.project, outcome.run
    if parsed.unchanged_tests:
        outcome.count("test", "unchanged", len(parsed.unchanged_tests))
    rows: list[DataTest] = []
    for uid, spec in parsed.tests.items():
        old = existing.get(uid)
        if old and old[1] == spec.fields["content_hash"] and old[2] is None:
            outcome.count("test", "unchanged")
            continue
        outcome.count("test", "added" if old is None or old[2] is not None else "changed")
        asset_id = ids.get(spec.attached_unique_id) if spec.attached_unique_id else None
        rows.append(
            DataTest(
                project=project,
                unique_id=uid,
                asset_id=asset_id,
                removed_at=None,
                removed_by_run=None,
                **spec.fields,
            )
        )
    DataTest.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["project", "unique_id"],
        update_fields=list(TEST_FIELDS),
    )
    present = set(parsed.tests) | parsed.unchanged_tests
    gone = [uid for uid, row in existing.items() if uid not in present and row[2] is None]
    for start in range(0, len(gone), BATCH):
        DataTest.objects.filter(project=project, unique_id__in=gone[start : start + BATCH]).update(
            removed_at=timezone.now(), removed_by_run=run
        )
    if gone:
        outcome.count("test", "removed", len(gone))
    return dict(DataTest.objects.filter(project=project).values_list("unique_id", "id"))


def _stored_ids(model, project: Project, invocation: str) -> set[str]:
    """unique_ids whose result of this invocation is stored already (re-ingest skips them)."""
    return set(
        model.objects.filter(project=project, invocation_id=invocation).values_list(
            "unique_id", flat=True
        )
    )


def _invocation(artifact: LoadedArtifact) -> str:
    # Old artifacts may lack an invocation id; the file digest keeps re-ingest idempotent.
    return artifact.data.metadata.invocation_id or f"sha256:{artifact.sha256[:56]}"


def _write_run_results(
    bundle: ArtifactBundle,
    asset_ids: dict[str, int],
    test_ids: dict[str, int],
    outcome: IngestOutcome,
) -> None:
    artifact = bundle.run_results
    if not artifact:
        return
    project, run = outcome.project, outcome.run
    invocation = _invocation(artifact)
    generated = _parse_time(artifact.data.metadata.generated_at)
    seen = _stored_ids(NodeRunResult, project, invocation)
    rows = []
    for result in artifact.data.results:
        uid = result.unique_id
        if uid in seen:
            outcome.count("run_result", "unchanged")
            continue
        if uid not in asset_ids and uid not in test_ids:
            continue  # counted as a warning by check_consistency
        seen.add(uid)
        execute = next((t for t in result.timing if t.name == "execute"), None)
        first = result.timing[0] if result.timing else None
        adapter = result.adapter_response or {}
        rows.append(
            NodeRunResult(
                project=project,
                ingest_run=run,
                invocation_id=invocation,
                unique_id=uid,
                asset_id=asset_ids.get(uid),
                test_id=test_ids.get(uid),
                status=_text(result.status).lower(),
                message=_text(result.message)[:10_000],
                failures=_int_or_none(result.failures),
                execution_time=result.execution_time,
                started_at=_parse_time((first or execute).started_at)
                if (first or execute)
                else None,
                completed_at=_parse_time(execute.completed_at) if execute else None,
                rows_affected=adapter.get("rows_affected")
                if isinstance(adapter.get("rows_affected"), int)
                else None,
                generated_at=generated,
            )
        )
        outcome.count("run_result", "added")
    NodeRunResult.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def _write_freshness(
    bundle: ArtifactBundle, asset_ids: dict[str, int], outcome: IngestOutcome
) -> set[int]:
    """Store new freshness results; returns the assets that got one (their search facet changes)."""
    artifact = bundle.sources
    if not artifact:
        return set()
    project, run = outcome.project, outcome.run
    invocation = _invocation(artifact)
    generated = _parse_time(artifact.data.metadata.generated_at)
    seen = _stored_ids(SourceFreshnessResult, project, invocation)
    rows = []
    for result in artifact.data.results:
        uid = result.unique_id
        if uid in seen or uid not in asset_ids:
            if uid in seen:
                outcome.count("freshness", "unchanged")
            continue
        seen.add(uid)
        rows.append(
            SourceFreshnessResult(
                project=project,
                ingest_run=run,
                invocation_id=invocation,
                unique_id=uid,
                asset_id=asset_ids[uid],
                status=_text(result.status).lower(),
                max_loaded_at=_parse_time(result.max_loaded_at),
                snapshotted_at=_parse_time(result.snapshotted_at),
                age_seconds=result.max_loaded_at_time_ago_in_s,
                criteria=msgspec.to_builtins(result.criteria) if result.criteria else {},
                error=_text(result.error)[:10_000],
                generated_at=generated,
            )
        )
        outcome.count("freshness", "added")
    SourceFreshnessResult.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return {row.asset_id for row in rows}


def _run_hooks(outcome: IngestOutcome) -> None:
    """Post-ingest work of higher apps (table lineage, PII suggestions, metrics), registered
    in ``lexicon_core.extensions`` so that ``catalog`` imports none of them. They run inside
    the ingest transaction, by their registered order."""
    for hook in ingest_hooks():
        hook.fn(outcome)


def dbt_ingest_write(
    run: IngestRun, bundle: ArtifactBundle, project_name: str | None, progress: ProgressCallback
) -> IngestOutcome:
    """Parse, check and write, in one transaction: any error rolls everything back.

    Parsing happens after the project row is locked, so the decision to skip entries
    whose raw JSON is unchanged is made against rows no concurrent ingest can change.
    """
    with transaction.atomic():
        project = _resolve_project(bundle.manifest, project_name)
        existing = {
            row["unique_id"]: row
            for row in Asset.objects.filter(project=project).values(
                "id",
                "unique_id",
                "kind",
                "name",
                "version",
                "latest_version",
                "details",
                "manifest_hash",
                "warehouse_hash",
                "raw_digest",
                "removed_at",
            )
        }
        existing_tests = {
            row[0]: row
            for row in DataTest.objects.filter(project=project).values_list(
                "unique_id", "content_hash", "removed_at", "raw_digest"
            )
        }
        warehouse_hashes = _warehouse_hashes(_catalog_entries(bundle))
        skip_assets = {
            uid: row["raw_digest"]
            for uid, row in existing.items()
            if row["raw_digest"]
            and row["removed_at"] is None
            and (
                warehouse_hashes is None
                or warehouse_hashes.get(uid, NOT_IN_WAREHOUSE) == row["warehouse_hash"]
            )
        }
        skip_tests = {
            uid: row[3] for uid, row in existing_tests.items() if row[3] and row[2] is None
        }
        progress("parsing manifest", 12)
        parsed = parse_manifest(
            bundle.manifest,
            skip_assets=skip_assets,
            skip_tests=skip_tests,
            stored_refs=_stored_refs(existing),
        )
        bundle.warnings += check_consistency(bundle, parsed)
        outcome = IngestOutcome(run=run, project=project)
        progress("writing assets", 20)
        asset_ids = _write_assets(parsed, bundle, outcome, progress, existing, warehouse_hashes)
        progress("writing tests", 70)
        test_ids = _write_tests(parsed, asset_ids, outcome, existing_tests)
        progress("writing run results", 80)
        _write_run_results(bundle, asset_ids, test_ids, outcome)
        refreshed = _write_freshness(bundle, asset_ids, outcome)
        progress("updating search", 88)
        search_documents_sync(
            outcome.added_ids | outcome.changed_ids | outcome.removed_ids | refreshed
        )
        progress("deriving lineage", 90)
        _run_hooks(outcome)
        ingest_run_finish(
            run,
            project=project,
            status=IngestRun.Status.SUCCEEDED,
            phase="done",
            progress=100,
            counts=outcome.counts,
            warnings=bundle.warnings + parsed.warnings + outcome.warnings,
            invocation_id=_text(parsed.metadata.invocation_id),
            schema_versions={a.kind: a.describe()["schema_version"] for a in bundle.files()},
            files=[a.describe() for a in bundle.files()],
            finished_at=timezone.now(),
            error="",
        )
    return outcome
