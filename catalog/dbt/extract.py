"""dbt artifacts into specs: what the manifest, catalog.json, run_results.json and
sources.json say, as plain values ready to be written (no database access).

``parse_manifest`` turns the manifest's sections into ``AssetSpec``/``TestSpec``s, skipping
entries whose raw JSON is unchanged since the last ingest; the catalog.json helpers give an
asset's warehouse fields and columns; ``run_result_fields``/``freshness_result_fields`` give the
values of one result row. Checks across files live in ``catalog.dbt.consistency``, the write in
``catalog.dbt.write``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from django.conf import settings

from catalog.dbt import schema as s
from catalog.dbt.artifacts import ArtifactBundle, LoadedArtifact, decode
from catalog.dbt.consistency import resource_type_unknown, unknown_type_warnings
from catalog.meta import as_list, owners_from, pii_from, tier_from
from catalog.models import AssetKind, Column, DataTest
from catalog.relations import relation_key

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

# Bump when the extraction of fields from the manifest changes: stored raw digests then
# no longer match, so every entry is decoded again once.
EXTRACTION_VERSION = 1


def digest(value: Any) -> str:
    """A short stable digest of JSON-able data (change detection, not security)."""
    return hashlib.blake2b(msgspec.json.encode(value), digest_size=16).hexdigest()


def as_text(value: Any) -> str:
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
                description=as_text(col.description),
                tags=tags,
                meta=meta,
                data_type=as_text(col.data_type),
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
        "label": as_text(getattr(obj, "label", None)),
        "description": as_text(getattr(obj, "description", None)),
        "database": "",
        "schema": "",
        "identifier": "",
        "relation_name": "",
        "relation_key": "",
        "package_name": as_text(getattr(obj, "package_name", None)),
        "path": as_text(getattr(obj, "path", None)),
        "original_file_path": as_text(getattr(obj, "original_file_path", None)),
        "materialization": "",
        "language": "",
        "raw_code": "",
        "compiled_code": "",
        "checksum": "",
        "access": "",
        "group": as_text(getattr(obj, "group", None) or (config.group if config else None)),
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
    materialized = as_text(config.materialized if config else None)
    in_warehouse = kind != AssetKind.ANALYSIS and materialized != "ephemeral"
    contract = node.contract or (config.contract if config else None)
    f.update(
        {
            "database": as_text(node.database),
            "schema": as_text(node.schema),
            "identifier": as_text(identifier),
            "relation_name": as_text(node.relation_name),
            "relation_key": relation_key(node.database, node.schema, identifier)
            if in_warehouse
            else "",
            "materialization": materialized,
            "language": as_text(
                node.language or ("sql" if (node.raw_sql or node.raw_code) is not None else "")
            ),
            "raw_code": as_text(node.raw_code if node.raw_code is not None else node.raw_sql),
            "compiled_code": as_text(
                node.compiled_code if node.compiled_code is not None else node.compiled_sql
            ),
            "checksum": as_text(node.checksum.checksum if node.checksum else ""),
            "access": as_text(node.access or (config.access if config else None)),
            "version": as_text(node.version),
            "latest_version": as_text(node.latest_version),
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
            "description": as_text(src.description) or as_text(src.source_description),
            "database": as_text(src.database),
            "schema": as_text(src.schema),
            "identifier": as_text(identifier),
            "relation_name": as_text(src.relation_name),
            "relation_key": relation_key(src.database, src.schema, identifier),
            "details": {
                "source_name": as_text(src.source_name),
                "loader": as_text(src.loader),
                "loaded_at_field": as_text(src.loaded_at_field),
                "freshness": freshness,
                "source_description": as_text(src.source_description),
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
        "type": as_text(exp.type),
        "url": as_text(exp.url),
        "maturity": as_text(exp.maturity),
        "owner": owner,
    }
    f["dbt_owners"] = owners_from(f["meta"], owner)
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, [])


def _metric_asset(uid: str, metric: s.Metric, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.METRIC, metric.name, metric)
    f["details"] = {
        "type": as_text(metric.type or metric.calculation_method),
        "type_params": metric.type_params or {},
        "expression": as_text(metric.expression or metric.sql),
        "filter": msgspec.to_builtins(metric.filter) if metric.filter is not None else None,
        "filters": metric.filters or [],
        "time_grains": metric.time_grains or [],
        "dimensions": metric.dimensions or [],
        "timestamp": as_text(metric.timestamp),
        "model": as_text(metric.model),
        "time_granularity": as_text(metric.time_granularity),
    }
    f["dbt_owners"] = owners_from(f["meta"], _group_owner(groups, f["group"]))
    f["dbt_tier"] = tier_from(f["meta"], f["tags"])
    return AssetSpec(uid, f, [])


def _semantic_model_asset(uid: str, sm: s.SemanticModel, groups: dict[str, s.Group]) -> AssetSpec:
    f = _base(AssetKind.SEMANTIC_MODEL, sm.name, sm)
    f["details"] = {
        "model": as_text(sm.model),
        "entities": sm.entities,
        "measures": sm.measures,
        "dimensions": sm.dimensions,
        "defaults": sm.defaults,
        "primary_entity": as_text(sm.primary_entity),
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
        "test_name": as_text(meta.name if meta else ""),
        "column_name": as_text(node.column_name or kwargs.get("column_name")),
        "severity": as_text(config.severity if config else "").lower(),
        "kwargs": msgspec.to_builtins(kwargs),
        "depends_on": sorted(set(node.depends_on.nodes)) if node.depends_on else [],
        "description": as_text(node.description),
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
        "description": as_text(unit.description),
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
        else:
            resource_type_unknown(artifact, key, rtype)  # refused in a manifest version we know
            unknown[rtype] += 1
            other.add(key)
    warnings += unknown_type_warnings(name, unknown)

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


# ---------------------------------------------------------------------------- catalog.json


def catalog_entries_of(bundle: ArtifactBundle) -> dict[str, s.CatalogTable] | None:
    """catalog.json's tables by unique_id; None when the run has no catalog.json."""
    if not bundle.catalog:
        return None
    cat: s.Catalog = bundle.catalog.data
    return {**cat.nodes, **cat.sources}


def warehouse_fields(entry: s.CatalogTable | None) -> dict[str, Any]:
    if entry is None:
        return {"warehouse_type": "", "warehouse_stats": {}}
    stats = {}
    for key, stat in entry.stats.items():
        if stat.include and key != "has_stats":
            stats[stat.label or key] = stat.value
    return {
        "warehouse_type": as_text(entry.metadata.type if entry.metadata else ""),
        "warehouse_stats": stats,
    }


def merge_columns(
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


def warehouse_hashes_of(
    catalog_entries: dict[str, s.CatalogTable] | None,
) -> dict[str, str] | None:
    """Digest of each catalog.json entry (a changed one rewrites the asset)."""
    if catalog_entries is None:
        return None
    return {uid: digest(msgspec.to_builtins(entry)) for uid, entry in catalog_entries.items()}


NOT_IN_WAREHOUSE = digest(None)


# ------------------------------------------------------------------ run results, freshness


def invocation_id(artifact: LoadedArtifact) -> str:
    # Old artifacts may lack an invocation id; the file digest keeps re-ingest idempotent.
    return artifact.data.metadata.invocation_id or f"sha256:{artifact.sha256[:56]}"


def generated_at(artifact: LoadedArtifact) -> datetime | None:
    return _parse_time(artifact.data.metadata.generated_at)


def run_result_fields(result: s.RunResult) -> dict[str, Any]:
    """The values of one entry of run_results.json (a ``NodeRunResult`` without its ids)."""
    execute = next((t for t in result.timing if t.name == "execute"), None)
    first = result.timing[0] if result.timing else None
    adapter = result.adapter_response or {}
    return {
        "status": as_text(result.status).lower(),
        "message": as_text(result.message)[:10_000],
        "failures": _int_or_none(result.failures),
        "execution_time": result.execution_time,
        "started_at": _parse_time((first or execute).started_at) if (first or execute) else None,
        "completed_at": _parse_time(execute.completed_at) if execute else None,
        "rows_affected": adapter.get("rows_affected")
        if isinstance(adapter.get("rows_affected"), int)
        else None,
    }


def freshness_result_fields(result: s.FreshnessResult) -> dict[str, Any]:
    """The values of one entry of sources.json (a ``SourceFreshnessResult`` without its ids)."""
    return {
        "status": as_text(result.status).lower(),
        "max_loaded_at": _parse_time(result.max_loaded_at),
        "snapshotted_at": _parse_time(result.snapshotted_at),
        "age_seconds": result.max_loaded_at_time_ago_in_s,
        "criteria": msgspec.to_builtins(result.criteria) if result.criteria else {},
        "error": as_text(result.error)[:10_000],
    }
